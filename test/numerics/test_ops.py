#!/usr/bin/env python3
"""Forward numerics of every nnc op against PyTorch (CPU), through the C ABI.

Each case is a tiny model compiled with `nnc --emit=lib` in f32 and f64; its
variables are set to random values, and its outputs on random inputs are
compared with the same computation in PyTorch, at batch sizes 1, 7 and 33
and feature counts that are not multiples of the vector width.

Tolerances (max |nnc - torch| <= atol + rtol * |torch|):
  f32: rtol 2e-5, atol 2e-5 (1e-4 after long sums: matmul, conv, pooling;
       for Winograd convolutions atol is at least 2e-5 of the output's
       largest |element|, see Case)
  f64: rtol 1e-10, atol 1e-10
Also the f32 gradients of convolutional networks (cnn_gradients,
pooled_gradients, big_filter_gradients,
winograd_input_gradients) against PyTorch's autograd: max error below 2e-5 of each gradient's largest element;
and the gradients of maxpool2d and max at ties (gradient_ties).
"""
import argparse
import sys

import hostblas  # before torch loads OpenBLAS
hostblas.apply()

import numpy as np  # noqa: E402
import torch
import torch.nn.functional as F

import nncpy

BATCHES = (1, 7, 33)


class Case:
    """`winograd`: its f32 outputs come from Winograd transforms, whose
    rounding error scales with the output's largest elements (the
    transforms add and cancel terms of that size), not with each element:
    the absolute tolerance is 2e-5 of the output's largest |element|
    where that is more than atol (F(4 x 4, 3 x 3): 4e-6 to 7e-6 of it
    here, F(2 x 2) 3e-7)."""

    def __init__(self, name, source, inputs, ref, long_sums=False,
                 batches=BATCHES, winograd=False):
        self.name, self.source, self.inputs = name, source, inputs
        self.ref, self.long_sums, self.batches = ref, long_sums, batches
        self.winograd = winograd


def nhwc(x):
    return x.permute(0, 3, 1, 2)


def to_nhwc(x):
    return x.permute(0, 2, 3, 1)


def same_pad(size, k, s):
    out = (size + s - 1) // s
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv_ref(x, w, b, stride, padding):
    """NHWC conv with HWCF weights; padding 'same' pads as TensorFlow."""
    kh, kw = w.shape[0], w.shape[1]
    xt = nhwc(x)
    if padding == "same":
        t, bo = same_pad(x.shape[1], kh, stride[0])
        l, r = same_pad(x.shape[2], kw, stride[1])
        xt = F.pad(xt, (l, r, t, bo))
    y = F.conv2d(xt, w.permute(3, 2, 0, 1), b, stride=stride)
    return to_nhwc(y)


def pool_ref(x, size, stride, padding, kind):
    xt = nhwc(x)
    pads = (0, 0, 0, 0)
    if padding == "same":
        t, bo = same_pad(x.shape[1], size, stride)
        l, r = same_pad(x.shape[2], size, stride)
        pads = (l, r, t, bo)
    if kind == "max":
        y = F.max_pool2d(F.pad(xt, pads, value=-float("inf")), size, stride)
    else:
        s = F.avg_pool2d(F.pad(xt, pads), size, stride, divisor_override=1)
        ones = torch.ones_like(xt[:, :1])
        n = F.avg_pool2d(F.pad(ones, pads), size, stride, divisor_override=1)
        y = s / n
    return to_nhwc(y)


def valid_conv_case(name, shape, filters, activation, winograd=False):
    """y = conv2d(x, filters, kernel=3, activation=...) over x: shape."""
    fn = getattr(torch, activation)
    return Case(name,
                "input x: {dt}[batch, %d, %d, %d]\n" % shape +
                "output y = conv2d(x, %d, kernel=3, activation=%s)"
                % (filters, activation),
                {"x": (shape, "normal")},
                lambda i, v: [fn(conv_ref(i["x"], v["y.weight"], v["y.bias"],
                                          (1, 1), "valid"))],
                long_sums=True, winograd=winograd)


