"""Data-parallel training over MPI (nnc --distributed=mpi), end to end.

The same executable trains on 1, 2 and 3 processes (Open MPI's mpirun,
oversubscribed on a 2-core machine) and must reach the same parameters:
--batch is the global batch, each process takes its share of every batch
(uneven shares, and batches smaller than the number of processes, are in
the data below) and the gradients are summed, weighted by the shares; the
model's dropout masks are the same however the batch is split.
Also: resuming with another number of processes, eval and predict split
across processes, a killed process and a bad input ending the whole job
without a hang, and the checkpoint left intact.
"""
import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "runtime"))
from safetensors_reader import read_safetensors  # noqa: E402

NNC = ""
MPIRUN = shutil.which("mpirun")
# Open MPI as root, more processes than cores, shared memory without
# ptrace (containers), no InfiniBand probing.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
           "OMPI_MCA_btl": "self,vader,tcp", "OMPI_MCA_pml": "ob1",
           "NNC_NUM_THREADS": "1"}

MODEL = """
model dp
input  x: {t}[batch, 6]
target label: i32[batch]
h      = dense(x, 32, activation=tanh)
h      = dropout(h, 0.25)
logits = dense(h, 3)
output probs = softmax(logits)
loss   = cross_entropy(logits, label)
metric accuracy = accuracy(logits, label)
train {{
  optimizer = adam(lr=0.01)
  batch     = 32
  epochs    = 3
  validation_split = 0.1
}}
"""


def env():
    e = dict(os.environ)
    e.update(MPI_ENV)
    return e


