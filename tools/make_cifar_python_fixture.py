#!/usr/bin/env python3
"""Writes tests/fixtures/cifar-100-python/{train,test,meta}: CIFAR-100's python version
(pickled dicts, protocol 2, numpy uint8 data) holding the first records of the genuine binary
files in ../shared/data/cifar-100-binary-head. tests/datasets/cifar_test.cpp reads both and
expects identical tensors. Needs numpy (e.g. the venv of tools/make_keras_fixtures.py)."""
import os
import pickle

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "shared", "data", "cifar-100-binary-head")
TARGET = os.path.join(HERE, "..", "tests", "fixtures", "cifar-100-python")
COUNTS = {"train": 6, "test": 4}


def records(split, n):
    raw = np.fromfile(os.path.join(SOURCE, f"{split}.bin"), dtype=np.uint8, count=n * 3074).reshape(n, 3074)
    return raw[:, 0].tolist(), raw[:, 1].tolist(), raw[:, 2:].copy()


def main():
    os.makedirs(TARGET, exist_ok=True)
    for split, n in COUNTS.items():
        coarse, fine, data = records(split, n)
        batch = {b"filenames": [f"image_{i}.png".encode() for i in range(n)],
                 b"batch_label": f"{split}ing batch 1 of 1".encode(),
                 b"fine_labels": fine, b"coarse_labels": coarse, b"data": data}
        with open(os.path.join(TARGET, split), "wb") as f:
            pickle.dump(batch, f, protocol=2)
    names = lambda f: [l.strip().encode() for l in open(os.path.join(SOURCE, f)) if l.strip()]
    with open(os.path.join(TARGET, "meta"), "wb") as f:
        pickle.dump({b"fine_label_names": names("fine_label_names.txt"),
                     b"coarse_label_names": names("coarse_label_names.txt")}, f, protocol=2)


if __name__ == "__main__":
    main()