def cases():
    c = []
    unary = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
             "gelu": F.gelu, "exp": torch.exp, "log": torch.log,
             "sqrt": torch.sqrt, "abs": torch.abs}
    for op, fn in unary.items():
        kind = "positive" if op in ("log", "sqrt") else "normal"
        c.append(Case(op, "input x: {dt}[batch, 37]\noutput y = %s(x)" % op,
                      {"x": ((37,), kind)}, lambda i, v, fn=fn: [fn(i["x"])]))
    c.append(Case("leaky_relu",
                  "input x: {dt}[batch, 19]\noutput y = leaky_relu(x, alpha=0.2)",
                  {"x": ((19,), "normal")},
                  lambda i, v: [F.leaky_relu(i["x"], 0.2)]))
    c.append(Case("neg", "input x: {dt}[batch, 5, 3]\noutput y = -x",
                  {"x": ((5, 3), "normal")}, lambda i, v: [-i["x"]]))
    c.append(Case(
        "arithmetic",
        "input a: {dt}[batch, 5, 7]\ninput b: {dt}[batch, 1, 7]\n"
        "param p: {dt}[7]\n"
        "output s = a + b\noutput d = a - p\noutput m = a * b\n"
        "output q = a / (b * b + 1)\noutput c = 2.5 * a + 1",
        {"a": ((5, 7), "normal"), "b": ((1, 7), "normal")},
        lambda i, v: [i["a"] + i["b"], i["a"] - v["p"], i["a"] * i["b"],
                      i["a"] / (i["b"] * i["b"] + 1), 2.5 * i["a"] + 1]))
    c.append(Case("matmul",
                  "input x: {dt}[batch, 13]\nparam w: {dt}[13, 9]\n"
                  "output y = x @ w",
                  {"x": ((13,), "normal")}, lambda i, v: [i["x"] @ v["w"]],
                  long_sums=True))
    c.append(Case("matmul_batched",
                  "input x: {dt}[batch, 3, 13]\nparam w: {dt}[13, 9]\n"
                  "input z: {dt}[batch, 13, 5]\n"
                  "output y = x @ w\noutput u = x @ z",
                  {"x": ((3, 13), "normal"), "z": ((13, 5), "normal")},
                  lambda i, v: [i["x"] @ v["w"], i["x"] @ i["z"]],
                  long_sums=True))
    c.append(Case("dense",
                  "input x: {dt}[batch, 20]\n"
                  "h = dense(x, 17, activation=relu)\n"
                  "output y = dense(h, 3, use_bias=false, activation=sigmoid)",
                  {"x": ((20,), "normal")},
                  lambda i, v: [torch.sigmoid(torch.relu(
                      i["x"] @ v["h.weight"] + v["h.bias"]) @ v["y.weight"])],
                  long_sums=True))
    c.append(valid_conv_case("conv2d_valid", (9, 11, 3), 5, "relu"))
    c.append(Case("conv2d_same_strided",
                  "input x: {dt}[batch, 10, 7, 2]\n"
                  "output y = conv2d(x, 4, kernel=[2, 3], stride=2, "
                  "padding=same)",
                  {"x": ((10, 7, 2), "normal")},
                  lambda i, v: [conv_ref(i["x"], v["y.weight"], v["y.bias"],
                                         (2, 2), "same")],
                  long_sums=True))
    # 3 x 3 stride-1 convolutions of >= 16 channels run as Winograd
    # F(4 x 4, 3 x 3) or F(2 x 2, 3 x 3) (nnc-winograd-conv): odd and even
    # output sizes (a last row or column of tiles partly used), 'same'
    # padding, channel counts that are not multiples of the vector width,
    # with and without the bias and relu that the output transform
    # applies.
    c.append(Case("conv2d_winograd_odd",
                  "input x: {dt}[batch, 9, 11, 20]\n"
                  "output y = conv2d(x, 24, kernel=3, padding=same, "
                  "activation=relu)\n"
                  "output z = conv2d(x, 17, kernel=3, use_bias=false)",
                  {"x": ((9, 11, 20), "normal")},
                  lambda i, v: [
                      torch.relu(conv_ref(i["x"], v["y.weight"], v["y.bias"],
                                          (1, 1), "same")),
                      conv_ref(i["x"], v["z.weight"], None, (1, 1),
                               "valid")],
                  # Batches of fewer images than parallel parts (4) leave
                  # parts empty. 300: ~20 MiB of rows' V and M had they
                  # been allocated per row on the threads' stacks (a
                  # crash, once).
                  long_sums=True, batches=(1, 2, 3, 7, 33, 300),
                  winograd=True))
    # A filter over 256 KiB, read by blocks of output channels and images
    # (f64: 720 KiB; big_filter_gradients has its input gradient).
    c.append(Case("conv2d_big_filter",
                  "input x: {dt}[batch, 5, 4, 64]\n"
                  "output y = conv2d(x, 160, kernel=3, padding=same)",
                  {"x": ((5, 4, 64), "normal")},
                  lambda i, v: [conv_ref(i["x"], v["y.weight"], v["y.bias"],
                                         (1, 1), "same")],
                  long_sums=True, batches=(1, 17, 40)))
    c.append(valid_conv_case("conv2d_winograd_even", (8, 10, 16), 32,
                             "tanh", winograd=True))
    # The cases above run F(4 x 4, 3 x 3), an image's tiles at once. Here
    # F(2 x 2) where F(4 x 4) would not pay (y: 5 x 5 outputs, an image's
    # tiles at once) or its U would be over 512 KiB (z: 64 -> 64, a row of
    # tiles at a time), and F(4 x 4) a row of tiles at a time (w: 19 x 19
    # 'same', 32 -> 48: an image's V and M over 256 KiB; 3 output rows in
    # its last row of tiles). f64 makes the same choices.
    c.append(Case("conv2d_winograd_tiles",
                  "input a: {dt}[batch, 7, 7, 16]\n"
                  "input b: {dt}[batch, 13, 13, 64]\n"
                  "input d: {dt}[batch, 19, 19, 32]\n"
                  "output y = conv2d(a, 16, kernel=3)\n"
                  "output z = conv2d(b, 64, kernel=3, activation=relu)\n"
                  "output w = conv2d(d, 48, kernel=3, padding=same)",
                  {"a": ((7, 7, 16), "normal"), "b": ((13, 13, 64), "normal"),
                   "d": ((19, 19, 32), "normal")},
                  lambda i, v: [
                      conv_ref(i["a"], v["y.weight"], v["y.bias"], (1, 1),
                               "valid"),
                      torch.relu(conv_ref(i["b"], v["z.weight"], v["z.bias"],
                                          (1, 1), "valid")),
                      conv_ref(i["d"], v["w.weight"], v["w.bias"], (1, 1),
                               "same")],
                  long_sums=True, batches=(1, 5), winograd=True))
    for kind in ("max", "avg"):
        c.append(Case("%spool2d" % kind,
                      "input x: {dt}[batch, 9, 8, 3]\n"
                      "output a = %spool2d(x, 2)\n"
                      "output b = %spool2d(x, size=3, stride=2, padding=same)"
                      % (kind, kind),
                      {"x": ((9, 8, 3), "normal")},
                      lambda i, v, k=kind: [pool_ref(i["x"], 2, 2, "valid", k),
                                            pool_ref(i["x"], 3, 2, "same", k)],
                      long_sums=True))
    c.append(Case("global_avgpool2d",
                  "input x: {dt}[batch, 5, 6, 4]\noutput y = global_avgpool2d(x)",
                  {"x": ((5, 6, 4), "normal")},
                  lambda i, v: [i["x"].mean(dim=(1, 2))]))
    c.append(Case("shapes",
                  "input x: {dt}[batch, 4, 6]\ninput z: {dt}[batch, 3]\n"
                  "output f = flatten(x)\n"
                  "output r = reshape(x, [3, -1])\n"
                  "output s = reshape(x, [batch, 24])\n"
                  "output t = transpose(x, perm=[0, 2, 1])\n"
                  "output c = concat(flatten(x), z)\n"
                  "output c0 = concat(x, x, axis=1)",
                  {"x": ((4, 6), "normal"), "z": ((3,), "normal")},
                  lambda i, v: [i["x"].flatten(1),
                                i["x"].reshape(-1, 3, 8),
                                i["x"].reshape(-1, 24),
                                i["x"].transpose(1, 2),
                                torch.cat([i["x"].flatten(1), i["z"]], 1),
                                torch.cat([i["x"], i["x"]], 1)]))
    c.append(Case("reductions",
                  "input x: {dt}[batch, 4, 5]\n"
                  "output s = sum(x, axis=1)\n"
                  "output m = mean(x, axis=[1, 2], keepdims=true)\n"
                  "output x1 = max(x, axis=-1)\n"
                  "output all = mean(x)\n"
                  "output total = sum(x)",
                  {"x": ((4, 5), "normal")},
                  lambda i, v: [i["x"].sum(1),
                                i["x"].mean(dim=(1, 2), keepdim=True),
                                i["x"].amax(-1), i["x"].mean(),
                                i["x"].sum()]))
    c.append(Case("softmax",
                  "input x: {dt}[batch, 11]\ninput z: {dt}[batch, 4, 3]\n"
                  "output p = softmax(x)\noutput l = log_softmax(x)\n"
                  "output q = softmax(z, axis=1)\noutput r = log_softmax(z, 1)",
                  {"x": ((11,), "wide"), "z": ((4, 3), "normal")},
                  lambda i, v: [F.softmax(i["x"], -1),
                                F.log_softmax(i["x"], -1),
                                F.softmax(i["z"], 1),
                                F.log_softmax(i["z"], 1)]))
    c.append(Case("batchnorm",
                  "input x: {dt}[batch, 6]\ninput z: {dt}[batch, 3, 2, 5]\n"
                  "output y = batchnorm(x)\noutput w = batchnorm(z, eps=0.01)",
                  {"x": ((6,), "normal"), "z": ((3, 2, 5), "normal")},
                  lambda i, v: [
                      (i["x"] - v["y.mean"]) / torch.sqrt(v["y.var"] + 1e-3)
                      * v["y.gamma"] + v["y.beta"],
                      (i["z"] - v["w.mean"]) / torch.sqrt(v["w.var"] + 1e-2)
                      * v["w.gamma"] + v["w.beta"]]))
    c.append(Case("layernorm",
                  "input x: {dt}[batch, 3, 7]\noutput y = layernorm(x)",
                  {"x": ((3, 7), "normal")},
                  lambda i, v: [F.layer_norm(i["x"], (7,), v["y.gamma"],
                                             v["y.beta"], 1e-5)]))
    c.append(Case("normalize",
                  "input x: {dt}[batch, 4, 3]\noutput y = normalize(x)",
                  {"x": ((4, 3), "normal")},
                  lambda i, v: [(i["x"] - v["y.mean"]) /
                                torch.sqrt(torch.clamp(v["y.var"], min=1e-7))]))
    c.append(Case("dropout",
                  "input x: {dt}[batch, 9]\noutput y = dropout(x, 0.5) * 2",
                  {"x": ((9,), "normal")}, lambda i, v: [i["x"] * 2]))
    c.append(Case("embedding",
                  "input ids: i32[batch, 6]\ninput s: {dt}[batch, 1, 1]\n"
                  "output e = embedding(ids, 11, 4, dtype={dt}) * s",
                  {"ids": ((6,), "ids:11"), "s": ((1, 1), "normal")},
                  lambda i, v: [v["e.weight"][i["ids"].long()] * i["s"]]))
    c.append(Case("cross_entropy_accuracy",
                  "input logits: {dt}[batch, 10]\ninput labels: i32[batch]\n"
                  "output l = cross_entropy(logits, labels)\n"
                  "output a = accuracy(logits, labels)",
                  {"logits": ((10,), "wide"), "labels": ((), "ids:10")},
                  lambda i, v: [F.cross_entropy(i["logits"],
                                                i["labels"].long()),
                                (i["logits"].argmax(1) == i["labels"].long())
                                .to(i["logits"].dtype).mean()]))
    c.append(Case("binary_losses",
                  "input z: {dt}[batch, 1]\ninput t: {dt}[batch, 1]\n"
                  "output b = binary_cross_entropy(z, t)\n"
                  "output a = accuracy(z, t)\noutput m = mse(z, t)",
                  {"z": ((1,), "wide"), "t": ((1,), "binary")},
                  lambda i, v: [F.binary_cross_entropy_with_logits(i["z"],
                                                                   i["t"]),
                                ((i["z"] > 0) == (i["t"] > 0.5))
                                .to(i["z"].dtype).mean(),
                                F.mse_loss(i["z"], i["t"])]))
    return c


