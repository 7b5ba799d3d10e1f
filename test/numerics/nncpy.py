"""A thin Python binding of nnc's C ABI (runtime/nnc_runtime.h), for tests.

compile() turns .nn source into a shared library with `nnc --emit=lib`;
Model wraps one model state: its variables as numpy arrays (views of the
model's own memory) and predict() on numpy inputs.
"""
import ctypes
import json
import os
import subprocess
import tempfile

import numpy as np

DTYPES = {0: np.float32, 1: np.float64, 2: np.int32}


class NncError(RuntimeError):
    pass


def run_checks(checks):
    """Runs (label, fn) pairs; fn returns None or a problem. Prints one line
    per check and the "N passed, N failed" summary; returns the exit code."""
    passed = failed = 0
    for label, fn in checks:
        try:
            problem = fn()
        except Exception as e:  # noqa: BLE001 - report and go on
            problem = "%s: %s" % (type(e).__name__, e)
        if problem:
            failed += 1
            print("FAIL %s: %s" % (label, problem))
        else:
            passed += 1
            print("ok   %s" % label)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def expect_error(fn, message):
    """None when fn() raises NncError containing `message`, else a problem."""
    try:
        fn()
    except NncError as e:
        return None if message in str(e) else "unexpected message: %s" % e
    return "no error (expected %r)" % message


# Extra nnc flags for every compile() (e.g. "--target=cuda" to run a
# numerics test on the GPU): the environment's NNC_TEST_FLAGS.
EXTRA_FLAGS = os.environ.get("NNC_TEST_FLAGS", "").split()


