#!/usr/bin/env bash
# Builds the libFuzzer target (fuzz/) with clang in build-fuzz/ and runs it for a bounded time,
# starting from the golden fixture files. Prints libFuzzer's last status line (#executions,
# coverage, timeouts and crashes) and the triage of its findings; the full log is
# build-fuzz/fuzz.log. Replaying findings adds up to 5 s each after the fuzzing time.
# Usage: tools/run_fuzzers.sh [seconds, default 60]
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_COMPILER=clang -DKERASCPP_BUILD_FUZZERS=ON -DKERASCPP_WITH_CPU=OFF -DKERASCPP_WITH_CUDA=OFF \
  -DKERASCPP_BUILD_TESTS=OFF -DKERASCPP_BUILD_APPS=OFF >/dev/null
cmake --build "$build" --target model_files_fuzzer
corpus="$build/corpus/model_files"
mkdir -p "$corpus"
# The small fixtures: every layout (Keras 2 and 3 weights, legacy .h5 and .keras models).
cp "$root"/tests/fixtures/keras_models/*_resume.* "$root"/tests/fixtures/keras_weights/*.h5 "$corpus"/
# Findings (crash-*, timeout-*) land in build-fuzz/findings.
mkdir -p "$build/findings"
# -detect_leaks=0: HDF5 allocates its free lists and caches lazily on first use of a code path,
# which LeakSanitizer's per-input check reports as leaks (a finding of that kind did not
# reproduce on its own input). -close_fd_mask=2 hides the target's warnings, not the reports.
# Debian's HDF5 1.10.8 has bugs of its own on corrupt files that no caller can avoid: an endless
# loop in its global heap reader (H5HG_read, under H5Aread of variable-length strings) and heap
# overflows in its object header parser (H5O__msg_iterate_real, under H5Aexists); inputs kept in
# fuzz/known_hdf5_hangs/ and fuzz/known_hdf5_crashes/. So the fuzzer runs in fork mode and goes
# on past timeouts and crashes, and each finding is replayed afterwards: one whose innermost
# frame (past the sanitizer runtime, libc and libFuzzer) is in libhdf5 is HDF5's; any other
# fails this script.
"$build/fuzz/model_files_fuzzer" "$corpus" -fork=1 -ignore_timeouts=1 -ignore_crashes=1 -ignore_ooms=1 \
  -timeout=5 -rss_limit_mb=4096 -max_total_time="$seconds" -max_len=65536 -detect_leaks=0 -close_fd_mask=2 \
  -artifact_prefix="$build/findings/" > "$build/fuzz.log" 2>&1 || true
grep -E "^#[0-9]+" "$build/fuzz.log" | tail -1
ours=0 hdf5=0
for finding in "$build"/findings/*; do
  [[ -s "$finding" ]] || continue  # fork mode also records an empty unit for a crashed job
  # The first stack frame outside the sanitizer, libc and libFuzzer: libhdf5's or ours?
  frame=$(timeout 60 "$build/fuzz/model_files_fuzzer" -timeout=5 -detect_leaks=0 -close_fd_mask=2 "$finding" 2>&1 |
          grep -E "^ +#[0-9]+ " | grep -vE "__interceptor| in (malloc|calloc|realloc|free|operator new)|__asan|__sanitizer|libc\.so|fuzzer::|AlarmCallback" | head -1 || true)
  if [[ "$frame" == *libhdf5* ]]; then
    hdf5=$((hdf5 + 1))
  else
    ours=$((ours + 1))
    echo "finding outside HDF5: $finding"
    echo "  $frame"
  fi
done
echo "findings inside Debian's HDF5: $hdf5; elsewhere: $ours"
[[ $ours -eq 0 ]]
