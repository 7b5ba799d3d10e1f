#!/usr/bin/env python3
"""rnn, lstm, gru and attention against PyTorch: outputs and gradients.

Each case compiles a model `h = <cell>(x * p, units, ...)` with a loss
mse(h, t) (`nnc --emit=lib`), sets its parameters to random values, and
compares, at batch sizes 1, 7 and 33:
  - nnc_predict's h with PyTorch's nn.LSTM / nn.GRU / nn.RNN (batch_first)
    given the same weights, mapped from Keras's layout by the rule of
    docs/recurrent.md (kernel = weight_ih^T; a gru's gates z, r, h are
    PyTorch's z, r, n reordered; PyTorch's two biases are ours' [0] and [1],
    an lstm's and rnn's second bias zero); an rnn with sigmoid or no
    activation against the same recurrence written out in torch;
  - nnc_gradients' gradients of the loss (kernel, recurrent kernel, bias and,
    through p, the input's) with PyTorch's autograd.
Attention cases compile `a = attention(x * pq, s * pk, s * pv, heads=,
causal=)` (s = x for self-attention) and compare with scaled dot-product
attention written out in torch (heads split from the features, scores
q kᵀ / sqrt(d / heads), future keys set to -inf when causal, softmax, and
the heads joined again), outputs and gradients, at the same batch sizes.
The initializers are checked too: after init, a recurrent kernel's rows are
orthonormal (Keras's orthogonal on [units, gates * units]), an lstm's bias
is one on the forget gate and zero elsewhere, a gru's and rnn's zero, and
the kernel inside glorot_uniform's limit.
Tolerances, max |nnc - torch| over each tensor:
  f32: 2e-5 * max(1, max |torch|); f64: 1e-10 * max(1, max |torch|).
"""
import argparse
import sys

import hostblas  # before torch loads OpenBLAS
hostblas.apply()

import numpy as np  # noqa: E402
import torch

import nncpy

BATCHES = (1, 7, 33)
TOL = {"f32": 2e-5, "f64": 1e-10}
DTYPE = {"f32": torch.float32, "f64": torch.float64}

# (name, cell, activation, units, steps, features, return_sequences)
CASES = [
    ("lstm", "lstm", None, 5, 6, 3, False),
    ("lstm_sequences", "lstm", None, 13, 4, 7, True),
    ("lstm_one_step", "lstm", None, 4, 1, 2, True),
    ("gru", "gru", None, 6, 5, 4, False),
    ("gru_sequences", "gru", None, 17, 3, 5, True),
    ("rnn_tanh", "rnn", "tanh", 7, 6, 3, False),
    ("rnn_relu_sequences", "rnn", "relu", 9, 4, 2, True),
    ("rnn_sigmoid", "rnn", "sigmoid", 3, 5, 4, True),
    ("rnn_none", "rnn", "none", 4, 3, 3, False),
]


# (name, query steps, key steps (None: self-attention), features, heads,
#  causal)
ATTENTION_CASES = [
    ("attention", 5, None, 4, 1, False),
    ("attention_heads_causal", 6, None, 6, 2, True),
    ("attention_cross", 3, 5, 6, 3, False),
    ("attention_four_heads_causal", 4, None, 8, 4, True),
]


def source(cell, activation, units, steps, features, sequences, dt):
    shape = "[batch, %d, %d]" % (steps, units) if sequences else \
        "[batch, %d]" % units
    args = "%d, return_sequences=%s" % (units, "true" if sequences else
                                        "false")
    if activation:
        args += ", activation=" + activation
    return ("model m\ninput x: %s[batch, %d, %d]\ntarget t: %s%s\n"
            "param p: %s[%d, %d]\nh = %s(x * p, %s)\noutput o = h\n"
            "loss = mse(h, t)\n" % (dt, steps, features, dt, shape, dt,
                                    steps, features, cell, args))