def make_input(rng, batch, shape, kind, dtype):
    full = (batch,) + tuple(shape)
    if kind.startswith("ids:"):
        return rng.integers(0, int(kind[4:]), size=full).astype(np.int32)
    if kind == "positive":
        return (rng.random(full) * 3 + 0.1).astype(dtype)
    if kind == "wide":
        return (rng.standard_normal(full) * 4).astype(dtype)
    if kind == "binary":
        return (rng.random(full) > 0.5).astype(dtype)
    return rng.standard_normal(full).astype(dtype)


def run_case(case, dtype, nnc, rng):
    dt = "f32" if dtype == np.float32 else "f64"
    source = "model m\n" + case.source.replace("{dt}", dt) + "\n"
    lib = nncpy.compile(source, nnc, name="m")
    model = nncpy.Model(lib, "m")
    model.init(7)
    variables = model.variables()
    for name, array in variables.items():
        values = rng.standard_normal(array.shape) * 0.5
        if name.endswith(".var"):
            values = np.abs(values) + 0.5
        array[...] = values.astype(array.dtype)
    torch_vars = {k: torch.from_numpy(a.copy()) for k, a in variables.items()}
    if dtype == np.float32:
        rtol = atol = 1e-4 if case.long_sums else 2e-5
    else:
        rtol = atol = 1e-10
    worst = 0.0
    for batch in case.batches:
        inputs = {name: make_input(rng, batch, shape, kind, dtype)
                  for name, (shape, kind) in case.inputs.items()}
        got = model.predict(*inputs.values())
        expected = case.ref({k: torch.from_numpy(v) for k, v in
                             inputs.items()}, torch_vars)
        for index, (g, e) in enumerate(zip(got, expected)):
            e = e.detach().numpy()
            g = g[:e.size].reshape(e.shape)
            floor = atol
            if case.winograd and dtype == np.float32:
                floor = max(atol, 2e-5 * np.abs(e).max(initial=0))
            err = np.abs(g - e) - (floor + rtol * np.abs(e))
            if not np.all(np.isfinite(g)) or err.max(initial=-1) > 0:
                i = int(np.argmax(err)) if np.all(np.isfinite(g)) else 0
                return ("output %d at batch %d: got %r, expected %r "
                        "(max abs error %.3g)" %
                        (index, batch, g.flat[i], e.flat[i],
                         np.nanmax(np.abs(g - e))))
            worst = max(worst, float(np.max(np.abs(g - e), initial=0)))
    return None


