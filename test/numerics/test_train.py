#!/usr/bin/env python3
"""Training steps of every example model against PyTorch's, f32 and f64.

Each example is compiled with `nnc --emit=lib`; its parameters after
nnc_init are copied into the same model written with torch.nn.functional,
both take the same batch and optimizer steps (the example's own optimizer:
torch.optim.SGD with momentum/Nesterov, Adam, AdamW), and afterwards every
parameter, optimizer slot and running statistic must agree after the
first step:
  max |nnc - torch| <= 1e-4 * max |torch|   (per tensor),
(after Adam's first step only where |gradient| >= 10 eps: see
adam_first_step_conditioned), and within 1e-3 after three steps (in f32, rounding differences grow with
SGD's momentum through batchnorm and relu kinks). The same run in f64 (the
examples' types made f64, PyTorch in double) must agree within 1e-9 after
the first step and 1e-8 after the third: the same math, step for step.
The recurrent examples' layers are written out step by step with Keras's
gate equations, the transformer's attention head by head.
Dropout uses nnc's mask (nncpy.dropout_mask), batchnorm Keras's biased
running variance; the losses and metrics returned by train_step must match
too, and eval_step must give the loss of the updated model in inference
mode.
"""
import argparse
import os
import re
import sys

import hostblas  # before torch loads OpenBLAS
hostblas.apply()

import numpy as np  # noqa: E402
import torch
import torch.nn.functional as F

import nncpy

RTOL = 1e-4
RTOL_LATER = 1e-3
STEPS = 3
SEED = 11
BATCH = 32


def dense(P, name, x):
    return x @ P[name + ".weight"] + P[name + ".bias"]


def batchnorm(P, S, name, x, training, momentum=0.99, eps=1e-3):
    """Keras's BatchNormalization; updates S's running statistics."""
    if training:
        mean, var = x.mean(0), x.var(0, unbiased=False)
        S[name + ".mean"] = momentum * S[name + ".mean"] + (1 - momentum) * mean.detach()
        S[name + ".var"] = momentum * S[name + ".var"] + (1 - momentum) * var.detach()
    else:
        mean, var = S[name + ".mean"], S[name + ".var"]
    return (x - mean) / torch.sqrt(var + eps) * P[name + ".gamma"] + P[name + ".beta"]


def cross_entropy_metrics(logits, y):
    loss = F.cross_entropy(logits, y.long())
    acc = (logits.argmax(1) == y.long()).float().mean()
    return loss, [acc]


def mlp(P, S, batch, training, step):
    x, y = batch
    h = torch.relu(dense(P, "h1", x.reshape(len(x), -1) / 255.0))
    h = torch.relu(dense(P, "h2", h))
    return cross_entropy_metrics(dense(P, "logits", h), y)


def conv_relu_pool(P, name, x):
    """NHWC input, HWCF filter (nnc's layouts) through torch's NCHW conv."""
    w = P[name + ".weight"].permute(3, 2, 0, 1)
    y = torch.relu(F.conv2d(x, w, P[name + ".bias"]))
    return F.max_pool2d(y, 2)


def cnn(P, S, batch, training, step):
    x, y = batch
    h = (x / 255.0).permute(0, 3, 1, 2)
    h = conv_relu_pool(P, "logits.conv2d1", h)
    h = conv_relu_pool(P, "logits.conv2d2", h)
    h = h.permute(0, 2, 3, 1).reshape(len(x), -1)  # flatten in NHWC order
    h = torch.relu(dense(P, "logits.dense1", h))
    return cross_entropy_metrics(dense(P, "logits.dense2", h), y)


def resmlp(P, S, batch, training, step):
    x, y = batch
    h = torch.relu(dense(P, "h", x / 255.0))
    for r in ("r1", "r2"):
        t = torch.relu(dense(P, r + ".h", h))
        t = batchnorm(P, S, r + ".h_2", t, training)
        h = torch.relu(h + dense(P, r + ".h_3", t))
    if training:
        key = nncpy.step_key(SEED, step)
        h = h * torch.tensor(nncpy.dropout_mask(key, 0, h.shape, 0.2),
                             dtype=h.dtype)
    return cross_entropy_metrics(dense(P, "logits", h), y)


