#!/usr/bin/env python3
"""The two models of model_step_bench in PyTorch, timed the same way: seed 003's CIFAR CNN
(batch 50) and seed 004's VGG9 (batch 64), inference and full training steps (forward,
cross-entropy backward, Adam update) on random CIFAR-shaped inputs. Each model runs in NCHW and
in channels_last; the faster counts, as the CPU backend issue asks. With --bf16 the training
step runs under torch.autocast(cpu, bfloat16), PyTorch's counterpart of mixed_bfloat16.

Usage: /usr/bin/python3 bench/pytorch_seed_models.py --threads N [--iterations N] [--bf16]
Prints one line per model: "<model> inference <img/s> training <img/s> (<layout>)".
"""
import argparse
import contextlib
import time

import torch
from torch import nn


def seed003_cnn(classes=100):
    return nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128 * 2 * 2, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, classes))


def seed004_vgg9(classes=100):
    def conv(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
    return nn.Sequential(
        nn.Dropout(0.2),
        *conv(3, 128), *conv(128, 128), nn.MaxPool2d(2),
        *conv(128, 256), *conv(256, 256), nn.MaxPool2d(2),
        *conv(256, 512), *conv(512, 512), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(512 * 4 * 4, 1000), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1000, 1000), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1000, classes))


def time_model(make, batch, iterations, channels_last, bf16):
    torch.manual_seed(0)
    model = make()
    x = torch.rand(batch, 3, 32, 32)
    y = torch.randint(0, 100, (batch,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()  # softmax + sparse cross-entropy, as the Keras models
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext

    def infer():
        model.eval()
        with torch.no_grad(), autocast():
            model(x)

    def train():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    results = []
    for step in (infer, train):
        step()  # warm-up
        start = time.perf_counter()
        for _ in range(iterations):
            step()
        results.append(batch * iterations / (time.perf_counter() - start))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{'bfloat16 autocast' if args.bf16 else 'float32'}")
    for name, make, batch in (("cnn", seed003_cnn, 50), ("vgg9", seed004_vgg9, 64)):
        best = None
        for channels_last in (False, True):
            infer, train = time_model(make, batch, args.iterations, channels_last, args.bf16)
            layout = "channels_last" if channels_last else "NCHW"
            if best is None or train > best[1]:
                best = (infer, train, layout)
        print(f"{name} inference {best[0]:.1f} training {best[1]:.1f} ({best[2]})", flush=True)


if __name__ == "__main__":
    main()
