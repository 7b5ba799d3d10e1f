#!/usr/bin/env python3
"""PyTorch twin of test/bench/models/vgg.nn (Conv32 3x3 same relu, Conv32
3x3 same relu, MaxPool 2, Conv64 3x3 same relu, MaxPool 2, Dense256 relu,
Dense10; Adam 1e-3, batch 64) on Fashion-MNIST (test/bench/torch_twin.py:
shared/peers' loader, thread setup and training loop). --channels-last
runs it in NHWC."""
import torch_twin


def make_model(torch, nn):
    return torch_twin.keras_linear_init(nn, nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),           # 28
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),          # 28
        nn.MaxPool2d(2),                                     # 14
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),          # 14
        nn.MaxPool2d(2),                                     # 7
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(),
        nn.Linear(256, 10)))


torch_twin.main("vgg", make_model, batch=64, description=__doc__,
                images=True)