def make_csv(path, n, seed=3):
    """n samples of 6 features; the label is the argmax of three sums."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    label = np.argmax(x[:, :3] + x[:, 3:], axis=1)
    with open(path, "w") as f:
        f.write("f0,f1,f2,f3,f4,f5,label\n")
        for row, y in zip(x, label):
            f.write(",".join(repr(float(v)) for v in row) + f",{y}\n")


class DataParallel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="nnc-mpi-")
        d = pathlib.Path(cls.dir)
        # 226 samples: 203 to train after the 10 % validation split, so the
        # epoch's last batch has 11 samples (3 processes: 4, 4, 3) and a
        # 32-batch splits 11/11/10 -- and with --batch 7 the last batch has
        # one sample, which 2 of 3 processes do not get.
        make_csv(d / "data.csv", 226)
        cls.data = str(d / "data.csv")
        cls.exe = {}
        for t in ("f64", "f32"):
            (d / f"dp_{t}.nn").write_text(MODEL.format(t=t))
            out = d / f"dp_{t}"
            # f64 with 1 KiB buckets: h.weight (6 x 32 doubles) is summed in
            # place, the other three packed in one bucket; f32: all packed.
            buckets = ["--bucket-kb=1"] if t == "f64" else []
            r = subprocess.run([NNC, str(d / f"dp_{t}.nn"), "--distributed=mpi",
                                *buckets, "-o", str(out)],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            cls.exe[t] = str(out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_model(self, n, t, *args, timeout=300):
        """The model on n processes (n = 0: no launcher at all)."""
        cmd = [self.exe[t], *map(str, args)]
        if n:
            cmd = [MPIRUN, "-np", str(n), "--bind-to", "none"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, env=env(),
                              timeout=timeout)

    def train(self, n, t, name, *extra):
        path = os.path.join(self.dir, f"{name}.safetensors")
        r = self.run_model(n, t, "train", "--data", self.data, "--seed", 5,
                           "--save", path, *extra)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return read_safetensors(path)[0], r.stdout

    def assertSameParameters(self, a, b, rtol):
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            np.testing.assert_allclose(a[name], b[name], rtol=rtol,
                                       atol=rtol * 1e-3, err_msg=name)

    def test_same_parameters_on_1_2_3_processes_f64(self):
        alone, out1 = self.train(0, "f64", "alone64")
        for n in (1, 2, 3):
            with self.subTest(processes=n):
                params, out = self.train(n, "f64", f"np{n}_64")
                self.assertSameParameters(params, alone, 1e-10)
                # One report per epoch, from rank 0 only; same metrics.
                self.assertEqual(out.count("epoch 3/3"), 1, out)
                self.assertEqual(out.splitlines()[-1].split("time")[0],
                                 out1.splitlines()[-1].split("time")[0])

    def test_same_parameters_f32_and_tiny_last_batch(self):
        # --batch 7: the last batch of every epoch has one sample.
        alone, _ = self.train(0, "f32", "alone32", "--batch", 7)
        for n in (2, 3):
            with self.subTest(processes=n):
                params, _ = self.train(n, "f32", f"np{n}_32", "--batch", 7)
                self.assertSameParameters(params, alone, 1e-4)

    def test_training_moves_the_parameters(self):
        # The comparisons above are not of untrained models.
        a, _ = self.train(2, "f64", "moved", "--epochs", 1)
        b, _ = self.train(2, "f64", "moved2", "--epochs", 2)
        self.assertGreater(np.abs(a["h.weight"] - b["h.weight"]).max(), 1e-3)

    def test_resume_with_another_number_of_processes(self):
        straight, _ = self.train(0, "f64", "straight", "--epochs", 4)
        half, _ = self.train(2, "f64", "half", "--epochs", 2)
        path = os.path.join(self.dir, "half.safetensors")
        resumed = os.path.join(self.dir, "resumed.safetensors")
        r = self.run_model(3, "f64", "train", "--data", self.data, "--seed", 5,
                           "--epochs", 4, "--resume", path, "--save", resumed)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("epoch 2/4", r.stdout)
        self.assertIn("epoch 4/4", r.stdout)
        self.assertSameParameters(read_safetensors(resumed)[0], straight, 1e-10)

    def test_eval_and_predict_split_across_processes(self):
        self.train(0, "f64", "trained")
        ck = os.path.join(self.dir, "trained.safetensors")
        one = self.run_model(0, "f64", "eval", "--load", ck, "--data", self.data)
        three = self.run_model(3, "f64", "eval", "--load", ck, "--data",
                               self.data)
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertEqual(three.returncode, 0, three.stderr)
        self.assertEqual(three.stdout.count("test"), 1)
        loss = [float(r.stdout.split()[2]) for r in (one, three)]
        self.assertAlmostEqual(loss[0], loss[1], places=4)
        outs = []
        for n in (0, 2):
            out = os.path.join(self.dir, f"pred{n}.csv")
            r = self.run_model(n, "f64", "predict", "--load", ck, "--input",
                               self.data, "--output", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            outs.append(pathlib.Path(out).read_text())
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(len(outs[0].splitlines()), 227)

    def test_plain_executable_under_mpirun_says_it_trains_alone(self):
        plain = os.path.join(self.dir, "plain")
        r = subprocess.run([NNC, os.path.join(self.dir, "dp_f32.nn"), "-o",
                            plain], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([MPIRUN, "-np", "2", plain, "summary"],
                           capture_output=True, text=True, env=env(),
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("compiled without --distributed=mpi"),
                         1, r.stderr)

    def test_bad_input_ends_the_job(self):
        r = self.run_model(2, "f64", "train", "--data",
                           os.path.join(self.dir, "missing.csv"), timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("missing.csv", r.stderr)

    def test_killed_process_ends_the_job_and_keeps_the_checkpoint(self):
        big = os.path.join(self.dir, "big.csv")
        make_csv(big, 20000)
        ck = os.path.join(self.dir, "killed.safetensors")
        cmd = [MPIRUN, "-np", "2", "--bind-to", "none", self.exe["f64"],
               "train", "--data", big, "--epochs", "1000", "--batch", "8",
               "--save", ck]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env(),
                             start_new_session=True)
        try:
            deadline = time.time() + 120
            while not os.path.exists(ck) and time.time() < deadline:
                time.sleep(0.2)
            self.assertTrue(os.path.exists(ck), "no checkpoint after 120 s")
            # Kill rank 1 (a child of mpirun's daemon whose environment
            # says so) mid-epoch.
            victim = None
            for pid in os.listdir("/proc"):
                try:
                    environ = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
                except (OSError, ValueError):
                    continue
                if b"OMPI_COMM_WORLD_RANK=1\0" in environ and \
                        self.exe["f64"].encode() in \
                        pathlib.Path(f"/proc/{pid}/cmdline").read_bytes():
                    victim = int(pid)
            self.assertIsNotNone(victim)
            os.kill(victim, signal.SIGKILL)
            _, err = p.communicate(timeout=60)  # no hang
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.assertNotEqual(p.returncode, 0)
        # The last checkpoint is whole: it loads.
        r = self.run_model(0, "f64", "eval", "--load", ck, "--data", self.data)
        self.assertEqual(r.returncode, 0, r.stderr)


class TwoHosts(unittest.TestCase):
    """Two "hosts": network namespaces on a bridge, each with its own
    address; mpirun launches a daemon in each through `ip netns exec` (its
    rsh agent) and the processes talk TCP over the veth pairs, as on two
    machines. Skipped, with the reason, where namespaces cannot be made
    (not root, no CAP_NET_ADMIN, no iproute2)."""

    @classmethod
    def setUpClass(cls):
        cls.made = []
        tag = os.getpid() % 10000
        cls.net = f"10.231.{os.getpid() % 250}"
        cls.bridge = f"nncb{tag}"
        cls.hosts = {f"{cls.net}.{i + 2}": f"nnc{tag}h{i}" for i in range(2)}
        ip = shutil.which("ip")
        if not ip:
            raise unittest.SkipTest("no `ip` command (iproute2)")
        steps = [["link", "add", cls.bridge, "type", "bridge"],
                 ["addr", "add", f"{cls.net}.1/24", "dev", cls.bridge],
                 ["link", "set", cls.bridge, "up"]]
        for i, (addr, ns) in enumerate(cls.hosts.items()):
            steps += [["netns", "add", ns],
                      ["link", "add", f"nncv{tag}{i}", "type", "veth", "peer",
                       "name", "eth0", "netns", ns],
                      ["link", "set", f"nncv{tag}{i}", "master", cls.bridge,
                       "up"],
                      ["-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0"],
                      ["-n", ns, "link", "set", "eth0", "up"],
                      ["-n", ns, "link", "set", "lo", "up"]]
        for step in steps:
            r = subprocess.run([ip, *step], capture_output=True, text=True)
            if r.returncode != 0:
                cls.tearDownClass()
                raise unittest.SkipTest(
                    f"cannot make network namespaces (ip {' '.join(step)}: "
                    f"{r.stderr.strip()})")
            if step[0] == "netns" or step[:2] == ["link", "add"]:
                cls.made.append(step)
        d = pathlib.Path(tempfile.mkdtemp(prefix="nnc-hosts-"))
        cls.dir = str(d)
        # The rsh agent: `agent HOST COMMAND...` runs COMMAND in HOST's
        # namespace, with a session folder of its own (both "hosts" have
        # the same hostname and /tmp).
        cases = "".join(f"  {a}) ns={n};;\n" for a, n in cls.hosts.items())
        cls.agent = d / "agent.sh"
        cls.agent.write_text(
            "#!/bin/sh\nhost=$1; shift\ncase $host in\n" + cases +
            "  *) echo \"unknown host $host\" >&2; exit 1;;\nesac\n"
            f"mkdir -p {d}/$ns\n"
            f"exec ip netns exec $ns env OMPI_MCA_orte_tmpdir_base={d}/$ns "
            "PMIX_MCA_gds=hash sh -c \"$*\"\n")
        cls.agent.chmod(0o755)
        make_csv(d / "data.csv", 226)
        (d / "dp.nn").write_text(MODEL.format(t="f64"))
        r = subprocess.run([NNC, str(d / "dp.nn"), "--distributed=mpi", "-o",
                            str(d / "dp")], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        ip = shutil.which("ip") or "ip"
        for step in reversed(getattr(cls, "made", [])):
            what = ["netns", "del", step[2]] if step[0] == "netns" else \
                ["link", "del", step[2]]
            subprocess.run([ip, *what], capture_output=True)
        if getattr(cls, "dir", None):
            shutil.rmtree(cls.dir, ignore_errors=True)

    def test_same_parameters_over_tcp_between_two_hosts(self):
        d = pathlib.Path(self.dir)
        train = ["train", "--data", str(d / "data.csv"), "--seed", "5"]
        r = subprocess.run([str(d / "dp"), *train, "--save",
                            str(d / "one.safetensors")],
                           capture_output=True, text=True, env=env())
        self.assertEqual(r.returncode, 0, r.stderr)
        e = env()
        e.pop("OMPI_MCA_btl")
        e["OMPI_MCA_mpi_yield_when_idle"] = "1"
        r = subprocess.run(
            [MPIRUN, "--host", ",".join(f"{a}:1" for a in self.hosts),
             "-np", "2", "--mca", "plm_rsh_agent", str(self.agent),
             "--mca", "oob_tcp_if_include", f"{self.net}.0/24",
             "--mca", "btl", "self,tcp",
             "--mca", "btl_tcp_if_include", f"{self.net}.0/24",
             str(d / "dp"), *train, "--save", str(d / "two.safetensors")],
            capture_output=True, text=True, env=e, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        one = read_safetensors(str(d / "one.safetensors"))[0]
        two = read_safetensors(str(d / "two.safetensors"))[0]
        for name in one:
            np.testing.assert_allclose(two[name], one[name], rtol=1e-10,
                                       atol=1e-13, err_msg=name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", required=True)
    args, rest = parser.parse_known_args()
    NNC = args.nnc
    if not MPIRUN:
        sys.exit("mpirun not found: install openmpi-bin "
                 "(scripts/install-deps.sh)")
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