def tabular(P, S, batch, training, step):
    x, y = batch
    x = (x - S["x.mean"]) / torch.sqrt(torch.clamp(S["x.var"], min=1e-7))
    h = torch.relu(dense(P, "h", x))
    h = torch.relu(dense(P, "h_2", h))
    logit = dense(P, "logit", h)
    loss = F.binary_cross_entropy_with_logits(logit, y)
    acc = ((logit > 0) == (y > 0.5)).float().mean()
    return loss, [acc]


def regression(P, S, batch, training, step):
    x, y = batch
    pred = dense(P, "pred", torch.tanh(dense(P, "h", x)))
    return F.mse_loss(pred, y), [(pred - y).abs().mean()]


def recurrent(P, name, x, cell):
    """Keras's LSTM (gates i f c o) or GRU (z r h, reset_after) written out
    step by step; the last state."""
    k, u, b = (P[name + "." + p] for p in ("kernel", "recurrent_kernel",
                                            "bias"))
    units = u.shape[0]
    h = torch.zeros(x.shape[0], units, dtype=x.dtype)
    c = torch.zeros_like(h)
    for t in range(x.shape[1]):
        if cell == "lstm":
            i, f, g, o = (x[:, t] @ k + h @ u + b).split(units, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            xz, xr, xh = (x[:, t] @ k + b[0]).split(units, 1)
            hz, hr, hh = (h @ u + b[1]).split(units, 1)
            z, r = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
            h = z * h + (1 - z) * torch.tanh(xh + r * hh)
    return h


def lstm(P, S, batch, training, step):
    x, y = batch
    h = recurrent(P, "h", x / 255.0, "lstm")
    return cross_entropy_metrics(dense(P, "logits", h), y)


def gru_series(P, S, batch, training, step):
    x, y = batch
    pred = dense(P, "pred", recurrent(P, "h", x, "gru"))
    return F.mse_loss(pred, y), [(pred - y).abs().mean()]


def text(P, S, batch, training, step):
    ids, y = batch
    e = P["e.weight"][ids.long()]
    return cross_entropy_metrics(dense(P, "logits", recurrent(P, "h", e,
                                                              "lstm")), y)


def layernorm(P, name, x, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], P[name + ".gamma"],
                        P[name + ".beta"], eps)


def transformer(P, S, batch, training, step):
    """examples/transformer.nn: attention written out as in
    test_recurrent.py (4 heads of 16)."""
    image, y = batch
    n = len(image)
    x = dense(P, "x", image / 255.0)
    split = lambda t: t.reshape(n, 28, 4, 16).transpose(1, 2)
    q, v = split(dense(P, "h.q", x)), split(dense(P, "h.v", x))
    k = split(x @ P["h.k.weight"])
    p = torch.softmax(q @ k.transpose(-1, -2) * 0.25, -1)
    att = (p @ v).transpose(1, 2).reshape(n, 28, 64)
    a = layernorm(P, "h.a.layernorm1", x + dense(P, "h.a.dense1", att))
    f = dense(P, "h.f.dense2", torch.relu(dense(P, "h.f.dense1", a)))
    h = layernorm(P, "h.out", a + f)
    return cross_entropy_metrics(dense(P, "logits", h.mean(1)), y)


FLOAT = np.float32  # the run's float type (main() runs f32, then f64)


def image_batch(rng, shape):
    x = rng.integers(0, 256, size=(BATCH, *shape)).astype(FLOAT)
    return [x], [rng.integers(0, 10, size=BATCH).astype(np.int32)]


