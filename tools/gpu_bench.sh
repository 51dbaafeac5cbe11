#!/usr/bin/env bash
# Issue 18's GPU benchmarks in one call on the GPU machine (after tools/make_gpu_bundle.sh here,
# as for tools/gpu_checks.sh): the seed models' training steps and inference against PyTorch on
# the same GPU (bench/compare_gpu_with_pytorch.py: every model, batch 64 and 512, float32 with
# TF32, mixed_bfloat16, mixed_float16, torch.compile once per model), then seed 004's recipe epoch
# (40,000 augmented training images, 10,000 validated) with the generator on the device and on
# the host. The table rows print as they finish; logs go to $OUT (or ./gpu_logs).
set -uo pipefail
source "$(dirname "$0")/gpu_machine.sh"

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv
python3 -c 'import torch; print("pytorch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
unpack_bundle

step "seed models, kerascpp cuda against PyTorch (eager, channels_last, autocast, torch.compile)"
bounded 420 python3 bench/compare_gpu_with_pytorch.py --bench build/bench/model_step_bench --iterations 10 \
  2>"$logs/compare.log" | tee "$logs/compare.md"

step "seed 004's recipe: one epoch of 40,000 augmented images, 10,000 validated"
bounded 150 build/bench/augmented_fit_bench --backend cuda --images 40000 --validation 10000 --epochs 1 2>&1 |
  tee "$logs/epoch.log"
step "done"
