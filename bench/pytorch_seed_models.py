#!/usr/bin/env python3
"""The models of model_step_bench in PyTorch, timed the same way: seed 003's CIFAR CNN
(batch 50), seed 004's VGG9 (batch 64), seed 002's ResNet and a ResNet-18 for CIFAR (batch 64),
or all at --batch, and the per-step overhead probe (a toy VGG9 on 8x8 images, batch 2);
inference and full training steps (forward, cross-entropy backward, Adam update) on random
CIFAR-shaped inputs. Each model runs in NCHW and in channels_last; the faster
counts, as the CPU backend issue asks. --precision bf16 / f16 runs under torch.autocast, PyTorch's
counterpart of mixed_bfloat16 / mixed_float16 (f16 with a GradScaler, as Keras' loss scaling);
--bf16 is --precision bf16. On --device cuda the float32 runs allow TF32 (TensorFlow's and
kerascpp's default; --no-tf32 turns it off), each timing ends with torch.cuda.synchronize, and
--compile also times torch.compile(model). --flops prints each model's forward multiply-adds x 2
per image (convolutions and linear layers).

Usage: /usr/bin/python3 bench/pytorch_seed_models.py [--threads N] [--iterations N]
           [--precision float32|bf16|f16] [--device cpu|cuda]
           [--models cnn,vgg9,resnet,resnet18,overhead] [--batch N] [--compile] [--flops] [--no-tf32]
Prints one line per model: "<model> inference <img/s> training <img/s> (<layout>) (<us> us per
step)", and with --compile "<model> compiled inference <img/s> training <img/s>".
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


class BasicBlock(nn.Module):
    """A ResNet basic block; shortcut_always: seed 002's 1x1 convolution shortcut on every block."""

    def __init__(self, cin, cout, stride, bias, shortcut_always):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=bias), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=bias), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01))
        self.shortcut = nn.Identity()
        if shortcut_always or stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=bias),
                                          nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet(width, bias, shortcut_always, stem_dropout, classes=100):
    layers = [nn.Conv2d(3, width, 3, padding=1, bias=bias), nn.BatchNorm2d(width, eps=1e-3, momentum=0.01), nn.ReLU()]
    if stem_dropout:
        layers.append(nn.Dropout(stem_dropout))
    cin = width
    for stage in range(4):
        for block in range(2):
            cout = width << stage
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and block == 0 else 1, bias, shortcut_always))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def seed002_resnet():
    """apps/cifar100_resnet/resnet_model.hpp: width 128, biases, 1x1 shortcuts everywhere, stem dropout 0.5."""
    return resnet(128, True, True, 0.5)


def resnet18_cifar():
    """bench/resnet18_cifar.hpp: width 64, no biases before BN, identity shortcuts where shapes match."""
    return resnet(64, False, False, 0.0)


def overhead_probe(classes=100):
    """model_step_bench's probe: seed 004's VGG9 layer for layer at toy width, on 8x8 images."""
    def conv(cin):
        return [nn.Conv2d(cin, 4, 3, padding=1), nn.ReLU()]
    return nn.Sequential(
        nn.Dropout(0.2), *conv(3), *conv(4), nn.MaxPool2d(2), *conv(4), *conv(4), nn.MaxPool2d(2),
        *conv(4), *conv(4), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(8, classes))


# name: (constructor, default batch, image side, repetitions per --iterations)
MODELS = {"cnn": (seed003_cnn, 50, 32, 1), "vgg9": (seed004_vgg9, 64, 32, 1), "resnet": (seed002_resnet, 64, 32, 1),
          "resnet18": (resnet18_cifar, 64, 32, 1), "overhead": (overhead_probe, 2, 8, 100)}


def forward_flops(make, side=32):
    """Multiply-adds x 2 of one image's forward pass through the convolutions and linear layers."""
    model, total = make(), [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total[0] += 2 * output.numel() * k
        elif isinstance(module, nn.Linear):
            total[0] += 2 * output.numel() * module.in_features
    for m in model.modules():
        m.register_forward_hook(hook)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, side, side))
    return total[0]


def time_model(make, batch, iterations, channels_last, precision, device, compiled=False, side=32):
    torch.manual_seed(0)
    model = make().to(device)
    x = torch.rand(batch, 3, side, side, device=device)
    y = torch.randint(0, 100, (batch,), device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()  # softmax + sparse cross-entropy, as the Keras models
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16}.get(precision)
    autocast = (lambda: torch.autocast(device, dtype=dtype)) if dtype else contextlib.nullcontext
    scaler = torch.cuda.amp.GradScaler() if precision == "f16" and device == "cuda" else None
    run = torch.compile(model) if compiled else model

    def infer():
        model.eval()
        with torch.no_grad(), autocast():
            run(x)

    def train():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(run(x), y)
        if scaler:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    results = []
    for step in (infer, train):
        for _ in range(3 if compiled else 1):
            step()  # warm-up (compilation, cuDNN autotuning, allocator)
        sync()
        start = time.perf_counter()
        for _ in range(iterations):
            step()
        sync()
        results.append(batch * iterations / (time.perf_counter() - start))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--precision", choices=("float32", "bf16", "f16"), default="float32")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--models", default="cnn,vgg9")
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--flops", action="store_true")
    parser.add_argument("--no-tf32", action="store_true")
    args = parser.parse_args()
    precision = "bf16" if args.bf16 else args.precision
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = not args.no_tf32
        torch.backends.cudnn.allow_tf32 = not args.no_tf32
        torch.backends.cudnn.benchmark = True
        where = f"{torch.cuda.get_device_name()}, TF32 {'off' if args.no_tf32 else 'on'}"
    else:
        where = f"{torch.get_num_threads()} threads"
    print(f"pytorch {torch.__version__}, {where}, "
          f"{ {'float32': 'float32', 'bf16': 'bfloat16 autocast', 'f16': 'float16 autocast'}[precision]}")
    for name in args.models.split(","):
        make, default_batch, side, repeats = MODELS[name]
        batch = args.batch or default_batch
        iterations = args.iterations * repeats
        if args.flops:
            print(f"{name} forward flops per image {forward_flops(make, side)}", flush=True)
        best = None
        for channels_last in (False, True):
            infer, train = time_model(make, batch, iterations, channels_last, precision, args.device, side=side)
            layout = "channels_last" if channels_last else "NCHW"
            if best is None or train > best[1]:
                best = (infer, train, layout)
        print(f"{name} inference {best[0]:.1f} training {best[1]:.1f} ({best[2]}) "
              f"({batch / best[1] * 1e6:.1f} us per step)", flush=True)
        if args.compile:
            try:
                infer, train = time_model(make, batch, iterations, best[2] == "channels_last", precision,
                                          args.device, compiled=True, side=side)
                print(f"{name} compiled inference {infer:.1f} training {train:.1f}", flush=True)
            except Exception as e:  # torch.compile needs a working Triton/C++ toolchain there
                print(f"{name} compiled: not available ({type(e).__name__}: {str(e).splitlines()[0][:120]})",
                      flush=True)


if __name__ == "__main__":
    main()
