#!/usr/bin/env python3
"""PyTorch twin of test/bench/models/wide_mlp.nn (784 -> 2048 -> 2048 -> 10,
relu, Adam 1e-3, batch 128) on Fashion-MNIST (test/bench/torch_twin.py:
shared/peers' loader, thread setup and training loop)."""
import torch_twin


def make_model(torch, nn):
    return torch_twin.keras_linear_init(nn, nn.Sequential(
        nn.Flatten(), nn.Linear(784, 2048), nn.ReLU(),
        nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 10)))


torch_twin.main("wide_mlp", make_model, batch=128, description=__doc__)
