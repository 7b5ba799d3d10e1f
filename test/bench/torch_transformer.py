#!/usr/bin/env python3
"""PyTorch twin of examples/transformer.nn: Linear(28, 64) per row, an
encoder block (q, k, v and output projections, 4-head scaled dot-product
attention written out as in test/numerics/test_recurrent.py, residual and
LayerNorm (no bias on k, as in transformer.nn), a 64 -> 128 -> 64 relu
feed-forward, residual and LayerNorm),
the mean over the 28 steps into Linear(64, 10); Adam 1e-3, batch 64, on
Fashion-MNIST (test/bench/torch_twin.py: shared/peers' loader, thread setup
and training loop)."""
import torch_twin


def make_model(torch, nn):
    d, heads = 64, 4

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(28, d)
            self.q, self.v = nn.Linear(d, d), nn.Linear(d, d)
            self.k = nn.Linear(d, d, bias=False)  # as transformer.nn
            self.o = nn.Linear(d, d)
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.f1, self.f2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
            self.head = nn.Linear(d, 10)

        def forward(self, image):
            n = image.shape[0]
            x = self.inp(image.reshape(n, 28, 28))
            split = lambda t: t.reshape(n, 28, heads, d // heads).transpose(1, 2)
            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            p = torch.softmax(q @ k.transpose(-1, -2) / (d // heads) ** 0.5, -1)
            att = (p @ v).transpose(1, 2).reshape(n, 28, d)
            a = self.ln1(x + self.o(att))
            h = self.ln2(a + self.f2(torch.relu(self.f1(a))))
            return self.head(h.mean(1))

    return torch_twin.keras_linear_init(nn, Encoder())


torch_twin.main("transformer", make_model, batch=64, description=__doc__)