# The convolutional network of examples/cnn.nn (with a padded, strided
# conv and an average pool added): its f32 gradients at training batch
# sizes against PyTorch's autograd. test_grads.py checks every gradient in
# f64 at batch 5; this runs the f32 register tiles, threads and remainders
# that training runs.
CNN = """model cnn
input image: f32[batch, 28, 28, 1]
target label: i32[batch]
logits = image / 255.0
    |> conv2d(32, kernel=3, activation=relu)
    |> maxpool2d(2)
    |> conv2d(64, kernel=3, activation=relu)
    |> maxpool2d(2)
    |> conv2d(16, kernel=3, stride=2, padding=same, activation=tanh)
    |> avgpool2d(2, stride=1)
    |> flatten
    |> dense(32, activation=relu)
    |> dense(10)
output probs = softmax(logits)
loss = cross_entropy(logits, label)
"""


def model_and_variables(source, nnc, name, seed):
    """The compiled model, initialized with `seed`, and its variables as
    torch tensors that record gradients."""
    model = nncpy.Model(nncpy.compile(source, nnc, name=name), name)
    model.init(seed)
    v = {k: torch.from_numpy(a.copy()).requires_grad_()
         for k, a in model.variables().items()}

    def conv(x, layer, stride=1, padding="valid"):
        return conv_ref(x, v[layer + ".weight"], v[layer + ".bias"],
                        (stride, stride), padding)

    return model, v, conv


