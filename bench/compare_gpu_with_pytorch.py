#!/usr/bin/env python3
"""kerascpp's cuda backend and PyTorch on the same GPU, in one run: for each model, batch size and
precision, build/bench/model_step_bench --backend cuda and bench/pytorch_seed_models.py --device
cuda (eager, the faster of NCHW and channels_last; torch.compile once per model), both timing
loops that synchronize once at their end (model_step_bench --loop fit, which replays a CUDA graph of
the step; also without it for the probe and the smallest float32 batch), then a
Markdown table of images/second, the ratio kerascpp / PyTorch eager, and the training step's
achieved TFLOP/s (PyTorch's count of one image's forward multiply-adds x 2, times 3 for forward
and backward, the same network on both sides) against the measured gemm peak of that precision.
float32 runs with TF32 on both sides (TensorFlow's default and kerascpp's). The overhead probe
(model_step_bench --model overhead) runs at batch 2 in float32 only: its step is the framework's
own per-step cost (host work and launches), where the table's images/second are steps x 2.

Usage: python3 bench/compare_gpu_with_pytorch.py [--bench build/bench/model_step_bench]
           [--iterations N] [--models overhead,cnn,vgg9,resnet,resnet18] [--batches 64,512]
           [--precisions float32,bf16,f16] [--compile-precision bf16|none]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = {"float32": "float32", "bf16": "mixed_bfloat16", "f16": "mixed_float16"}
PEAK_DTYPE = {"float32": "float32", "bf16": "bfloat16", "f16": "float16"}
NAMES = {"cnn": "seed 003 CNN", "vgg9": "seed 004 VGG9", "resnet": "seed 002 ResNet", "resnet18": "ResNet-18 CIFAR",
         "overhead": "overhead probe (toy VGG9, 8x8)"}


def run(command, timeout=240):
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout} s", file=sys.stderr, flush=True)
        return ""
    print(done.stdout + done.stderr[-2000:], file=sys.stderr, end="", flush=True)
    return done.stdout if done.returncode == 0 else ""


def ours(bench, model, batch, precision, iterations, graphs=True):
    out = run([bench, "--backend", "cuda", "--model", model, "--batch-size", str(batch), "--precision",
               POLICY[precision], "--iterations", str(iterations), "--loop", "fit",
               "--jit-compile", "yes" if graphs else "no"])
    m = re.search(r"inference\s+([\d.]+) img/s\s+training step\s+([\d.]+) img/s", out)
    return (float(m.group(1)), float(m.group(2))) if m else None


def pytorch(model, batch, precision, iterations, compiled):
    command = [sys.executable, os.path.join(HERE, "pytorch_seed_models.py"), "--device", "cuda", "--models", model,
               "--batch", str(batch), "--precision", precision, "--iterations", str(iterations), "--flops"]
    out = run(command + (["--compile"] if compiled else []), timeout=420 if compiled else 240)
    eager = re.search(model + r" inference ([\d.]+) training ([\d.]+) \((\w+)\)", out)
    comp = re.search(model + r" compiled inference ([\d.]+) training ([\d.]+)", out)
    flops = re.search(model + r" forward flops per image (\d+)", out)
    return (
        (float(eager.group(1)), float(eager.group(2)), eager.group(3)) if eager else None,
        (float(comp.group(1)), float(comp.group(2))) if comp else None,
        int(flops.group(1)) if flops else None,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "model_step_bench"))
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--models", default="overhead,cnn,vgg9,resnet,resnet18")  # the quick probe first
    parser.add_argument("--batches", default="64,512")
    parser.add_argument("--precisions", default="float32,bf16,f16")
    parser.add_argument("--compile-precision", default="bf16")
    args = parser.parse_args()
    peaks = dict(re.findall(r"gemm peak (\w+)\s+2048x2048x2048: ([\d.]+) GFLOP/s",
                            run([args.bench, "--backend", "cuda", "--model", "cnn", "--iterations", "1",
                                 "--peak", "yes"])))
    print("| model | batch | precision | kerascpp inference | PyTorch inference | kerascpp training | "
          "kerascpp training, no CUDA graph | PyTorch eager training | ratio | torch.compile training | "
          "kerascpp TFLOP/s (of gemm peak) |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    smallest = min(int(b) for b in args.batches.split(","))
    for model in args.models.split(","):
        probe = model == "overhead"
        for batch in [2] if probe else (int(b) for b in args.batches.split(",")):
            for precision in ["float32"] if probe else args.precisions.split(","):
                compiled = not probe and precision == args.compile_precision and batch == max(
                    int(b) for b in args.batches.split(","))
                mine = ours(args.bench, model, batch, precision, args.iterations)
                # What the graph replay (compile's jit_compile) saves, where launches weigh most.
                eager_ours = (ours(args.bench, model, batch, precision, args.iterations, graphs=False)
                              if probe or (batch == smallest and precision == "float32") else None)
                eager, comp, flops = pytorch(model, batch, precision, args.iterations, compiled)
                cell = lambda v: f"{v:.0f}" if v is not None else "failed"
                ratio = f"{mine[1] / eager[1]:.2f}x" if mine and eager else "—"
                tflops = "—"
                peak = float(peaks.get(PEAK_DTYPE[precision], 0)) / 1000
                if mine and flops:
                    achieved = 3 * flops * mine[1] / 1e12
                    tflops = f"{achieved:.1f} ({100 * achieved / peak:.0f}% of {peak:.0f})" if peak else f"{achieved:.1f}"
                print(f"| {NAMES[model]} | {batch} | {precision} | {cell(mine and mine[0])} | "
                      f"{cell(eager and eager[0])} ({eager[2] if eager else '—'}) | {cell(mine and mine[1])} | "
                      f"{cell(eager_ours[1]) if eager_ours else '—'} | {cell(eager and eager[1])} | {ratio} | {cell(comp[1]) if comp else '—'} | {tflops} |",
                      flush=True)
    print(f"\ngemm peak (2048^3, kerascpp's cuda backend, float32 with TF32): "
          + ", ".join(f"{k} {float(v) / 1000:.1f} TFLOP/s" for k, v in peaks.items()))


if __name__ == "__main__":
    main()