EXAMPLES = {
    "mlp.nn": (mlp, lambda rng: image_batch(rng, (28, 28))),
    "cnn.nn": (cnn, lambda rng: image_batch(rng, (28, 28, 1))),
    "residual.nn": (resmlp, lambda rng: image_batch(rng, (784,))),
    "tabular.nn": (tabular, lambda rng: (
        [rng.normal(2.0, 3.0, size=(BATCH, 8)).astype(FLOAT)],
        [rng.integers(0, 2, size=(BATCH, 1)).astype(FLOAT)])),
    "regression.nn": (regression, lambda rng: (
        [rng.normal(size=(BATCH, 4)).astype(FLOAT)],
        [rng.normal(size=(BATCH, 1)).astype(FLOAT)])),
    "lstm.nn": (lstm, lambda rng: image_batch(rng, (28, 28))),
    "transformer.nn": (transformer, lambda rng: image_batch(rng, (28, 28))),
    "gru_series.nn": (gru_series, lambda rng: (
        [rng.normal(size=(BATCH, 24, 1)).astype(FLOAT)],
        [rng.normal(size=(BATCH, 1)).astype(FLOAT)])),
    "text.nn": (text, lambda rng: (
        [rng.integers(0, 64, size=(BATCH, 20)).astype(np.int32)],
        [rng.integers(0, 2, size=BATCH).astype(np.int32)])),
}


def torch_optimizer(settings, params):
    kind = settings["kind"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=settings["lr"],
                               momentum=settings.get("momentum", 0.0),
                               nesterov=bool(settings.get("nesterov", False)))
    betas = (settings["beta1"], settings["beta2"])
    if kind == "adam":
        return torch.optim.Adam(params, lr=settings["lr"], betas=betas,
                                eps=settings["eps"])
    return torch.optim.AdamW(params, lr=settings["lr"], betas=betas,
                             eps=settings["eps"],
                             weight_decay=settings["weight_decay"])


def compare(label, got, want, rtol=RTOL):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = max(np.abs(want).max(), 1e-30)
    err = np.abs(got - want).max() / scale
    return None if err <= rtol else "%s: relative difference %.3g" % (label, err)


def adam_first_step_conditioned(opt, p, step):
    """Where Adam's first step is well-conditioned: |g| >= 10 eps.

    That step moves a parameter by lr * g / (|g| + eps): for a gradient
    within a few eps of zero (1e-6 of the largest one, say) a rounding
    difference of a few percent in it (a sum that cancels: another
    convolution algorithm, another summation order) moves the parameter by
    a sizeable part of lr, far beyond 1e-4 of the parameters' scale. Such
    elements are checked through their gradient instead (the m slot,
    0.1 g, to the same tolerance); later steps' m and v smooth it out.
    """
    if step != 1 or FLOAT != np.float32 or "exp_avg" not in opt.state[p]:
        return None
    eps = opt.param_groups[0]["eps"]
    return np.abs(p.grad.numpy()) >= 10 * eps


def compare_state(model, opt, P, S, step, rtol):
    """Parameters, optimizer slots and running statistics."""
    variables = model.variables()
    problems = []
    for n, p in P.items():
        got, want = variables[n], p.detach().numpy()
        where = adam_first_step_conditioned(opt, p, step)
        if where is not None and where.any():
            got, want = got[where], want[where]
        problems.append(compare("step %d %s" % (step, n), got, want, rtol))
        for slot, torch_slot in (("m", "exp_avg"), ("v", "exp_avg_sq"),
                                 ("momentum", "momentum_buffer")):
            key = "optimizer.%s.%s" % (slot, n)
            if key in variables:
                problems.append(compare(
                    "step %d %s" % (step, key), variables[key],
                    opt.state[p][torch_slot].numpy(), rtol))
    for n, v in S.items():
        problems.append(compare("step %d %s" % (step, n), variables[n],
                                v.numpy(), rtol))
    return problems


