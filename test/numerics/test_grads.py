#!/usr/bin/env python3
"""Compiled gradients against central finite differences, in f64.

Each model is compiled with `nnc --emit=lib`; its <model>_gradients entry
(nnc_gradients) gives the loss and d loss / d each parameter. For a sample
of every parameter's elements, (L(p + h) - L(p - h)) / 2h with h = 1e-5
(see STEPS for the exceptions) must agree with the compiled gradient:
  |fd - g| <= 1e-6 * max(|fd|, |g|) + 1e-9.
h = 1e-5 keeps the rounding error of the differences (about
eps * |loss| / h, ~1e-10) below the 1e-9 floor (a disagreement is checked
again at h / 10: a relu's kink within h of the point is not a wrong
gradient), and the truncation error
(h^2 times the third derivative) below 1e-6 relative even through
batchnorm over a batch of 5, where h = 1e-4 was not enough.
Training mode: batchnorm uses the batch's statistics; dropout the mask of
key 0, fixed, so the loss is a deterministic function of the parameters.
The example models run with their f32 types replaced by f64. Pooling cases
use random data, so that no window has two equal maxima.
"""
import argparse
import os
import sys
import zlib

import hostblas  # before torch loads OpenBLAS
hostblas.apply()

import numpy as np  # noqa: E402

import nncpy

H = 1e-5
RTOL, ATOL = 1e-6, 1e-9
BATCH = 5