def torch_forward(cell, activation, units, v, x, sequences):
    """PyTorch's result for nnc's parameters `v` (torch tensors)."""
    kernel, recurrent, bias = v["h.kernel"], v["h.recurrent_kernel"], \
        v["h.bias"]
    H = units
    if cell == "rnn" and activation in ("sigmoid", "none"):
        act = torch.sigmoid if activation == "sigmoid" else (lambda a: a)
        h = torch.zeros(x.shape[0], H, dtype=x.dtype)
        outs = []
        for t in range(x.shape[1]):
            h = act(x[:, t] @ kernel + h @ recurrent + bias)
            outs.append(h)
        return torch.stack(outs, 1) if sequences else h
    # PyTorch's nn.LSTM / nn.GRU / nn.RNN kernels (torch._VF, what the
    # modules call), with weights that are functions of ours so that
    # autograd reaches ours.
    if cell == "gru":
        perm = list(range(H, 2 * H)) + list(range(H)) + \
            list(range(2 * H, 3 * H))  # (z, r, h) -> PyTorch's (r, z, n)
        w_ih, w_hh = kernel[:, perm].T, recurrent[:, perm].T
        b_ih, b_hh = bias[0, perm], bias[1, perm]
    else:
        w_ih, w_hh = kernel.T, recurrent.T
        b_ih, b_hh = bias, torch.zeros_like(bias)
    weights = [w_ih.contiguous(), w_hh.contiguous(), b_ih.contiguous(),
               b_hh.contiguous()]
    h0 = torch.zeros(1, x.shape[0], H, dtype=x.dtype)
    common = (weights, True, 1, 0.0, False, False, True)
    if cell == "lstm":
        out = torch._VF.lstm(x, (h0, h0), *common)[0]
    elif cell == "gru":
        out = torch._VF.gru(x, h0, *common)[0]
    else:
        fn = torch._VF.rnn_tanh if activation == "tanh" else \
            torch._VF.rnn_relu
        out = fn(x, h0, *common)[0]
    return out if sequences else out[:, -1]


def check(case, dt, nnc, rng):
    name, cell, activation, units, steps, features, sequences = case
    lib = nncpy.compile(source(cell, activation, units, steps, features,
                               sequences, dt), nnc, name="%s_%s" % (name, dt))
    model = nncpy.Model(lib, "m")
    model.init(3)
    variables = model.variables()
    for key, array in variables.items():
        array[...] = rng.standard_normal(array.shape) * (0.5 if key != "p"
                                                         else 1.0)
    tol = TOL[dt]
    for batch in BATCHES:
        x = rng.standard_normal((batch, steps, features))
        tshape = (batch, steps, units) if sequences else (batch, units)
        target = rng.standard_normal(tshape)
        (out,) = model.predict(x)
        loss, grads = model.gradients([x], [target])

        tv = {k: torch.tensor(np.array(a), dtype=DTYPE[dt],
                              requires_grad=True)
              for k, a in variables.items()}
        tx = torch.tensor(x, dtype=DTYPE[dt])
        y = torch_forward(cell, activation, units, tv, tx * tv["p"],
                          sequences)
        ref_loss = torch.mean((y - torch.tensor(target, dtype=DTYPE[dt]))
                              ** 2)
        ref_loss.backward()
        got = out.reshape(y.shape)
        want = y.detach().numpy()
        scale = max(1.0, float(np.abs(want).max()))
        err = float(np.abs(got - want).max())
        if not err <= tol * scale:
            return "batch %d: output differs by %.3g" % (batch, err)
        if abs(loss - float(ref_loss)) > tol * max(1.0, abs(float(ref_loss))):
            return "batch %d: loss %.10g, PyTorch's %.10g" % (
                batch, loss, float(ref_loss))
        for key, g in grads.items():
            ref = tv[key].grad.numpy()
            scale = max(1.0, float(np.abs(ref).max()))
            err = float(np.abs(g - ref).max())
            if not err <= tol * scale:
                return "batch %d: d loss / d %s differs by %.3g (max %.3g)" % (
                    batch, key, err, scale)
    return None


def attention_source(tq, tk, d, heads, causal, dt):
    kv = "s" if tk else "x"
    tk = tk or tq
    return ("model m\ninput x: {dt}[batch, {tq}, {d}]\n{s}"
            "target t: {dt}[batch, {tq}, {d}]\nparam pq: {dt}[{tq}, {d}]\n"
            "param pk: {dt}[{tk}, {d}]\nparam pv: {dt}[{tk}, {d}]\n"
            "a = attention(x * pq, {kv} * pk, {kv} * pv, heads={h}, "
            "causal={c})\noutput o = a\nloss = mse(a, t)\n").format(
                dt=dt, tq=tq, tk=tk, d=d, h=heads, kv=kv,
                c="true" if causal else "false",
                s="input s: %s[batch, %d, %d]\n" % (dt, tk, d)
                if kv == "s" else "")


