#!/usr/bin/env python3
"""PyTorch twin of test/bench/models/tf_cnn.nn (TensorFlow's tutorial CNN:
Conv32 5x5 same relu, MaxPool 2, Conv64 5x5 same relu, MaxPool 2,
Dense1024 relu, Dropout 0.4, Dense10; Adam 1e-3, batch 64) on
Fashion-MNIST (test/bench/torch_twin.py: shared/peers' loader, thread
setup and training loop). --channels-last runs it in NHWC."""
import torch_twin


def make_model(torch, nn):
    return torch_twin.keras_linear_init(nn, nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 14
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 7
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(),
        nn.Dropout(0.4), nn.Linear(1024, 10)))


torch_twin.main("tf_cnn", make_model, batch=64, description=__doc__,
                images=True)