CASES = {
    # Training mode: batch statistics (over all dims but the last) and a
    # dropout mask fixed by the key (nnc_gradients uses key 0).
    "batchnorm_dropout": """
input x: f64[batch, 6]
target t: f64[batch, 4]
h = batchnorm(dense(x, 4), momentum=0.9, eps=0.01)
d = dropout(h * h + h, 0.3)
output o = d
loss = mse(d, t)
""",
    "dense_relu_cross_entropy": """
input x: f64[batch, 7]
target y: i32[batch]
h = dense(x, 5, activation=relu)
logits = dense(h, 3)
output p = softmax(logits)
loss = cross_entropy(logits, y)
""",
    "activations": """
input x: f64[batch, 6]
target t: f64[batch, 1]
h = dense(x, 4)
z = sigmoid(h) + tanh(h) * 2 + exp(h * 0.1) + abs(h) * h - h + leaky_relu(h, alpha=0.3)
c = concat(z, gelu(h), h * 2)
output o = dense(c, 1)
loss = mse(o, t)
""",
    "log_sqrt_div": """
input x: f64[batch, 5]
param p: f64[5]
param q: f64[1]
h = dense(x, 4)
z = log(h * h + 1) + sqrt(h * h + 2)
w = (x * p - q) / (x * x + 1 + p * p)
output o = z
loss = mean(z) + mean(w)
""",
    "softmax_reductions": """
input x: f64[batch, 6]
target t: f64[batch, 4]
a = dense(x, 4)
b = dense(x, 4)
s = softmax(a)
l = log_softmax(b, axis=-1)
r = sum(a * b, axis=1, keepdims=true)
output o = s
loss = mse(s, t) - mean(l * t) + mean(r) * 0.01 + sum(mean(a * a, axis=0)) * 0.1
""",
    "matmul_shapes": """
input x: f64[batch, 3, 4]
input z: f64[batch, 5, 2]
target t: f64[batch, 6]
param w: f64[4, 5]
y = x @ w
u = y @ z
v = transpose(u, perm=[0, 2, 1])
f = reshape(v, [batch, 6])
output o = f
loss = mse(dense(f, 6), t) + mean(y * y) * 0.1
""",
    "binary_cross_entropy": """
input x: f64[batch, 3]
target t: f64[batch, 1]
z = dense(dense(x, 4, activation=tanh), 1)
output p = sigmoid(z)
loss = binary_cross_entropy(z, t)
""",
    # Stride 1, valid and same (kernel [3, 2]: asymmetric padding), odd
    # sizes; the second conv of each chain needs d input.
    "conv2d_stride1": """
input x: f64[batch, 7, 6, 3]
target t: f64[batch, 2]
a = conv2d(x, 4, kernel=3, activation=tanh)
b = conv2d(a, 3, kernel=[3, 2], padding=same)
c = conv2d(x, 2, kernel=[2, 3], padding=same, use_bias=false)
d = conv2d(c, 2, kernel=1)
output o = dense(flatten(b), 2)
loss = mse(o, t) + mean(d * d) * 0.1
""",
    # 16 channels or more: the 3 x 3 stride-1 input gradients of b (valid,
    # 12 x 11 from 10 x 9: an odd width) and c (same, 10 x 9) run as
    # Winograd convolutions of the padded dy with the flipped filter, and
    # their filter gradients as Winograd sums over 2 x 2 tiles of dy (b's
    # dy has an odd width).
    "conv2d_winograd_input": """
input x: f64[batch, 12, 11, 2]
target t: f64[batch, 2]
a = conv2d(x, 16, kernel=3, padding=same, activation=tanh)
b = conv2d(a, 17, kernel=3, activation=tanh)
c = conv2d(b, 16, kernel=3, padding=same)
output o = dense(flatten(c), 2)
loss = mse(o, t)
""",
    # F(4 x 4, 3 x 3) (4 x 4 tiles of dy: 11 x 11, a last row and column
    # of tiles 3 wide): b's and c's filter gradients (c's with C = F), c's
    # forward and input gradient; e's forward and filter gradient over a
    # 3 x 3 output, no whole row of tiles.
    "conv2d_winograd_f4": """
input x: f64[batch, 13, 13, 16]
input y: f64[batch, 5, 5, 16]
target t: f64[batch, 2]
b = conv2d(x, 16, kernel=3, activation=tanh)
c = conv2d(b, 16, kernel=3, padding=same)
e = conv2d(y, 16, kernel=3)
output o = dense(concat(flatten(c), flatten(e)), 2)
loss = mse(o, t)
""",
    # Stride 2 (and [2, 1]): valid with input rows no window reaches, same
    # with padding after only.
    "conv2d_stride2": """
input x: f64[batch, 9, 8, 2]
target t: f64[batch, 3]
a = conv2d(x, 3, kernel=3, stride=2, activation=tanh)
b = conv2d(a, 2, kernel=2, stride=2, padding=same)
c = conv2d(x, 2, kernel=[2, 3], stride=[2, 1], padding=same)
d = conv2d(c, 3, kernel=3, stride=[1, 2])
output o = dense(flatten(b), 3)
loss = mse(o, t) + mean(d * d) * 0.1 + mean(sigmoid(c))
""",
    # 8 input channels or more (filter gradients accumulated in place, in
    # register tiles of channels x filters): channels and filters that the
    # tiles do not divide (12, 10, 9), stride 2 with same padding, a
    # batch split in uneven parts among the threads.
    "conv2d_channels": """
input x: f64[batch, 7, 6, 12]
target t: f64[batch, 2]
a = conv2d(x, 10, kernel=3, stride=2, padding=same, activation=tanh)
b = conv2d(a, 9, kernel=[2, 3])
c = conv2d(x, 8, kernel=[3, 2], stride=[1, 2])
output o = dense(flatten(b), 2)
loss = mse(o, t) + mean(c * c) * 0.1
""",
    # Non-overlapping, overlapping and padded, and strided past the window;
    # random data avoids ties.
    "pooling": """
input x: f64[batch, 7, 7, 2]
target t: f64[batch, 2]
h = conv2d(x, 3, kernel=2)
m1 = maxpool2d(h, 2)
m2 = maxpool2d(h, 3, stride=2, padding=same)
m3 = maxpool2d(h, [2, 1], stride=[3, 2])
a1 = avgpool2d(h, 2)
a2 = avgpool2d(h, 3, stride=2, padding=same)
a3 = avgpool2d(h, [1, 3], stride=[2, 1], padding=same)
g = global_avgpool2d(h)
output o = dense(flatten(m1), 2)
loss = mse(o, t) + mean(m2 * m2) + mean(m3) + mean(a1 * a1) + mean(a2 * a2) + mean(tanh(a3)) + mean(g * g)
""",
    # Convolutions whose gradient comes only through a tiling max pool
    # (nnc-route-pool-gradients: input, filter and bias gradients at the
    # winners): relu or none, same padding, stride 2, 3 x 3 windows with
    # rows and columns no window covers.
    "pooled_conv": """
input x: f64[batch, 8, 9, 3]
target t: f64[batch, 2]
a = conv2d(x, 8, kernel=3, padding=same, activation=relu)
b = a |> conv2d(6, kernel=3, padding=same, activation=relu) |> maxpool2d(2)
c = b |> conv2d(5, kernel=3, stride=2, padding=same) |> maxpool2d(2)
d = a |> conv2d(4, kernel=2, activation=relu) |> maxpool2d(3)
output o = dense(concat(flatten(c), flatten(d)), 2)
loss = mse(o, t)
""",
    # Max over each axis, kept or not, over all; ties (the same maximum
    # twice through concat) split the gradient.
    "reduce_max": """
input x: f64[batch, 4, 5]
param p: f64[4, 5]
h = x * p
m1 = max(h, axis=1)
m2 = max(h, axis=2, keepdims=true)
m3 = max(h)
m4 = max(concat(h, h, axis=1), axis=1)
output o = m1
loss = mean(m1 * m1) + mean(m2) + m3 + mean(m4 * m4)
""",
    "embedding": """
input ids: i32[batch, 4]
target t: f64[batch, 1]
e = embedding(ids, 5, 3, dtype=f64)
output o = dense(flatten(tanh(e)), 1)
loss = mse(o, t) + mean(e * e) * 0.1
""",
    "layernorm": """
input x: f64[batch, 6]
input z: f64[batch, 2, 4]
target t: f64[batch, 3]
param p: f64[4]
h = layernorm(dense(x, 5))
k = layernorm(z * p, eps=0.01)
output o = dense(h, 3)
loss = mse(o, t) + mean(k * k * z)
""",
    # Backpropagation through time: every cell, the last state or every
    # step's, a dense per step, stacked layers (the second's input
    # gradient flows into the first).
    "recurrent": """
input x: f64[batch, 4, 3]
target t: f64[batch, 2]
a = lstm(x, 5, return_sequences=true)
b = gru(a, 4, return_sequences=true)
c = rnn(b, 3)
d = rnn(x, 2, activation=relu, return_sequences=true)
e = dense(d, 2, activation=tanh)
output o = dense(c, 2)
loss = mse(o, t) + mean(e * e) + mean(gru(x, 3) * 0.5)
""",
    # Attention: self-attention with heads and the causal mask over dense
    # projections, cross-attention with one head, a transformer-style
    # residual and layernorm, a mean over time.
    "attention": """
input x: f64[batch, 4, 6]
input s: f64[batch, 3, 6]
target t: f64[batch, 2]
q = dense(x, 6)
k = dense(x, 6)
v = dense(x, 6)
a = layernorm(x + attention(q, k, v, heads=2, causal=true))
c = attention(a, s * 0.5, dense(s, 6, name="sv"))
output o = dense(mean(c, axis=1), 2)
loss = mse(o, t)
""",
}

