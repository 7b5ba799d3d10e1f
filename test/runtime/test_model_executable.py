"""The model executable's command line (runtime/main), run on fake models.

fake-mnist, fake-mnist-v2 and fake-tabular (test/runtime/FakeModels.cpp) are
linked as `nnc model.nn -o model` links a compiled model; NNC_FAKE_BIN names
their folder. Data sets are small generated files in a temporary folder.
"""
import gzip
import json
import os
import pathlib
import re
import resource
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

import numpy as np

from safetensors_reader import read_safetensors

BIN = os.environ.get("NNC_FAKE_BIN", "")
FASHION = "/usr/share/datasets/fashion-mnist"
NUMBER = r"-?\d+\.\d{4}"
IDX_CODES = {np.dtype("u1"): 0x08, np.dtype(">i4"): 0x0C,
             np.dtype(">f4"): 0x0D}


def run(model, *args, preexec_fn=None, env=None):
    return subprocess.run([os.path.join(BIN, model), *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=preexec_fn, env=env)


def sanitized(model):
    """Whether `model` is built with AddressSanitizer (the sanitizer suite,
    scripts/test-sanitize.sh), which reserves terabytes of address space
    for its shadow memory: no RLIMIT_AS there."""
    with open(os.path.join(BIN, model), "rb") as f:
        return b"__asan_init" in f.read()


def write_idx(path, array, gz=None):
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    opener = gzip.open if (path.endswith(".gz") if gz is None else gz) \
        else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def make_images(n, seed):
    """Learnable images: class c lights rows 2c..2c+2 over noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype("u1")
    images = rng.integers(0, 60, (n, 28, 28)).astype("u1")
    for i, c in enumerate(labels):
        images[i, 2 * c:2 * c + 3, :] += 180
    return images, labels


def make_mnist(folder, train=300, test=100, gz=True):
    os.makedirs(folder, exist_ok=True)
    ext = ".gz" if gz else ""
    for part, n, seed in (("train", train, 1), ("t10k", test, 2)):
        if not n:
            continue
        images, labels = make_images(n, seed)
        write_idx(f"{folder}/{part}-images-idx3-ubyte{ext}", images)
        write_idx(f"{folder}/{part}-labels-idx1-ubyte{ext}", labels)
    return folder


def read(path, mode="rb"):
    return pathlib.Path(path).read_bytes() if mode == "rb" else \
        pathlib.Path(path).read_text()


def write(path, data):
    p = pathlib.Path(path)
    p.write_bytes(data) if isinstance(data, bytes) else p.write_text(data)


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(map(str, row)) + "\n")
    return path


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Case(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nnc-exe-test-")
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def ok(self, model, *args, **kw):
        r = run(model, *args, **kw)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def fails(self, model, *args, status=1, says=(), **kw):
        """Expects exit `status` and one error line with each of `says`."""
        r = run(model, *args, **kw)
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("error: "), lines[0])
        for text in [says] if isinstance(says, str) else says:
            self.assertIn(text, lines[0])
        return lines[0]


class Cli(Case):
    def test_help(self):
        for args in (["--help"], ["-h"], ["help"], ["train", "--help"]):
            r = self.ok("fake-mnist", *args)
            self.assertTrue(r.stdout.startswith("usage: "), r.stdout)
            self.assertIn("predict  --load FILE --input FILE", r.stdout)
            self.assertIn("epochs 2, batch 32, lr 0.05, seed 0", r.stdout)

    def test_bad_usage_exits_2(self):
        cases = {
            (): "no command given",
            ("fit",): "unknown command 'fit'",
            ("train", "--bogus"): "unknown flag '--bogus' for 'train'",
            ("eval", "--epochs", "3", "--load", "x"):
                "unknown flag '--epochs' for 'eval'",
            ("train", "--epochs"): "--epochs needs a value (N)",
            ("train", "--epochs", "0"): "--epochs expects an integer >= 1",
            ("train", "--batch=x"): "--batch expects an integer >= 1, got 'x'",
            ("train", "--lr", "-1"): "--lr expects a positive number",
            ("train", "--threads", "-2"): "--threads expects an integer >= 0",
            ("train", "--quiet=1"): "--quiet takes no value",
            ("train", "stray"): "unexpected argument 'stray'",
            ("train", "--device", "tpu"): "--device expects cpu or cuda",
            ("eval",): "'eval' needs --load FILE",
            ("predict", "--load", "x"): "'predict' needs --input FILE",
        }
        for args, message in cases.items():
            with self.subTest(args=args):
                self.fails("fake-mnist", *args, status=1, says=message)

    def test_cuda_device_is_an_error(self):
        self.fails("fake-mnist", "train", "--device", "cuda",
                   says="compiled for the CPU; compile the model with "
                        "`nnc --target=cuda`")

    def test_summary_from_layers(self):
        out = self.ok("fake-mnist", "summary").stdout
        self.assertIn('Model: "fake_mnist"', out)
        self.assertRegex(out, r"Layer \(type\) +Output Shape +Param #")
        self.assertRegex(out, r"logits \(dense\) +\[batch, 10\] +7,850\n")
        self.assertIn("Total params: 7,850\nTrainable params: 7,850\n"
                      "Non-trainable params: 0\nOptimizer params: 7,850\n",
                      out)

    def test_summary_without_layers_lists_variables(self):
        out = self.ok("fake-tabular", "summary").stdout
        self.assertRegex(out, r"features.mean \(state\) +\[3\] +3\n")
        self.assertRegex(out, r"pred.weight \(param\) +\[3, 1\] +3\n")
        self.assertIn("Total params: 10\nTrainable params: 4\n"
                      "Non-trainable params: 6\n", out)


class Training(Case):
    def setUp(self):
        super().setUp()
        self.data = make_mnist(self.path("mnist"))

    def train(self, *args, model="fake-mnist"):
        return self.ok(model, "train", "--data", self.data, *args)

    def checkpoint(self, name):
        return read_safetensors(self.path(name))

    def test_prints_a_line_per_epoch_and_the_test_split(self):
        r = self.train("--epochs", "2", "--threads", "1")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 3, r.stdout)
        for i, line in enumerate(lines[:2]):
            self.assertRegex(
                line, rf"^epoch {i + 1}/2  loss {NUMBER}  accuracy {NUMBER}  "
                      rf"val_loss {NUMBER}  val_accuracy {NUMBER}  "
                      r"time \d+\.\ds  \d+ samples/s$")
        self.assertRegex(lines[2], rf"^test  loss {NUMBER}  accuracy {NUMBER}$")
        self.assertEqual(r.stderr, "")  # no progress bar off a terminal
        accuracy = float(lines[2].split()[-1])
        self.assertGreater(accuracy, 0.9)  # the images are easy

    def test_quiet_prints_only_the_test_line(self):
        r = self.train("--quiet")
        self.assertRegex(r.stdout, rf"^test  loss {NUMBER}  accuracy {NUMBER}\n$")

    def test_same_seed_repeats_bit_for_bit(self):
        def once(name, *args):
            out = self.train("--save", self.path(name), *args).stdout
            return re.sub(r"time .*", "", out), read(self.path(name))
        first = once("a.safetensors")
        self.assertEqual(once("b.safetensors"), first)
        self.assertEqual(once("c.safetensors", "--threads", "1"), first)
        other = once("d.safetensors", "--seed", "5")
        self.assertNotEqual(other[1], first[1])

    def test_resume_continues_exactly(self):
        whole = self.train("--epochs", "2", "--save", self.path("whole"))
        self.train("--epochs", "1", "--save", self.path("half"))
        resumed = self.train("--epochs", "2", "--resume", self.path("half"),
                             "--save", self.path("resumed"))
        a, meta_a, _ = self.checkpoint("whole")
        b, meta_b, _ = self.checkpoint("resumed")
        self.assertEqual(list(a), list(b))
        for name in a:
            self.assertTrue(np.array_equal(a[name], b[name]), name)
        self.assertEqual(meta_a, meta_b)
        strip = lambda out: re.sub(r"time .*", "", out).splitlines()
        self.assertEqual(strip(resumed.stdout), strip(whole.stdout)[1:])

    def test_resume_with_nothing_left(self):
        self.train("--epochs", "1", "--save", self.path("ck"))
        r = self.train("--epochs", "1", "--resume", self.path("ck"))
        self.assertIn("is at epoch 1 already", r.stderr)
        self.assertRegex(r.stdout, r"^test  loss")

    def test_checkpoint_contents(self):
        self.train("--epochs", "2", "--save", self.path("ck"), "--seed", "3")
        tensors, meta, _ = self.checkpoint("ck")
        self.assertEqual(list(tensors), [
            "dense.weight", "dense.bias", "optimizer.momentum.dense.weight",
            "optimizer.momentum.dense.bias"])
        self.assertEqual(tensors["dense.weight"].shape, (784, 10))
        self.assertEqual(tensors["dense.weight"].dtype, np.float32)
        # 270 training samples (validation_split 0.1): 9 batches of 32, the
        # last one partial.
        self.assertEqual(meta, {"model": "fake_mnist", "step": "18",
                                "seed": "3", "source_hash": "fake-mnist-1",
                                "epoch": "2"})

    def test_overrides(self):
        r = self.train("--epochs", "3", "--batch", "1000", "--lr", "0.01",
                       "--save", self.path("ck"))
        self.assertEqual(len(r.stdout.splitlines()), 4)
        self.assertEqual(self.checkpoint("ck")[1]["step"], "3")

    def test_log_has_a_row_per_epoch(self):
        r = self.train("--epochs", "2", "--log", self.path("log.csv"))
        rows = read(self.path("log.csv"), "r").splitlines()
        self.assertEqual(rows[0], "epoch,loss,accuracy,val_loss,val_accuracy,"
                                  "time,samples_per_second,rss_mb")
        self.assertEqual(len(rows), 3)
        for row, line in zip(rows[1:], r.stdout.splitlines()):
            v = [float(x) for x in row.split(",")]
            self.assertTrue(line.startswith(
                f"epoch {v[0]:.0f}/2  loss {v[1]:.4f}  accuracy {v[2]:.4f}  "
                f"val_loss {v[3]:.4f}  val_accuracy {v[4]:.4f}  "
                f"time {v[5]:.1f}s"), (row, line))

    def test_nan_loss_stops_and_keeps_the_checkpoint(self):
        ck = self.path("ck")
        self.train("--epochs", "1", "--save", ck)
        good = read(ck)
        self.fails("fake-mnist", "train", "--data", self.data, "--resume", ck,
                   "--epochs", "3", "--lr", "1e38", "--save", ck,
                   says=["the loss became ", " at epoch 2, step 11"])
        self.assertEqual(read(ck), good)

    def test_eval_scores_the_test_split(self):
        r = self.train("--save", self.path("ck"))
        test_line = r.stdout.splitlines()[-1]
        e = self.ok("fake-mnist", "eval", "--load", self.path("ck"),
                    "--data", self.data)
        self.assertEqual(e.stdout, test_line + "\n")

    def test_predict_writes_the_outputs(self):
        self.train("--save", self.path("ck"))
        images = f"{self.data}/t10k-images-idx3-ubyte.gz"
        r = self.ok("fake-mnist", "predict", "--load", self.path("ck"),
                    "--input", images)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], ",".join(f"probs_{i}" for i in range(10)))
        probs = np.array([[float(v) for v in l.split(",")] for l in lines[1:]])
        self.assertEqual(probs.shape, (100, 10))
        # The same probabilities from the checkpoint's tensors.
        tensors, _, _ = self.checkpoint("ck")
        x, _ = make_images(100, 2)
        z = x.reshape(100, 784).astype(np.float32) / 255 @ \
            tensors["dense.weight"] + tensors["dense.bias"]
        np.testing.assert_allclose(probs, softmax(z.astype(np.float64)),
                                   atol=1e-5)
        self.ok("fake-mnist", "predict", "--load", self.path("ck"),
                "--input", images, "--output", self.path("p.csv"))
        self.assertEqual(read(self.path("p.csv"), "r"), r.stdout)

    def test_plain_files_read_as_gzip_ones(self):
        plain = make_mnist(self.path("plain"), gz=False)
        r1 = self.train("--quiet")
        r2 = self.ok("fake-mnist", "train", "--data", plain, "--quiet")
        self.assertEqual(r1.stdout, r2.stdout)

    def test_a_folder_without_a_test_split(self):
        data = make_mnist(self.path("no-test"), test=0)
        r = self.ok("fake-mnist", "train", "--data", data, "--save",
                    self.path("ck"))
        self.assertNotIn("test", r.stdout)
        self.fails("fake-mnist", "eval", "--load", self.path("ck"), "--data",
                   data, says=f"{data} has no test split")


class Checkpoints(Case):
    def setUp(self):
        super().setUp()
        self.data = make_mnist(self.path("mnist"), test=0)
        self.ck = self.path("ck.safetensors")

    def save(self, model="fake-mnist"):
        self.ok(model, "train", "--data", self.data, "--save", self.ck)

    def test_another_model_is_refused(self):
        write_csv(self.path("t.csv"), ["a", "b", "c", "y"],
                  [[i, 2 * i, 3, i] for i in range(20)])
        self.ok("fake-tabular", "train", "--data", self.path("t.csv"),
                "--save", self.ck)
        message = f"{self.ck} is a checkpoint of model 'fake_tabular', " \
                  "not 'fake_mnist'"
        self.fails("fake-mnist", "eval", "--load", self.ck, "--data",
                   self.data, says=message)
        self.fails("fake-mnist", "train", "--resume", self.ck, says=message)
        self.fails("fake-mnist", "predict", "--load", self.ck, "--input",
                   f"{self.data}/train-images-idx3-ubyte.gz", says=message)

    def test_another_version_is_refused(self):
        self.save()
        self.fails("fake-mnist-v2", "train", "--data", self.data, "--resume",
                   self.ck, says="was saved by another version of model "
                                 "'fake_mnist'")

    def test_a_failed_save_keeps_the_old_file(self):
        self.save()
        good = read(self.ck)

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        self.fails("fake-mnist", "train", "--data", self.data, "--save",
                   self.ck, "--seed", "9", preexec_fn=small_files,
                   says=f"cannot write {self.ck}")
        self.assertEqual(read(self.ck), good)
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["ck.safetensors", "mnist"])

    def test_saving_into_a_missing_folder_fails(self):
        target = self.path("missing/ck.safetensors")
        self.fails("fake-mnist", "train", "--data", self.data, "--save",
                   target, says=f"cannot write {target}")

    @unittest.skipIf(os.geteuid() == 0, "root writes into read-only folders")
    def test_saving_into_a_read_only_folder_fails(self):
        self.save()
        good = read(self.ck)
        os.chmod(self.dir, 0o555)
        self.addCleanup(os.chmod, self.dir, 0o755)
        self.fails("fake-mnist", "train", "--data", self.data, "--save",
                   self.ck, "--seed", "9", says=f"cannot write {self.ck}")
        self.assertEqual(read(self.ck), good)

    def test_a_missing_checkpoint(self):
        self.fails("fake-mnist", "eval", "--load", self.path("nope"),
                   says=f"cannot read {self.path('nope')}")

    def test_a_truncated_checkpoint(self):
        self.save()
        data = read(self.ck)
        write(self.ck, data[:len(data) // 2])
        self.fails("fake-mnist", "train", "--data", self.data, "--resume",
                   self.ck, says=[self.ck, "truncated file?"])


    def rewrite(self, edit, text=None):
        """Rewrites the checkpoint with `edit(header, data) -> data`
        applied to its JSON header (a dict, metadata included) and data."""
        raw = read(self.ck)
        (length,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + length])
        data = edit(header, raw[8 + length:])
        text = text or json.dumps(header).encode()
        write(self.ck, struct.pack("<Q", len(text)) + text + data)

    def refused(self, says):
        self.fails("fake-mnist", "train", "--data", self.data, "--resume",
                   self.ck, says=[self.ck] + list(says))

    def tensors(self, header):
        return sorted((k for k in header if k != "__metadata__"),
                      key=lambda k: header[k]["data_offsets"][0])

    def test_the_reference_loaders_checks(self):
        # The safetensors reference refuses these; so does nnc.
        self.save()
        good = read(self.ck)

        def overlap(header, data):
            second = header[self.tensors(header)[1]]
            second["data_offsets"] = [o - 4 for o in second["data_offsets"]]
            return data
        self.rewrite(overlap)
        self.refused(["tensors overlap"])

        def gap(header, data):
            names = self.tensors(header)
            for name in names[1:]:
                header[name]["data_offsets"] = [
                    o + 4 for o in header[name]["data_offsets"]]
            end = header[names[0]]["data_offsets"][1]
            return data[:end] + b"\0" * 4 + data[end:]
        write(self.ck, good)
        self.rewrite(gap)
        self.refused(["a gap"])

        write(self.ck, good)
        self.rewrite(lambda header, data: data + b"\0" * 8)
        self.refused(["8 bytes after its last tensor"])

        def unknown_dtype(header, data):
            header[self.tensors(header)[0]]["dtype"] = "F33"
            return data
        write(self.ck, good)
        self.rewrite(unknown_dtype)
        self.refused(["is F33, the model's is F32"])

        def overflow(header, data):
            header[self.tensors(header)[0]]["shape"] = [2, 2**64 - 2]
            return data
        write(self.ck, good)
        self.rewrite(overflow)
        self.refused(["has shape [2,18446744073709551614], the model's"])

        # The same name twice (a JSON parser keeps one of them).
        write(self.ck, good)
        (length,) = struct.unpack("<Q", good[:8])
        text = good[8:8 + length].rstrip()
        first = self.tensors(json.loads(text))[0]
        entry = json.dumps(json.loads(text)[first])
        twice = b"{" + json.dumps(first).encode() + b":" + entry.encode() + \
            b"," + text[1:]
        write(self.ck, struct.pack("<Q", len(twice)) + twice +
              good[8 + length:])
        self.refused([f"tensor '{first}' appears twice in its header"])

        # A header over the reference's 100 MB limit (a sparse file).
        with open(self.ck, "wb") as f:
            f.write(struct.pack("<Q", 100_000_001))
            f.seek(100_000_010)
            f.write(b" ")
        self.refused(["header of 100000001 bytes is over safetensors' limit"])

    def test_non_finite_values_are_refused_unless_allowed(self):
        self.save()

        def poison(header, data):
            name = self.tensors(header)[0]
            begin = header[name]["data_offsets"][0]
            return data[:begin + 8] + struct.pack("<f", float("nan")) + \
                data[begin + 12:]
        self.rewrite(poison)
        with open(self.ck, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            name = self.tensors(json.loads(f.read(length)))[0]
        says = [f"tensor '{name}' holds NaN (element 2)", "--allow-nonfinite"]
        self.refused(says)
        self.fails("fake-mnist", "eval", "--load", self.ck, "--data",
                   make_mnist(self.path("with-test")), says=says)
        r = self.ok("fake-mnist", "eval", "--load", self.ck, "--data",
                    self.path("with-test"), "--allow-nonfinite")
        self.assertIn("loss nan", r.stdout)

    def test_stale_temporaries_are_removed(self):
        # A killed save leaves its temporary (.NAME.tmp.XXXXXX); the next
        # save or resume of the same checkpoint removes it, and only it.
        self.save()
        stale = [self.path(".ck.safetensors.tmp.Ab3xQz"),
                 self.path(".ck.safetensors.tmp.000000")]
        kept = [self.path(".other.tmp.Ab3xQz"),
                self.path(".ck.safetensors.tmp.toolong")]
        for f in stale + kept:
            write(f, b"partial")
        self.ok("fake-mnist", "train", "--data", self.data, "--resume",
                self.ck, "--epochs", "2")
        for f in stale:
            self.assertFalse(os.path.exists(f), f)
        for f in kept:
            self.assertTrue(os.path.exists(f), f)
        write(stale[0], b"partial")
        self.save()
        self.assertFalse(os.path.exists(stale[0]))


class CrashSafety(Case):
    """Kills during checkpoint saves: the checkpoint is the last good one
    and a resumed run ends bit-for-bit where an uninterrupted one does."""

    EPOCHS = 3

    def setUp(self):
        super().setUp()
        self.data = make_mnist(self.path("mnist"), train=600, test=0)
        self.ck = self.path("ck.safetensors")
        self.reference = self.path("reference.safetensors")
        self.train(self.reference)

    def train(self, save, *args, env=None):
        return subprocess.run(
            [os.path.join(BIN, "fake-mnist"), "train", "--data", self.data,
             "--epochs", str(self.EPOCHS), "--threads", "1", "--seed", "4",
             "--save", save, *args], capture_output=True, text=True,
            timeout=120, env=dict(os.environ, **(env or {})))

    def epoch_of(self, path):
        return int(read_safetensors(path)[1]["epoch"])

    def temporaries(self):
        return [f for f in os.listdir(self.dir) if ".tmp." in f]

    def resume_to_the_end(self):
        r = self.train(self.ck, "--resume", self.ck)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(read(self.ck), read(self.reference))
        self.assertEqual(self.temporaries(), [])

    def test_injected_crash_points(self):
        # The second save dies at each point of AtomicFile::commit.
        for point, left in (("mid_write", 1), ("before_rename", 1),
                            ("after_rename", 2)):
            with self.subTest(point=point):
                if os.path.exists(self.ck):
                    os.remove(self.ck)
                r = self.train(self.ck, env={"NNC_TEST_CRASH_AT":
                                             point + ":2"})
                self.assertEqual(r.returncode, -signal.SIGKILL, r.stderr)
                self.assertEqual(self.epoch_of(self.ck), left)
                self.assertEqual(len(self.temporaries()),
                                 1 if left == 1 else 0)
                self.resume_to_the_end()

    def test_kill_9_at_random_points(self):
        # Blackbox: kill -9 after a random delay (many epochs, so that the
        # kills land in saves, between them and in start-up), a bounded
        # number of times (20, or 60 s); each trial then resumes to the
        # end.
        self.EPOCHS = 40
        start = time.monotonic()
        self.train(self.reference)
        whole = time.monotonic() - start
        rng = np.random.default_rng(11)
        deadline = time.monotonic() + 60
        trials, saved = 0, set()
        while trials < 20 and time.monotonic() < deadline:
            trials += 1
            for f in os.listdir(self.dir):
                if f.startswith("ck.") or ".tmp." in f:
                    os.remove(self.path(f))
            p = subprocess.Popen(
                [os.path.join(BIN, "fake-mnist"), "train", "--data",
                 self.data, "--epochs", str(self.EPOCHS), "--threads", "1",
                 "--seed", "4", "--save", self.ck],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, whole))
            p.kill()
            p.wait()
            if not os.path.exists(self.ck):
                continue  # killed before the first save
            epoch = self.epoch_of(self.ck)
            self.assertIn(epoch, range(1, self.EPOCHS + 1))
            saved.add(epoch)
            self.resume_to_the_end()
        # At least two trials were killed after a save (a loaded machine
        # may kill more of them in start-up).
        self.assertGreaterEqual(len(saved), 2, f"{trials} trials")


class DataErrors(Case):
    """Bad data: exit 1 and one line naming the file and the problem."""

    def setUp(self):
        super().setUp()
        self.images, self.labels = make_images(50, 3)

    def folder(self, name, images=None, labels=None, gz=True):
        folder = self.path(name)
        os.makedirs(folder)
        ext = ".gz" if gz else ""
        if images is not None:
            write_idx(f"{folder}/train-images-idx3-ubyte{ext}", images)
        if labels is not None:
            write_idx(f"{folder}/train-labels-idx1-ubyte{ext}", labels)
        return folder

    def train_fails(self, data, says, model="fake-mnist"):
        return self.fails(model, "train", "--data", data, says=says)

    def test_missing_data(self):
        self.train_fails(self.path("nowhere"),
                         f"cannot open {self.path('nowhere')}: No such file")
        empty = self.folder("empty")
        self.train_fails(empty, f"{empty} has no train-images-idx3-ubyte[.gz]")
        no_labels = self.folder("no-labels", self.images)
        self.train_fails(no_labels,
                         f"{no_labels} has no train-labels-idx1-ubyte[.gz]")
        other = self.path("data.txt")
        write(other, "x")
        self.train_fails(other, f"{other}: not a data set")
        self.fails("fake-tabular", "train", says="no data")

    def test_truncated_files(self):
        folder = self.folder("plain", self.images, self.labels, gz=False)
        images = f"{folder}/train-images-idx3-ubyte"
        data = read(images)
        write(images, data[:-100])
        self.train_fails(folder, f"{images} is truncated: its header "
                                 "promises 50 samples of 784 values, more "
                                 f"than its {len(data) - 100} bytes can hold")
        # Cut inside the labels of a gzip file, the header's claim fits the
        # compressed size: it fails when the data ends.
        folder = self.folder("gz-labels", self.images, self.labels)
        labels = f"{folder}/train-labels-idx1-ubyte.gz"
        with gzip.open(labels, "wb") as f:
            f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 50) +
                    self.labels.tobytes()[:49])
        self.train_fails(folder, f"{labels} is truncated: its header "
                                 "promises 50 samples, it holds 49")
        folder = self.folder("gz", self.images, self.labels)
        images = f"{folder}/train-images-idx3-ubyte.gz"
        data = read(images)
        write(images, data[:len(data) // 2])
        self.train_fails(folder, f"cannot read {images}")

    def test_a_header_that_claims_too_much(self):
        # 10^9 images in a file of 50: refused before anything is allocated
        # by the claim (under a 2 GiB address-space limit, which 10^9 x 784
        # bytes would break; under ASan, whose shadow memory needs more
        # address space, a 2 GiB limit on any one allocation), plain or gzip.
        def limited():
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        limits = dict(preexec_fn=limited)
        if sanitized("fake-mnist"):
            options = os.environ.get("ASAN_OPTIONS", "")
            limits = dict(env=dict(os.environ, ASAN_OPTIONS=options +
                                   ":max_allocation_size_mb=2048"
                                   ":allocator_may_return_null=0"))
        for gz in (False, True):
            folder = self.folder(f"claim-{gz}", labels=self.labels, gz=gz)
            images = f"{folder}/train-images-idx3-ubyte" + (".gz" if gz else "")
            with (gzip.open if gz else open)(images, "wb") as f:
                f.write(bytes([0, 0, 8, 3]) +
                        struct.pack(">III", 10**9, 28, 28) +
                        self.images.tobytes())
            size = os.path.getsize(images)
            self.fails("fake-mnist", "train", "--data", folder, **limits,
                       says=f"{images} is truncated: its header promises "
                            f"1000000000 samples of 784 values, more than its "
                            f"{size} bytes" + (" of gzip data" if gz else ""))
        # Dimensions whose product overflows 64 bits.
        folder = self.folder("overflow", labels=self.labels, gz=False)
        images = f"{folder}/train-images-idx3-ubyte"
        write(images, bytes([0, 0, 8, 4]) +
              struct.pack(">IIII", 50, 2**32 - 1, 2**32 - 1, 2**32 - 1))
        self.train_fails(folder, f"{images}: its header's sample shape "
                                 "4294967295x4294967295x4294967295 "
                                 "overflows")

    def test_wrong_magic(self):
        folder = self.folder("magic", self.images, self.labels, gz=False)
        images = f"{folder}/train-images-idx3-ubyte"
        data = bytearray(read(images))
        data[0] = 7
        write(images, bytes(data))
        self.train_fails(folder, f"{images} is not an IDX file")

    def test_shape_mismatch(self):
        folder = self.folder("shape", self.images[:, :20, :20], self.labels)
        self.train_fails(folder, f"{folder}/train-images-idx3-ubyte.gz: its "
                         "samples are 20x20 (400 values), input 'image' "
                         "f32[batch, 28, 28] takes 784 values a sample")
        folder = self.folder("labels", self.images, self.images)
        self.train_fails(folder, "train-labels-idx1-ubyte.gz: its samples are "
                         "28x28 (784 values), target 'label' i32[batch] takes "
                         "1 values a sample")

    def test_counts_differ(self):
        folder = self.folder("count", self.images, self.labels[:40])
        self.train_fails(folder, f"{folder}/train-images-idx3-ubyte.gz holds "
                         f"50 samples, {folder}/train-labels-idx1-ubyte.gz 40")

    def test_label_out_of_range(self):
        labels = self.labels.copy()
        labels[5] = 12
        folder = self.folder("range", self.images, labels)
        self.train_fails(folder, "label 12 out of range [0, 10) in "
                         f"{folder}/train-labels-idx1-ubyte.gz at sample 5")

    def test_nan_in_idx_floats(self):
        images = self.images.astype(">f4")
        images[3, 4, 5] = np.nan
        folder = self.folder("nan", images, self.labels)
        self.train_fails(folder, f"NaN in {folder}/train-images-idx3-ubyte.gz "
                         "at sample 3")

    def mnist_csv(self, name, edit=None):
        rows = [[int(l)] + list(map(int, img.reshape(-1)))
                for img, l in zip(self.images[:5], self.labels[:5])]
        if edit:
            edit(rows)
        header = ["label"] + [f"p{i}" for i in range(784)]
        return write_csv(self.path(name), header, rows)

    def test_csv_errors(self):
        def text(rows): rows[1][2] = "abc"
        def nan(rows): rows[2][3] = "nan"
        def inf(rows): rows[2][3] = "-inf"
        def empty(rows): rows[0][7] = ""
        def short(rows): rows[3].pop()
        def label(rows): rows[4][0] = 10
        def fraction(rows): rows[4][0] = 1.5
        cases = [
            (text, "'abc' is not a number in {} at line 3, column 3 ('p1')"),
            (nan, "NaN in {} at line 4, column 4 ('p2')"),
            (inf, "an infinite value in {} at line 4, column 4 ('p2')"),
            (empty, "a missing value in {} at line 2, column 8 ('p6')"),
            (short, "{}:5: 784 fields, the header has 785"),
            (label, "label 10 out of range [0, 10) in {} at line 6, column 1 "
                    "('label')"),
            (fraction, "value 1.5 (not an i32) for target 'label' in {} at "
                       "line 6"),
        ]
        for edit, message in cases:
            with self.subTest(edit.__name__):
                csv = self.mnist_csv(edit.__name__ + ".csv", edit)
                self.train_fails(csv, message.format(csv))
        self.ok("fake-mnist", "train", "--data", self.mnist_csv("good.csv"),
                "--quiet")

    def test_csv_structure(self):
        missing = write_csv(self.path("m.csv"), ["a", "b", "c", "z"],
                            [[1, 2, 3, 4]])
        self.train_fails(missing, f"{missing} has no column 'y' for the "
                         "target (its columns: a, b, c, z)", "fake-tabular")
        narrow = write_csv(self.path("n.csv"), ["name", "a", "b", "y"],
                           [["x", 1, 2, 3]])
        self.train_fails(narrow, f"{narrow}: its 2 feature columns (a, b) do "
                         "not fit input 'features' f32[batch, 3], which takes "
                         "3 values a sample; text columns left out: name",
                         "fake-tabular")
        empty = self.path("e.csv")
        open(empty, "w").close()
        self.train_fails(empty, f"{empty} is empty", "fake-tabular")
        header_only = write_csv(self.path("h.csv"), ["a", "b", "c", "y"], [])
        self.train_fails(header_only, f"{header_only} has a header row but "
                         "no data", "fake-tabular")

    def test_predict_input_of_the_wrong_shape(self):
        folder = self.folder("ok", self.images, self.labels)
        ck = self.path("ck")
        self.ok("fake-mnist", "train", "--data", folder, "--save", ck)
        small = self.path("small-images.gz")
        write_idx(small, self.images[:, :10, :10])
        self.fails("fake-mnist", "predict", "--load", ck, "--input", small,
                   says=f"{small}: its samples are 10x10 (100 values)")
        self.fails("fake-mnist", "predict", "--load", ck, "--input",
                   self.path("nope.gz"), says=f"cannot open {self.path('nope.gz')}")


class Tabular(Case):
    """CSV data, normalize() statistics, a single-value output."""

    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(4)
        self.x = rng.normal([10, -5, 100], [2, 1, 30], (200, 3))
        self.y = self.x @ [0.5, -2, 0.01] + 1 + rng.normal(0, 0.01, 200)
        self.csv = write_csv(
            self.path("t.csv"), ["name", "a", "b", "c", "y"],
            [[f"row{i}", *np.round(self.x[i], 6), round(self.y[i], 6)]
             for i in range(200)])
        self.x = np.round(self.x, 6)

    def test_trains_with_the_training_split_statistics(self):
        r = self.ok("fake-tabular", "train", "--data", self.csv, "--epochs",
                    "20", "--save", self.path("ck"))
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 20)  # no test split in a CSV file
        self.assertRegex(lines[0], rf"^epoch 1/20  loss {NUMBER}  mae {NUMBER}"
                                   rf"  val_loss {NUMBER}  val_mae {NUMBER}  ")
        first, last = (float(l.split()[3]) for l in (lines[0], lines[-1]))
        self.assertLess(last, first / 10)
        tensors, _, _ = read_safetensors(self.path("ck"))
        train = self.x[:160].astype(np.float32)  # validation_split 0.2
        np.testing.assert_allclose(tensors["features.mean"],
                                   train.mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(tensors["features.var"],
                                   train.var(axis=0), rtol=1e-5)

    def test_eval_and_predict_on_a_csv_file(self):
        self.ok("fake-tabular", "train", "--data", self.csv, "--save",
                self.path("ck"))
        r = self.ok("fake-tabular", "eval", "--load", self.path("ck"),
                    "--data", self.csv)
        self.assertRegex(r.stdout, rf"^test  loss {NUMBER}  mae {NUMBER}\n$")
        r = self.ok("fake-tabular", "predict", "--load", self.path("ck"),
                    "--input", self.csv)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "prediction")
        t, _, _ = read_safetensors(self.path("ck"))
        xn = (self.x.astype(np.float32) - t["features.mean"]) / \
            np.sqrt(t["features.var"] + np.float32(1e-7))
        expected = xn @ t["pred.weight"][:, 0] + t["pred.bias"][0]
        np.testing.assert_allclose([float(v) for v in lines[1:]], expected,
                                   rtol=1e-4, atol=1e-4)

    def test_gzip_csv(self):
        packed = self.path("t.csv.gz")
        with gzip.open(packed, "wb") as f:
            f.write(read(self.csv))
        r1 = self.ok("fake-tabular", "train", "--data", self.csv)
        r2 = self.ok("fake-tabular", "train", "--data", packed)
        strip = lambda out: re.sub(r"time .*", "", out)
        self.assertEqual(strip(r1.stdout), strip(r2.stdout))

    def test_resuming_keeps_the_saved_statistics(self):
        self.ok("fake-tabular", "train", "--data", self.csv, "--epochs", "1",
                "--save", self.path("ck"))
        other = write_csv(self.path("o.csv"), ["a", "b", "c", "y"],
                          [[i, i, i, i] for i in range(50)])
        self.ok("fake-tabular", "train", "--data", other, "--epochs", "2",
                "--resume", self.path("ck"), "--save", self.path("ck2"))
        a, _, _ = read_safetensors(self.path("ck"))
        b, _, _ = read_safetensors(self.path("ck2"))
        np.testing.assert_array_equal(a["features.mean"], b["features.mean"])


@unittest.skipUnless(os.path.isdir(FASHION), "no Fashion-MNIST")
class FashionMnist(Case):
    def test_one_epoch_of_softmax_regression(self):
        r = self.ok("fake-mnist", "train", "--epochs", "1", "--quiet")
        accuracy = float(r.stdout.split()[-1])
        self.assertGreater(accuracy, 0.78, r.stdout)


if __name__ == "__main__":
    unittest.main()