def cnn_gradients(nnc, rng):
    model, v, conv = model_and_variables(CNN, nnc, "cnn", 3)
    for batch in (64, 13):
        image = (rng.random((batch, 28, 28, 1)) * 255).astype(np.float32)
        label = rng.integers(0, 10, size=batch).astype(np.int32)
        loss, grads = model.gradients([image], [label])
        h = torch.from_numpy(image) / 255.0
        h = pool_ref(torch.relu(conv(h, "logits.conv2d1")), 2, 2, "valid",
                     "max")
        h = pool_ref(torch.relu(conv(h, "logits.conv2d2")), 2, 2, "valid",
                     "max")
        h = torch.tanh(conv(h, "logits.conv2d3", 2, "same"))
        h = pool_ref(h, 2, 1, "valid", "avg").reshape(batch, -1)
        h = torch.relu(h @ v["logits.dense1.weight"] + v["logits.dense1.bias"])
        logits = h @ v["logits.dense2.weight"] + v["logits.dense2.bias"]
        problem = compare_gradients(batch, loss, grads, logits, label, v)
        if problem:
            return problem
    return None


def compare_gradients(batch, loss, grads, logits, label, v):
    """nnc's loss and gradients against PyTorch's autograd of the cross
    entropy of `logits` (computed from the tensors in v)."""
    ref = F.cross_entropy(logits, torch.from_numpy(label).long())
    for t in v.values():
        t.grad = None
    ref.backward()
    if abs(loss - ref.item()) > 1e-5 * abs(ref.item()) + 1e-6:
        return "loss at batch %d: %r, expected %r" % (batch, loss, ref.item())
    for name, g in grads.items():
        e = v[name].grad.numpy()
        # f32 sums over the batch (and the image): relative to the
        # gradient's scale.
        err = np.abs(g - e).max() / (np.abs(e).max() + 1e-12)
        if err > 2e-5:
            return ("d loss / d %s at batch %d: max error %.3g of its "
                    "largest element" % (name, batch, err))
    return None


