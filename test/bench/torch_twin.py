"""The command line, data, thread setup and training loop that the PyTorch
twins of nnc's benchmark models share (test/bench/torch_X.py): the same
command line and JSON as shared/peers/torch_mlp.py, which
test/bench/train.py reads.

  import torch_twin
  torch_twin.main("lstm", make_model, batch=64)

`make_model(torch, nn)` builds the model with Keras's initializers.
Image models (images=True) get the images as [N, 1, 28, 28], and
--channels-last runs them (and the model) in NHWC memory format."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "..",
                                                 "shared", "peers")))
import peers_common as pc  # noqa: E402


def keras_linear_init(nn, model):
    """Keras's defaults on every nn.Linear and nn.Conv2d: glorot_uniform,
    zero bias."""
    for mod in model.modules():
        if isinstance(mod, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(mod.weight)
            if mod.bias is not None:
                nn.init.zeros_(mod.bias)
    return model


def main(name, make_model, batch, description=None, images=False):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--blas-threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--no-infer", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=pc.DEFAULT_DATA)
    ap.add_argument("--json", default=None)
    ap.add_argument("--channels-last", action="store_true",
                    help="NHWC memory format (image models)")
    args = ap.parse_args()

    pc.early_threads(args.threads, args.blas_threads)  # before torch loads

    import torch
    from torch import nn

    pc.set_threads(torch, args.threads, args.blas_threads)
    env = pc.env_report(torch)
    xtr_np, ytr_np, xte_np, yte_np = pc.load_fmnist(args.data_dir)
    xtr, ytr = torch.from_numpy(xtr_np), torch.from_numpy(ytr_np)
    xte, yte = torch.from_numpy(xte_np), torch.from_numpy(yte_np)
    layout = (torch.channels_last if images and args.channels_last
              else torch.contiguous_format)
    if images:
        xtr = xtr.unsqueeze(1).contiguous(memory_format=layout)
        xte = xte.unsqueeze(1).contiguous(memory_format=layout)
    runs = []
    for r in range(args.repeats):
        torch.manual_seed(args.seed + r)
        model = make_model(torch, nn)
        if images:
            model = model.to(memory_format=layout)
        eps = pc.train_epochs(torch, model, xtr, ytr, args.epochs, args.batch,
                              args.seed + r, log_prefix="[%s] " % name)
        acc = pc.evaluate(torch, model, xte, yte)
        print("test_accuracy=%.4f" % acc, flush=True)
        runs.append({"epochs": eps, "test_accuracy": acc})
    pc.write_json(args.json, {"model": name, "args": vars(args),
                              "env": env, "runs": runs})
