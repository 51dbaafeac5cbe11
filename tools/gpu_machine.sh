# Sourced by tools/gpu_checks.sh and tools/gpu_bench.sh on the GPU machine: the log folder
# ($OUT, else ./gpu_logs), step headings, the bundle from tools/make_gpu_bundle.sh unpacked, and
# the library path that finds its libraries and the machine's CUDA (the toolkit's, or pip's
# nvidia-* wheels beside PyTorch).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
logs=${OUT:-gpu_logs}
mkdir -p "$logs"
step() { echo; echo "=== $* ($(date +%T))"; }
# A session's device time is short (one command at most 600 s, about 15 minutes in all, start
# included): GPU_BUDGET_S, when set, bounds the whole script from its start. `bounded SECONDS
# command...` runs a step under `timeout` for its own bound or what the budget leaves (less 20 s
# to send the logs back), whichever is smaller, and skips it, saying so, when under 10 s are
# left; the scripts run their most important steps first.
budget_end=$((SECONDS + ${GPU_BUDGET_S:-1000000}))
bounded() {
  local own=$1 left=$((budget_end - SECONDS - 20))
  shift
  if ((left < 10)); then
    echo "skipped, GPU_BUDGET_S spent: $*"
    return 124
  fi
  timeout $((own < left ? own : left)) "$@"
}
unpack_bundle() {
  tar -xJf .gpu_bundle/kerascpp.tar.xz || exit 1
  local nvidia_libs
  nvidia_libs=$(python3 -c 'import nvidia, os; print(":".join(os.path.join(p, d, "lib") for p in nvidia.__path__ for d in sorted(os.listdir(p)) if os.path.isdir(os.path.join(p, d, "lib"))))' 2>/dev/null)
  export LD_LIBRARY_PATH="$PWD/libs:/usr/local/cuda/lib64:${nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}