# Convolutions whose output gradient comes through a max pooling that
# tiles (window = stride): nnc-route-pool-gradients computes their input,
# filter and bias gradients at the pooling's winners only. Covers 'same'
# padding, a strided convolution, no activation, 3 x 3 windows, rows and
# columns that no window covers, and an input gradient without a filter
# row of 16 (conv a: C = 3, left dense). Conv b's 70 channels and 9 x 9
# windows take the pass's masks of 64 lanes as a whole block and a rest.
POOLED = """model pooled
input image: f32[batch, 18, 19, 3]
target label: i32[batch]
a = conv2d(image, 8, kernel=3, padding=same, activation=relu)
b = a |> conv2d(70, kernel=3, padding=same, activation=relu) |> maxpool2d(2)
c = b |> conv2d(12, kernel=3, stride=2, padding=same) |> maxpool2d(2)
d = a |> conv2d(8, kernel=2, activation=relu) |> maxpool2d(3)
logits = concat(flatten(c), flatten(d)) |> dense(10)
output probs = softmax(logits)
loss = cross_entropy(logits, label)
"""


def image_gradients(model, v, batches, shape, logits_of, rng):
    """nnc's gradients of `model` on random images of `shape` at each
    batch size against autograd's of logits_of(torch image, batch)."""
    for batch in batches:
        image = rng.standard_normal((batch,) + shape).astype(np.float32)
        label = rng.integers(0, 10, size=batch).astype(np.int32)
        loss, grads = model.gradients([image], [label])
        logits = logits_of(torch.from_numpy(image), batch)
        problem = compare_gradients(batch, loss, grads, logits, label, v)
        if problem:
            return problem
    return None


