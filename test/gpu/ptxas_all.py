"""Assembles every kernel module of `nnc --emit=ptx` output with ptxas.

usage: ptxas_all.py PTXAS ARCH FILE.ptx
Prints "<n> kernel modules assemble for ARCH" or ptxas's errors (exit 1).
"""
import os
import subprocess
import sys
import tempfile


def main():
    ptxas, arch, path = sys.argv[1:4]
    text = open(path).read()
    marker = "// nnc kernel module "
    modules = [marker + m for m in text.split(marker)[1:]]
    if not modules:
        print("no kernel modules in %s" % path)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, module in enumerate(modules):
            src = os.path.join(tmp, "k%d.ptx" % i)
            with open(src, "w") as f:
                f.write(module)
            proc = subprocess.run([ptxas, "-arch=" + arch, src, "-o",
                                   os.path.join(tmp, "k.cubin")],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                failed += 1
                print("%s: %s" % (module.splitlines()[0], proc.stderr))
    if failed:
        print("%d of %d kernel modules fail to assemble" % (failed,
                                                            len(modules)))
        return 1
    print("%d kernel modules assemble for %s" % (len(modules), arch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