EXAMPLES = ["mlp.nn", "regression.nn", "residual.nn", "tabular.nn", "cnn.nn",
            "lstm.nn"]
# cnn's first layers see images / 255 (tiny values) through relu and
# maxpool: with h = 1e-4 some of their thousands of kinks fall inside
# [p - h, p + h] and bend the differences; h = 1e-6 (rounding error still
# near 1e-10) leaves none there. layernorm over 4 or 5 features curves
# enough that h^2 truncation reaches a few 1e-6 for some draws.
STEPS = {"example cnn.nn": 1e-6, "layernorm": 1e-5}


def random_inputs(model, kind, count, rng):
    out = []
    for i in range(count):
        size = getattr(model.lib, "nnc_%s_size" % kind)(model.handle, i)
        dtype = nncpy.DTYPES[getattr(model.lib, "nnc_%s_dtype" % kind)(
            model.handle, i)]
        shape = (BATCH, size)
        if dtype == np.int32:  # class labels [batch] or ids [batch, size]
            out.append(rng.integers(0, 3, size=shape if size > 1 else BATCH)
                       .astype(np.int32))
        elif kind == "target":
            out.append((rng.random(shape) > 0.5).astype(dtype))
        else:
            out.append(rng.standard_normal(shape).astype(dtype))
    return out