def pooled_gradients(nnc, rng):
    model, v, conv = model_and_variables(POOLED, nnc, "pooled", 7)

    def logits_of(image, batch):
        a = torch.relu(conv(image, "a", 1, "same"))
        b = pool_ref(torch.relu(conv(a, "b", 1, "same")), 2, 2, "valid",
                     "max")
        c = pool_ref(conv(b, "c", 2, "same"), 2, 2, "valid", "max")
        d = pool_ref(torch.relu(conv(a, "d")), 3, 3, "valid", "max")
        h = torch.cat([c.reshape(batch, -1), d.reshape(batch, -1)], dim=1)
        return h @ v["logits.weight"] + v["logits.bias"]

    return image_gradients(model, v, (1, 13, 64), (18, 19, 3), logits_of, rng)


# A filter over 256 KiB (3 x 3 x 64 x 160 f32: 360 KiB; too big for the
# Winograd form too): its convolution and its input gradient (the flipped
# filter, as big) read it block by block of output channels, over blocks
# of 16 images (batches 1, 17 and 40: a partial block, a whole one and a
# rest); conv b's 5 x 5 input gradient from a padded 3 x 3 dy also takes
# 5-column tiles with AVX2.
BIG_FILTER = """model big
input image: f32[batch, 5, 5, 6]
target label: i32[batch]
a = conv2d(image, 64, kernel=3, padding=same, activation=relu)
b = a |> conv2d(160, kernel=3, activation=tanh)
logits = b |> flatten |> dense(10)
output probs = softmax(logits)
loss = cross_entropy(logits, label)
"""


def chain_gradients(nnc, rng, source, seed, batches, shape, layers):
    """image_gradients of a chain of stride-1 convolutions, each (name,
    padding, activation), into a dense layer named logits."""
    name = source.split()[1]
    model, v, conv = model_and_variables(source, nnc, name, seed)

    def logits_of(image, batch):
        h = image
        for layer, padding, activation in layers:
            h = activation(conv(h, layer, 1, padding))
        return h.reshape(batch, -1) @ v["logits.weight"] + v["logits.bias"]

    return image_gradients(model, v, batches, shape, logits_of, rng)


def big_filter_gradients(nnc, rng):
    return chain_gradients(nnc, rng, BIG_FILTER, 11, (1, 17, 40), (5, 5, 6),
                           [("a", "same", torch.relu),
                            ("b", "valid", torch.tanh)])


# Convolutions whose input gradient is dense (no pool between them): the
# 3 x 3 stride-1 input gradients with 16 channels or more run as Winograd
# convolutions of the padded dy with the flipped filter (b's valid one:
# 13 x 12 from 11 x 10, odd rows; c's same one), and b's and c's filter
# gradients as Winograd sums over dy's 2 x 2 tiles (11 x 10: a last row
# of tiles one output row high; c's has C = F, whose V and M once shared
# a buffer), at batches that split unevenly among the threads (1: three
# parts without an image).
WINOGRAD_INPUT = """model wgi
input image: f32[batch, 13, 12, 3]
target label: i32[batch]
a = conv2d(image, 16, kernel=3, padding=same, activation=relu)
b = a |> conv2d(24, kernel=3, activation=tanh)
c = b |> conv2d(24, kernel=3, padding=same, activation=relu)
logits = c |> flatten |> dense(10)
output probs = softmax(logits)
loss = cross_entropy(logits, label)
"""


def winograd_input_gradients(nnc, rng):
    return chain_gradients(nnc, rng, WINOGRAD_INPUT, 12, (1, 5, 33),
                           (13, 12, 3), [("a", "same", torch.relu),
                                         ("b", "valid", torch.tanh),
                                         ("c", "same", torch.relu)])