def check(example, forward, make_batch, nnc, workdir, rng, rtol, rtol_later):
    global FLOAT
    path = os.path.join(ARGS.examples, example)
    source = open(path).read()
    wide = rtol < 1e-6
    FLOAT = np.float64 if wide else np.float32
    if wide:
        source = source.replace("f32", "f64")
        # An embedding's table is f32 unless its dtype says otherwise.
        source = re.sub(r"embedding\(([^)]*)\)", r"embedding(\1, dtype=f64)",
                        source)
    lib = nncpy.compile(source, nnc, workdir,
                        name=example.replace(".nn", "") + ("64" if wide else ""))
    model = nncpy.Model(lib, open(path).read().split("model ")[1].split()[0])
    model.init(SEED)
    desc = model.description()
    variables = model.variables()
    if desc["normalize"]:  # statistics of "the data": fixed values here
        variables["x.mean"][:] = 2.0
        variables["x.var"][:] = 9.0
    names = model.trainable()
    P = {n: torch.tensor(variables[n].copy(), requires_grad=True) for n in names}
    S = {n: torch.tensor(v.copy()) for n, v in variables.items()
         if n not in P and not n.startswith("optimizer.")}
    opt = torch_optimizer(desc["train"]["optimizer"], [P[n] for n in names])
    problems = []
    for step in range(1, STEPS + 1):
        inputs, targets = make_batch(rng)
        results = model.train_step(inputs, targets)
        opt.zero_grad()
        loss, metrics = forward(P, S, (torch.tensor(inputs[0]),
                                       torch.tensor(targets[0])), True, step)
        loss.backward()
        opt.step()
        problems.append(compare("step %d loss" % step, results[:1],
                                [loss.item()], rtol_later))
        problems.append(compare("step %d metrics" % step, results[1:],
                                [m.item() for m in metrics], rtol_later))
        if step == 1 or step == STEPS:
            problems += compare_state(model, opt, P, S, step,
                                      rtol if step == 1 else rtol_later)
    inputs, targets = make_batch(rng)
    results = model.eval_step(inputs, targets)
    with torch.no_grad():
        loss, metrics = forward(P, S, (torch.tensor(inputs[0]),
                                       torch.tensor(targets[0])), False, 0)
    problems.append(compare("eval loss", results[:1], [loss.item()],
                            rtol_later))
    problems = [p for p in problems if p]
    return "; ".join(problems) if problems else None


def check_errors(nnc, workdir):
    """The training entries refuse what they cannot do, with a message."""
    lib = nncpy.compile("model noloss\ninput x: f32[batch, 2]\n"
                        "output y = dense(x, 3)\n", nnc, workdir, name="noloss")
    model = nncpy.Model(lib, "noloss")
    x = np.ones((2, 2), np.float32)
    problems = [
        nncpy.expect_error(lambda: model.train_step([x], []),
                           "has no compiled train_step (it needs a loss)"),
        nncpy.expect_error(lambda: model.eval_step([x], []),
                           "has no compiled eval_step (it needs a loss)")]
    path = os.path.join(ARGS.examples, "regression.nn")
    lib = nncpy.compile(open(path).read(), nnc, workdir, name="regression")
    model = nncpy.Model(lib, "regression")
    y = np.ones((0, 1), np.float32)
    problems += [
        nncpy.expect_error(lambda: model.train_step([np.ones((0, 4))], [y]),
                           "batch must be positive, got 0"),
        nncpy.expect_error(lambda: model.set_learning_rate(-1.0),
                           "the learning rate must be a positive number"),
        nncpy.expect_error(lambda: model.set_learning_rate(float("nan")),
                           "the learning rate must be a positive number"),
        nncpy.expect_error(lambda: model.set_step(-1),
                           "the step must be >= 0")]
    problems = [p for p in problems if p]
    return "; ".join(problems) if problems else None


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnc", required=True)
    parser.add_argument("--examples", required=True)
    ARGS = parser.parse_args()
    torch.manual_seed(0)
    workdir = nncpy.tempfile.mkdtemp(prefix="nnc-train-")
    # Each example draws its own batches (a seed of its own).
    checks = [("%d steps of %s in %s" % (STEPS, name, dtype),
               lambda i=i, name=name, fn=fn, tol=tol: check(
                   name, fn[0], fn[1], ARGS.nnc, workdir,
                   np.random.default_rng(3 + i), *tol))
              for dtype, tol in (("f32", (RTOL, RTOL_LATER)),
                                 ("f64", (1e-9, 1e-8)))
              for i, (name, fn) in enumerate(EXAMPLES.items())]
    checks.append(("errors of the training entries",
                   lambda: check_errors(ARGS.nnc, workdir)))
    return nncpy.run_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
