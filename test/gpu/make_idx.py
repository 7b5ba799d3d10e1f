"""Writes a small MNIST-format folder (train and t10k, IDX, not gzipped)
of random 28x28 images and labels 0-9: data for tests that only need the
shape of Fashion-MNIST.  usage: make_idx.py FOLDER [TRAIN] [TEST]"""
import os
import random
import struct
import sys


def write(folder, part, n, rng):
    with open(os.path.join(folder, part + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28))
        f.write(bytes(rng.randrange(256) for _ in range(n * 28 * 28)))
    with open(os.path.join(folder, part + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n))
        f.write(bytes(rng.randrange(10) for _ in range(n)))


def main():
    folder = sys.argv[1]
    train = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    test = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(1)
    write(folder, "train", train, rng)
    write(folder, "t10k", test, rng)


if __name__ == "__main__":
    main()
