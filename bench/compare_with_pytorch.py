#!/usr/bin/env python3
"""kerascpp's CPU backend and PyTorch side by side, in one run on one machine: runs
build/bench/model_step_bench (float32 and mixed_bfloat16) and bench/pytorch_seed_models.py
(float32 and bfloat16 autocast) with the same thread count and prints a Markdown table of
images/second with the ratio kerascpp / PyTorch, then each framework's per-step overhead (the
toy-sized VGG9 probe, one thread).

Usage: /usr/bin/python3 bench/compare_with_pytorch.py [--threads N] [--iterations N]
                                                    [--bench build/bench/model_step_bench]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(command):
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    print(out, file=sys.stderr, end="", flush=True)
    return out


def ours(bench, threads, iterations, policy):
    out = run([bench, "--backend", "cpu", "--threads", str(threads), "--precision", policy,
               "--iterations", str(iterations), "--peak", "yes"])
    rates = {}
    for model, key in (("CNN", "cnn"), ("VGG9", "vgg9")):
        m = re.search(model + r".*inference\s+([\d.]+) img/s\s+training step\s+([\d.]+) img/s\s+\(([\d.]+) GFLOP/s\)", out)
        rates[key] = (float(m.group(1)), float(m.group(2)), float(m.group(3)))
    peaks = dict(re.findall(r"gemm peak (\w+)\s+2048x2048x2048: ([\d.]+) GFLOP/s", out))
    return rates, peaks


def pytorch(threads, iterations, bf16):
    command = ["/usr/bin/python3", os.path.join(HERE, "pytorch_seed_models.py"),
               "--threads", str(threads), "--iterations", str(iterations)]
    out = run(command + (["--bf16"] if bf16 else []))
    rates = {}
    for key in ("cnn", "vgg9"):
        m = re.search(key + r" inference ([\d.]+) training ([\d.]+) \((\w+)\)", out)
        rates[key] = (float(m.group(1)), float(m.group(2)), m.group(3))
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "model_step_bench"))
    args = parser.parse_args()
    names = {"cnn": "seed 003 CNN, batch 50", "vgg9": "seed 004 VGG9, batch 64"}
    print(f"threads: {args.threads}\n")
    print("| model | precision | kerascpp inference | PyTorch inference | kerascpp training | "
          "PyTorch training | training ratio | kerascpp training GFLOP/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    peaks = {}
    for policy, bf16 in (("float32", False), ("mixed_bfloat16", True)):
        mine, peak = ours(args.bench, args.threads, args.iterations, policy)
        peaks.update(peak)
        theirs = pytorch(args.threads, args.iterations, bf16)
        label = "float32" if not bf16 else "mixed_bfloat16 / autocast bf16"
        for key in ("cnn", "vgg9"):
            mi, mt, gflops = mine[key]
            ti, tt, layout = theirs[key]
            print(f"| {names[key]} | {label} | {mi:.1f} | {ti:.1f} ({layout}) | {mt:.1f} | {tt:.1f} | "
                  f"{mt / tt:.2f}x | {gflops:.1f} |", flush=True)
    print(f"\noneDNN gemm peak (2048^3) on this machine: float32 {peaks.get('float32')} GFLOP/s, "
          f"bfloat16 {peaks.get('bfloat16')} GFLOP/s")
    # The framework's own per-step cost, one thread each: a toy VGG9 whose step is no arithmetic.
    mine = re.search(r"training step\s+[\d.]+ img/s.*\(([\d.]+) us per step\)",
                     run([args.bench, "--backend", "cpu", "--threads", "1", "--model", "overhead",
                          "--iterations", str(args.iterations)]))
    theirs = re.search(r"overhead .*\(([\d.]+) us per step\)",
                       run(["/usr/bin/python3", os.path.join(HERE, "pytorch_seed_models.py"), "--threads", "1",
                            "--models", "overhead", "--iterations", str(args.iterations)]))
    print(f"per-step overhead (toy VGG9 on 8x8 images, batch 2, 1 thread): kerascpp {mine.group(1)} us, "
          f"PyTorch eager {theirs.group(1)} us")


if __name__ == "__main__":
    main()
