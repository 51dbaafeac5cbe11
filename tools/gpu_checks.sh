#!/usr/bin/env bash
# Every check that needs a GPU, in one run (the GPU machine's time is short): the cuda backend's
# kernel parity against the reference (cuDNN and the direct kernels), the whole fast test suite
# with KERAS_BACKEND=cuda, the README's main job and a Fashion-MNIST CNN on cuda against cpu,
# a checkpoint written on cpu evaluated and trained on cuda and back, NCCL bootstrapped over MPI,
# and model step timings.
# Run from the repository root on the GPU machine, after tools/make_gpu_bundle.sh here (that
# machine cannot build kerascpp: it lacks Debian's libraries). Logs go to $OUT (or ./gpu_logs).
# Most important first (the kernels' parity and the CUDA graph, then the suite); with
# GPU_BUDGET_S set (tools/gpu_machine.sh) the later steps are cut short or skipped.
set -uo pipefail
source "$(dirname "$0")/gpu_machine.sh"

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
nproc
unpack_bundle
# The tests find their fixtures through the source path they were built in.
[[ -e /work/main ]] || { mkdir -p /work && ln -s "$PWD" /work/main; }
ldd build/tests/kerascpp_tests | grep -E "not found|cudnn|cublas" || true
tests=build/tests/kerascpp_tests

step "cuda kernels against the reference (cuDNN convolutions)"
bounded 240 $tests --test-case="cuda*,the CUDA*,selecting the cuda*,a checkpoint written on cpu*" >"$logs/parity.log" 2>&1
echo "rc=$?"
grep -E "ERROR|MESSAGE|kerascpp:" "$logs/parity.log" | head -40
tail -4 "$logs/parity.log"

step "the fast suite with KERAS_BACKEND=cuda"
KERAS_BACKEND=cuda bounded 300 $tests --test-suite-exclude=slow >"$logs/suite.log" 2>&1
echo "rc=$?"
awk '/^TEST CASE:/ {name=$0} /ERROR|FATAL|exception/ {if (name != last) print name; last=name}' "$logs/suite.log" | head -40
# fit records its steps into CUDA graphs by default: every step that could not be recorded says why.
# (The tests that mean a step to be refused run on the emulated device and say so too.)
echo "cuda steps not recorded whole or at all: $(grep 'cannot be recorded' "$logs/suite.log" | grep -c "on 'cuda") (0 expected)"
grep 'cannot be recorded' "$logs/suite.log" | grep -m5 "on 'cuda"
tail -4 "$logs/suite.log"

step "convolutions on the direct kernels"
KERASCPP_CUDA_DIRECT_CONVOLUTIONS=1 bounded 120 $tests --test-case="cuda backend*conv*,cuda backend, non-finite*conv*" >"$logs/direct.log" 2>&1
echo "rc=$?"
grep -E "ERROR" "$logs/direct.log" | head -10
tail -3 "$logs/direct.log"

data=.gpu_bundle/fashion-mnist-subset
step "README main job (Fashion-MNIST MLP, 12,000 training images) on cuda, then cpu"
for b in cuda cpu; do
  start=$SECONDS
  bounded 120 build/apps/fashion_mnist_mlp --backend $b --data $data --plot /tmp/mlp_$b.svg >"$logs/mlp_$b.log" 2>&1
  echo "$b: rc=$? $(grep -i -E 'test accuracy' "$logs/mlp_$b.log" | tail -1) ($((SECONDS - start)) s)"
done

step "Fashion-MNIST CNN (seed 001's basic CNN), 3 epochs, on cuda, then cpu; each checkpoint evaluated on the other"
for b in cuda cpu; do
  bounded 150 build/apps/cifar100_basic_cnn --dataset fashion_mnist --data $data --epochs 3 --backend $b --out /tmp/cnn_$b \
    >"$logs/cnn_$b.log" 2>&1
  echo "$b: rc=$? $(grep -i -E 'test accuracy|accuracy:' "$logs/cnn_$b.log" | tail -1)"
done
for pair in "cpu cuda" "cuda cpu"; do
  set -- $pair
  bounded 60 build/apps/cifar100_basic_cnn --dataset fashion_mnist --data $data --epochs 0 --weights /tmp/cnn_$1/best.keras \
    --backend $2 --out /tmp/eval_$1_on_$2 >"$logs/eval_$1_on_$2.log" 2>&1
  echo "checkpoint from $1, evaluated on $2: rc=$? $(grep -i -E 'accuracy' "$logs/eval_$1_on_$2.log" | tail -1)"
  bounded 90 build/apps/cifar100_basic_cnn --dataset fashion_mnist --data $data --epochs 1 --weights /tmp/cnn_$1/best.keras \
    --backend $2 --out /tmp/resume_$1_on_$2 >"$logs/resume_$1_on_$2.log" 2>&1
  echo "checkpoint from $1, trained one more epoch on $2: rc=$? $(grep -i -E 'accuracy' "$logs/resume_$1_on_$2.log" | tail -1)"
done

step "NCCL bootstrapped over MPI: one worker (an MPI singleton), then one per GPU under mpirun"
export OPAL_PREFIX="$PWD/ompi" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bounded 60 build/tests/nccl_worker >"$logs/nccl_one.log" 2>&1
echo "one worker: rc=$?"; tail -5 "$logs/nccl_one.log"
gpus=$(nvidia-smi -L | wc -l)
if (( gpus > 1 )); then
  bounded 90 ompi/bin/orterun --bind-to none -np "$gpus" build/tests/nccl_worker >"$logs/nccl_all.log" 2>&1
  echo "$gpus workers: rc=$?"; tail -5 "$logs/nccl_all.log"
else
  echo "one GPU: the several-worker run needs two or more"
fi

step "model step timings (seed 003's CNN and VGG9, batch 64)"
for b in cuda cpu; do
  bounded 60 build/bench/model_step_bench --backend $b --batch-size 64 --iterations 5 2>&1 | tail -6
done
step "done"
