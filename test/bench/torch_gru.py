#!/usr/bin/env python3
"""PyTorch twin of test/bench/models/gru.nn: torch_lstm.py's model with
nn.GRU(28, 128)."""
import torch_lstm
import torch_twin

torch_twin.main("gru", lambda torch, nn: torch_lstm.rows_model(torch, nn, "gru"),
                batch=64, description=__doc__)