def compile(source, nnc, workdir=None, name="model", flags=()):
    """Compiles .nn source text; returns the path of the shared library."""
    flags = tuple(flags) + tuple(EXTRA_FLAGS)
    workdir = workdir or tempfile.mkdtemp(prefix="nnc-test-")
    src = os.path.join(workdir, name + ".nn")
    lib = os.path.join(workdir, "lib" + name + ".so")
    with open(src, "w") as f:
        f.write(source)
    proc = subprocess.run([nnc, src, "--emit=lib", "-o", lib, *flags],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise NncError("nnc failed (%d):\n%s" % (proc.returncode, proc.stderr))
    return lib


class Model:
    def __init__(self, lib_path, model_name):
        lib = ctypes.CDLL(lib_path)
        self.lib = lib
        lib.nnc_create.restype = ctypes.c_void_p
        lib.nnc_create.argtypes = [ctypes.c_void_p]
        lib.nnc_last_error.restype = ctypes.c_char_p
        lib.nnc_destroy.argtypes = [ctypes.c_void_p]
        lib.nnc_init.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
        lib.nnc_predict.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                    ctypes.c_void_p, ctypes.c_void_p]
        lib.nnc_gradients.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                      ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_void_p, ctypes.c_void_p]
        for fn in ("nnc_num_variables", "nnc_num_inputs", "nnc_num_outputs",
                   "nnc_num_targets"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p]
        for fn in ("nnc_variable_name", "nnc_input_name", "nnc_output_name"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_int]
            getattr(lib, fn).restype = ctypes.c_char_p
        for fn in ("nnc_variable_dtype", "nnc_variable_rank",
                   "nnc_input_dtype", "nnc_output_dtype", "nnc_target_dtype",
                   "nnc_variable_trainable"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_int]
        for fn in ("nnc_input_size", "nnc_output_size", "nnc_variable_size",
                   "nnc_target_size"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_int]
            getattr(lib, fn).restype = ctypes.c_int64
        lib.nnc_variable_shape.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.nnc_variable_shape.restype = ctypes.POINTER(ctypes.c_int64)
        lib.nnc_variable_data.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.nnc_variable_data.restype = ctypes.c_void_p
        lib.nnc_set_threads.argtypes = [ctypes.c_int]
        for fn in ("nnc_train_step", "nnc_eval_step"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                         ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_void_p]
        lib.nnc_num_metrics.argtypes = [ctypes.c_void_p]
        lib.nnc_set_step.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        lib.nnc_set_learning_rate.argtypes = [ctypes.c_void_p,
                                              ctypes.c_double]
        lib.nnc_train_settings.argtypes = [ctypes.c_void_p]
        lib.nnc_train_settings.restype = ctypes.c_char_p
        self.model_name = model_name
        definition = ctypes.c_void_p.in_dll(lib, model_name + "_def")
        self.handle = lib.nnc_create(ctypes.addressof(definition))
        if not self.handle:
            raise NncError(lib.nnc_last_error().decode())

    def __del__(self):
        if getattr(self, "handle", None):
            self.lib.nnc_destroy(self.handle)

    def check(self, rc):
        if rc != 0:
            raise NncError(self.lib.nnc_last_error().decode())

    def description(self):
        """The model's description (the JSON the compiler embeds)."""
        # nnc_model_def: {int64_t abi_version; const char *description; ...}
        definition = ctypes.c_void_p.in_dll(self.lib, self.model_name + "_def")
        text = ctypes.c_char_p.from_address(ctypes.addressof(definition) + 8)
        return json.loads(text.value.decode())

    def init(self, seed):
        self.check(self.lib.nnc_init(self.handle, seed))

    def variables(self):
        """{name: numpy view of the model's memory}."""
        out = {}
        for i in range(self.lib.nnc_num_variables(self.handle)):
            name = self.lib.nnc_variable_name(self.handle, i).decode()
            rank = self.lib.nnc_variable_rank(self.handle, i)
            shape_ptr = self.lib.nnc_variable_shape(self.handle, i)
            shape = tuple(shape_ptr[k] for k in range(rank))
            dtype = DTYPES[self.lib.nnc_variable_dtype(self.handle, i)]
            size = self.lib.nnc_variable_size(self.handle, i)
            data = self.lib.nnc_variable_data(self.handle, i)
            buf = (ctypes.c_char * (size * np.dtype(dtype).itemsize)
                   ).from_address(data)
            out[name] = np.frombuffer(buf, dtype=dtype).reshape(shape)
        return out

    def predict(self, *inputs):
        """Runs inference; returns the outputs as numpy arrays."""
        n_in = self.lib.nnc_num_inputs(self.handle)
        assert len(inputs) == n_in, "expected %d inputs" % n_in
        batch = inputs[0].shape[0]
        ins = []
        for i, x in enumerate(inputs):
            dtype = DTYPES[self.lib.nnc_input_dtype(self.handle, i)]
            ins.append(np.ascontiguousarray(x, dtype=dtype))
        outs = []
        for i in range(self.lib.nnc_num_outputs(self.handle)):
            dtype = DTYPES[self.lib.nnc_output_dtype(self.handle, i)]
            size = self.lib.nnc_output_size(self.handle, i)
            outs.append(np.full(batch * size, np.nan, dtype=dtype))
        in_ptrs = (ctypes.c_void_p * len(ins))(*[x.ctypes.data for x in ins])
        out_ptrs = (ctypes.c_void_p * len(outs))(
            *[y.ctypes.data for y in outs])
        self.check(self.lib.nnc_predict(self.handle, batch, in_ptrs,
                                        out_ptrs))
        return outs

    def trainable(self):
        """Names of the trainable variables, in table order."""
        return [self.lib.nnc_variable_name(self.handle, i).decode()
                for i in range(self.lib.nnc_num_variables(self.handle))
                if self.lib.nnc_variable_trainable(self.handle, i)]

    def _batch(self, inputs, targets):
        """Contiguous copies of a batch's inputs and targets, and pointers."""
        ins = [np.ascontiguousarray(
            x, dtype=DTYPES[self.lib.nnc_input_dtype(self.handle, i)])
            for i, x in enumerate(inputs)]
        tgs = [np.ascontiguousarray(
            t, dtype=DTYPES[self.lib.nnc_target_dtype(self.handle, i)])
            for i, t in enumerate(targets)]
        in_ptrs = (ctypes.c_void_p * max(len(ins), 1))(
            *[x.ctypes.data for x in ins])
        tg_ptrs = (ctypes.c_void_p * max(len(tgs), 1))(
            *[t.ctypes.data for t in tgs])
        return ins, tgs, in_ptrs, tg_ptrs

    def _step(self, fn, inputs, targets):
        batch = inputs[0].shape[0]
        keep = self._batch(inputs, targets)
        results = np.zeros(1 + self.lib.nnc_num_metrics(self.handle))
        self.check(fn(self.handle, batch, keep[2], keep[3],
                      results.ctypes.data))
        return results

    def train_step(self, inputs, targets):
        """One optimizer step; returns [loss, metrics...]."""
        return self._step(self.lib.nnc_train_step, inputs, targets)

    def eval_step(self, inputs, targets):
        """[loss, metrics...] in inference mode."""
        return self._step(self.lib.nnc_eval_step, inputs, targets)

    def set_learning_rate(self, lr):
        self.check(self.lib.nnc_set_learning_rate(self.handle, lr))

    def set_step(self, step):
        self.check(self.lib.nnc_set_step(self.handle, step))

    def gradients(self, inputs, targets):
        """(loss, {parameter name: gradient}) on one batch."""
        batch = inputs[0].shape[0]
        ins, tgs, in_ptrs, tg_ptrs = self._batch(inputs, targets)
        variables = self.variables()
        names = self.trainable()
        grads = [np.zeros_like(variables[n]) for n in names]
        loss = np.zeros(1, dtype=grads[0].dtype if grads else np.float64)
        gr_ptrs = (ctypes.c_void_p * max(len(grads), 1))(
            *[g.ctypes.data for g in grads])
        self.check(self.lib.nnc_gradients(self.handle, batch, in_ptrs,
                                          tg_ptrs, loss.ctypes.data, gr_ptrs))
        return float(loss[0]), dict(zip(names, grads))


# The dropout masks of nnc (codegen/LowerTraining.cpp, runtime/Model.cpp),
# reproduced for comparisons with other frameworks.
_M64 = (1 << 64) - 1


def _splitmix_finalize(z):
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def step_key(seed, step):
    """The int32 key of training step `step` (from 1) after nnc_init(seed)."""
    z = (seed * 0x9E3779B97F4A7C15 + step) & _M64
    return int(_splitmix_finalize(np.uint64(z))) & 0xFFFFFFFF


def dropout_mask(key, stream, shape, rate):
    """nnc.dropout_train's multiplier (0 or 1/(1-rate)) for each element."""
    base = (((key & 0xFFFFFFFF) << 32) | (stream & 0xFFFFFFFF))
    base = (base * 0x9E3779B97F4A7C15) & _M64
    index = np.arange(int(np.prod(shape)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = _splitmix_finalize(np.uint64(base) + index)
    keep = (z >> np.uint64(40)) >= np.uint64(round(rate * (1 << 24)))
    return (keep / (1.0 - rate)).reshape(shape)
