# -*- Python -*- lit configuration of nnc's tests.
import os
import lit.formats

config.name = "nnc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".nn", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nnc_obj_root, "test")
config.excludes = ["Inputs", "bench", "unit", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py.in"]

# nnc's tools first, then LLVM's (FileCheck, not, count, split-file).
path = [config.nnc_tools_dir, config.llvm_tools_dir,
        config.environment.get("PATH", os.environ.get("PATH", ""))]
config.environment["PATH"] = os.pathsep.join(path)

config.substitutions.append(("%examples",
                             os.path.join(config.nnc_src_root, "examples")))
config.substitutions.append(("%inputs",
                             os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%nnc_obj_root", config.nnc_obj_root))

# %cc: the C compiler that links a program against nnc's runtime by hand,
# as examples/embed/main.c tells users to (`cc`). In the sanitizer build
# (scripts/test-sanitize.sh) it is the clang that built the instrumented
# runtime, with the sanitizers' flags (GCC's libubsan lacks clang's
# handlers); tests that measure memory (ASan's shadow and quarantine) say
# `UNSUPPORTED: asan`.
if config.sanitize_flags:
    config.substitutions.append(
        ("%cc", config.c_compiler + " " + config.sanitize_flags +
                 " -fsanitize-link-c++-runtime"))
    config.available_features.add("asan")
else:
    config.substitutions.append(("%cc", "cc"))

# Building a project against the install needs cmake and ninja (which
# scripts/install-deps.sh installs).
import shutil
if shutil.which("cmake") and shutil.which("ninja"):
    config.available_features.add("install-test")

# The fake CUDA driver (test/gpu/FakeCuda.cpp) and ptxas where CUDA is
# installed (the PTX tests need it; CI machines without it skip them).
config.substitutions.append(("%fakecuda", os.path.join(
    config.nnc_obj_root, "lib", "libfakecuda.so")))
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
