#!/usr/bin/env python3
"""PyTorch twin of examples/deep_cnn.nn (Conv64 3x3 relu, MaxPool 2,
Conv128 3x3 relu, MaxPool 2, Conv256 3x3 relu, Dense512 relu, Dense10;
'valid' padding, Adam 1e-3, batch 64) on Fashion-MNIST
(test/bench/torch_twin.py: shared/peers' loader, thread setup and training
loop). --channels-last runs it in NHWC."""
import torch_twin


def make_model(torch, nn):
    return torch_twin.keras_linear_init(nn, nn.Sequential(
        nn.Conv2d(1, 64, 3), nn.ReLU(), nn.MaxPool2d(2),     # 28 -> 26 -> 13
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),   # 13 -> 11 -> 5
        nn.Conv2d(128, 256, 3), nn.ReLU(),                   # 5 -> 3
        nn.Flatten(), nn.Linear(256 * 3 * 3, 512), nn.ReLU(),
        nn.Linear(512, 10)))


torch_twin.main("deep_cnn", make_model, batch=64, description=__doc__,
                images=True)
