#!/usr/bin/env python3
"""PyTorch twins of examples/lstm.nn and test/bench/models/gru.nn
(nn.LSTM or nn.GRU (28, 128) over the 28 rows of each image, its last
state into Linear(128, 10), Adam 1e-3, batch 64) on Fashion-MNIST
(test/bench/torch_twin.py: shared/peers' loader, thread setup and training
loop). test/bench/torch_gru.py imports rows_model for the GRU."""
import torch_twin


def rows_model(torch, nn, kind):
    cell = nn.GRU if kind == "gru" else nn.LSTM

    class Rows(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = cell(28, 128, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            out, _ = self.rnn(x.reshape(x.shape[0], 28, 28))
            return self.head(out[:, -1])

    m = Rows()
    # Keras's initializers: glorot kernel, orthogonal recurrent kernel,
    # zero biases but an LSTM's forget gate's (one, in one of the two).
    nn.init.xavier_uniform_(m.rnn.weight_ih_l0)
    nn.init.orthogonal_(m.rnn.weight_hh_l0)
    nn.init.zeros_(m.rnn.bias_ih_l0)
    nn.init.zeros_(m.rnn.bias_hh_l0)
    if kind == "lstm":
        with torch.no_grad():
            m.rnn.bias_ih_l0[128:256] = 1.0
    nn.init.xavier_uniform_(m.head.weight)
    nn.init.zeros_(m.head.bias)
    return m


if __name__ == "__main__":
    torch_twin.main("lstm", lambda torch, nn: rows_model(torch, nn, "lstm"),
                    batch=64, description=__doc__)