def check(name, source, nnc, rng, h=H):
    lib = nncpy.compile(source, nnc, name=name.replace(".", "_"))
    model_name = [l.split()[1] for l in source.splitlines()
                  if l.startswith("model ")][0]
    model = nncpy.Model(lib, model_name)
    model.init(11)
    variables = model.variables()
    for array in variables.values():
        array[...] += rng.standard_normal(array.shape) * 0.1
    inputs = random_inputs(model, "input",
                           model.lib.nnc_num_inputs(model.handle), rng)
    targets = random_inputs(model, "target",
                            model.lib.nnc_num_targets(model.handle), rng)
    loss, grads = model.gradients(inputs, targets)
    if not grads:
        return "no gradients"
    worst = 0.0
    for param, grad in grads.items():
        flat = variables[param].reshape(-1)
        picks = rng.choice(flat.size, size=min(flat.size, 6), replace=False)
        for k in picks:
            g = grad.reshape(-1)[k]

            def error_at(step):
                old = flat[k]
                flat[k] = old + step
                up, _ = model.gradients(inputs, targets)
                flat[k] = old - step
                down, _ = model.gradients(inputs, targets)
                flat[k] = old
                fd = (up - down) / (2 * step)
                return fd, abs(fd - g)
            fd, err = error_at(h)
            if err > RTOL * max(abs(fd), abs(g)) + ATOL:
                # A relu's kink within h of the point averages the slopes
                # of its sides (seen once in residual.nn): once more with
                # a tenth of the step, which a wrong gradient fails too.
                fd, err = error_at(h / 10)
            if err > RTOL * max(abs(fd), abs(g)) + ATOL:
                return ("d loss / d %s[%d]: compiled %.12g, finite "
                        "differences %.12g" % (param, k, g, fd))
            worst = max(worst, err / (max(abs(fd), abs(g)) + 1e-30))
    return None


def check_errors(nnc):
    """nnc_gradients refuses what it cannot do, with a message."""
    lib = nncpy.compile("model noloss\ninput x: f64[batch, 2]\n"
                        "output y = dense(x, 3)\n", nnc, name="noloss")
    model = nncpy.Model(lib, "noloss")
    problem = nncpy.expect_error(lambda: model.gradients([np.ones((2, 2))], []),
                                 "has no compiled gradients")
    if problem:
        return problem
    lib = nncpy.compile("model m\n" + CASES["binary_cross_entropy"],
                        nnc, name="m")
    model = nncpy.Model(lib, "m")
    return nncpy.expect_error(
        lambda: model.gradients([np.ones((0, 3))], [np.ones((0, 1))]),
        "batch must be positive")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    parser.add_argument("--examples", required=True)
    args = parser.parse_args()
    sources = {name: "model %s\n%s" % (name, body)
               for name, body in CASES.items()}
    for example in EXAMPLES:
        text = open(os.path.join(args.examples, example)).read()
        sources["example " + example] = text.replace("f32", "f64")
    # Each check draws from its own generator, seeded by its name: adding
    # a case does not move the others' points and picks.
    checks = [(name, lambda name=name, source=source: check(
        name, source, args.nnc,
        np.random.default_rng(zlib.crc32(name.encode())),
        STEPS.get(name, H)))
        for name, source in sources.items()]
    checks.append(("errors of nnc_gradients",
                   lambda: check_errors(args.nnc)))
    return nncpy.run_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