def torch_attention(q, k, v, heads, causal):
    n, tq, d = q.shape
    tk, e = k.shape[1], d // heads
    qh = q.reshape(n, tq, heads, e).transpose(1, 2)
    kh = k.reshape(n, tk, heads, e).transpose(1, 2)
    vh = v.reshape(n, tk, heads, e).transpose(1, 2)
    scores = qh @ kh.transpose(-1, -2) / e ** 0.5
    if causal:
        future = torch.ones(tq, tk, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    y = torch.softmax(scores, -1) @ vh
    return y.transpose(1, 2).reshape(n, tq, d)


def compare(name, got, want, tol):
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(got - want).max())
    if not err <= tol * scale:
        return "%s differs by %.3g (max %.3g)" % (name, err, scale)
    return None


def check_attention(case, dt, nnc, rng):
    name, tq, tk, d, heads, causal = case
    lib = nncpy.compile(attention_source(tq, tk, d, heads, causal, dt), nnc,
                        name="%s_%s" % (name, dt))
    model = nncpy.Model(lib, "m")
    model.init(3)
    variables = model.variables()
    for array in variables.values():
        array[...] = rng.standard_normal(array.shape)
    tol = TOL[dt]
    for batch in BATCHES:
        x = rng.standard_normal((batch, tq, d))
        inputs = [x] + ([rng.standard_normal((batch, tk, d))] if tk else [])
        target = rng.standard_normal((batch, tq, d))
        (out,) = model.predict(*inputs)
        loss, grads = model.gradients(inputs, [target])
        tv = {k: torch.tensor(np.array(a), dtype=DTYPE[dt],
                              requires_grad=True)
              for k, a in variables.items()}
        tx = torch.tensor(x, dtype=DTYPE[dt])
        ts = torch.tensor(inputs[-1], dtype=DTYPE[dt])
        y = torch_attention(tx * tv["pq"], ts * tv["pk"], ts * tv["pv"],
                            heads, causal)
        ref_loss = torch.mean((y - torch.tensor(target, dtype=DTYPE[dt]))
                              ** 2)
        ref_loss.backward()
        problem = compare("output", out.reshape(y.shape),
                          y.detach().numpy(), tol)
        for key, g in grads.items():
            problem = problem or compare("d loss / d " + key, g,
                                         tv[key].grad.numpy(), tol)
        if problem:
            return "batch %d: %s" % (batch, problem)
    return None


def check_init(cell, nnc):
    units, features = 5, 3
    lib = nncpy.compile(source(cell, None if cell != "rnn" else "tanh", units,
                               4, features, False, "f64"), nnc,
                        name="init_" + cell)
    model = nncpy.Model(lib, "m")
    model.init(11)
    v = model.variables()
    rk, kernel, bias = v["h.recurrent_kernel"], v["h.kernel"], v["h.bias"]
    gram = rk @ rk.T
    if not np.allclose(gram, np.eye(units), atol=1e-12):
        return "recurrent kernel's rows not orthonormal: R Rt = %s" % gram
    want = np.zeros_like(bias)
    if cell == "lstm":
        want[units:2 * units] = 1.0
    if not np.array_equal(bias, want):
        return "bias after init: %s" % bias
    limit = (6.0 / (features + kernel.shape[1])) ** 0.5
    if np.abs(kernel).max() > limit or np.abs(kernel).max() < limit / 2:
        return "kernel outside glorot_uniform's limit %.3g: max %.3g" % (
            limit, np.abs(kernel).max())
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    checks = []
    for case in CASES:
        for dt in ("f32", "f64"):
            checks.append(("%s %s" % (case[0], dt),
                           lambda case=case, dt=dt: check(case, dt, args.nnc,
                                                          rng)))
    for case in ATTENTION_CASES:
        for dt in ("f32", "f64"):
            checks.append(("%s %s" % (case[0], dt),
                           lambda case=case, dt=dt: check_attention(
                               case, dt, args.nnc, rng)))
    for cell in ("lstm", "gru", "rnn"):
        checks.append(("%s initializers" % cell,
                       lambda cell=cell: check_init(cell, args.nnc)))
    return nncpy.run_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