# Layers 512 wide: B's rows are 2 KiB apart, so nnc-tile-and-vectorize
# packs each block's panel of B (the weights forward, dy in the filter
# gradients x^T dy) and transposes W's panel per block for dy W^T. The
# batches run every path: no full register tile (1, 7: B read in place;
# 7 rows as tiles of 4, 2 and 1),
# full tiles and remainder rows (13), two row blocks (300).
WIDE = """model wide
input x: f32[batch, 200]
target label: i32[batch]
h1 = dense(x, 512, activation=relu)
h2 = dense(h1, 512, activation=tanh)
logits = dense(h2, 10)
output probs = softmax(logits)
loss = cross_entropy(logits, label)
"""


def wide_gradients(nnc, rng):
    model, v, _ = model_and_variables(WIDE, nnc, "wide", 5)
    for batch in (1, 7, 13, 300):
        x = rng.standard_normal((batch, 200)).astype(np.float32)
        label = rng.integers(0, 10, size=batch).astype(np.int32)
        loss, grads = model.gradients([x], [label])
        h = torch.relu(torch.from_numpy(x) @ v["h1.weight"] + v["h1.bias"])
        h = torch.tanh(h @ v["h2.weight"] + v["h2.bias"])
        logits = h @ v["logits.weight"] + v["logits.bias"]
        problem = compare_gradients(batch, loss, grads, logits, label, v)
        if problem:
            return problem
    return None


# Ties, which finite differences cannot check: maxpool2d's gradient goes
# to the first maximum of each window (as torch.max_pool2d), max's is split
# evenly among the maxima (as torch.amax). x holds small integers, so that
# most windows and rows have several maxima; p = 1 keeps them tied and its
# gradient shows where each one went.
TIES = """model ties
input x: f32[batch, 6, 7, 2]
param p: f32[6, 7, 2]
h = x * p
m = maxpool2d(h, 2, padding=same)
o = maxpool2d(h, 3, stride=2)
q = maxpool2d(h, 2)
r = max(h, axis=2)
output y = m
loss = mean(m * m) + mean(o) + mean(q * q * q) + mean(r * r)
"""


def ties(nnc, rng):
    model = nncpy.Model(nncpy.compile(TIES, nnc, name="ties"), "ties")
    model.variables()["p"][...] = 1
    x = rng.integers(0, 3, size=(5, 6, 7, 2)).astype(np.float32)
    _, grads = model.gradients([x], [])
    p = torch.ones(6, 7, 2, requires_grad=True)
    h = torch.from_numpy(x) * p
    m = pool_ref(h, 2, 2, "same", "max")
    o = pool_ref(h, 3, 2, "valid", "max")
    q = pool_ref(h, 2, 2, "valid", "max")
    r = torch.amax(h, dim=2)
    ((m * m).mean() + o.mean() + (q * q * q).mean() +
     (r * r).mean()).backward()
    err = np.abs(grads["p"] - p.grad.numpy()).max()
    if err > 1e-5:
        return "d loss / d p: max error %.3g" % err
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    parser.add_argument("--only", help="run the cases whose name has this")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(2024)
    checks = [
        ("%s/%s" % (case.name, "f32" if dtype == np.float32 else "f64"),
         lambda case=case, dtype=dtype: run_case(case, dtype, args.nnc, rng))
        for case in cases()
        if not args.only or args.only in case.name
        for dtype in (np.float32, np.float64)]
    if not args.only or args.only in "cnn_gradients":
        checks.append(("cnn_gradients/f32",
                       lambda: cnn_gradients(args.nnc, rng)))
    if not args.only or args.only in "pooled_gradients":
        checks.append(("pooled_gradients/f32",
                       lambda: pooled_gradients(args.nnc, rng)))
    if not args.only or args.only in "big_filter_gradients":
        checks.append(("big_filter_gradients/f32",
                       lambda: big_filter_gradients(args.nnc, rng)))
    if not args.only or args.only in "winograd_input_gradients":
        checks.append(("winograd_input_gradients/f32",
                       lambda: winograd_input_gradients(args.nnc, rng)))
    if not args.only or args.only in "wide_gradients":
        checks.append(("wide_gradients/f32",
                       lambda: wide_gradients(args.nnc, rng)))
    if not args.only or args.only in "gradient_ties":
        checks.append(("gradient_ties/f32", lambda: ties(args.nnc, rng)))
    return nncpy.run_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
