#!/usr/bin/env bash
# Packs what tools/gpu_checks.sh and tools/gpu_bench.sh need on a GPU machine that cannot build kerascpp (it lacks
# Debian's HDF5, oneDNN, libzip...): the test and app binaries from build/, the shared libraries
# they load except glibc's and CUDA's own (the GPU machine has its CUDA 13, cuBLAS and cuDNN 9),
# and a Fashion-MNIST subset. Writes .gpu_bundle/ (ignored by .gitignore; carry it to the GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu_bundle
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
binaries=(build/tests/kerascpp_tests build/tests/resumable_training build/tests/custom_layer_process
          build/tests/nccl_worker build/apps/fashion_mnist_mlp build/apps/cifar100_basic_cnn
          build/bench/model_step_bench build/bench/augmented_fit_bench)
mkdir -p "$staging/libs" "$out"
for b in "${binaries[@]}"; do
  mkdir -p "$staging/$(dirname "$b")"
  strip -o "$staging/$b" "$b"
  ldd "$b" | awk '$3 ~ /^\// {print $3}' |
    grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|librt|libdl|ld-linux[^/]*)\.so|/usr/local/cuda' |
    while read -r lib; do cp -L -n "$lib" "$staging/libs/"; done
done
# OpenMPI's runtime, for nccl_worker (an MPI singleton starts orted; mpirun for several GPUs):
# Debian's layout under a prefix the GPU machine gives as OPAL_PREFIX, and the libraries its
# plugins load.
ompi=$staging/ompi
mkdir -p "$ompi/bin" "$ompi/lib/x86_64-linux-gnu/openmpi/lib" "$ompi/share" "$ompi/etc"
cp -L /usr/bin/orted /usr/bin/orterun "$ompi/bin/"
cp -a /usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3 "$ompi/lib/x86_64-linux-gnu/openmpi/lib/"
cp -a /usr/share/openmpi "$ompi/share/"
cp -a /etc/openmpi "$ompi/etc/"
for f in "$ompi"/bin/* "$ompi"/lib/x86_64-linux-gnu/openmpi/lib/openmpi3/*.so; do
  ldd "$f" 2>/dev/null | awk '$3 ~ /^\// {print $3}' |
    grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|librt|libdl|ld-linux[^/]*)\.so|/usr/local/cuda' |
    while read -r lib; do cp -L -n "$lib" "$staging/libs/"; done || true  # some load none of their own
done
tar -C "$staging" -cJf "$out/kerascpp.tar.xz" build libs ompi
if [[ ! -d $out/fashion-mnist-subset ]]; then
  python3 - "$out/fashion-mnist-subset" <<'PY'
import gzip, os, struct, sys
src, dst = "/usr/share/datasets/fashion-mnist", sys.argv[1]
os.makedirs(dst, exist_ok=True)
for name, n in [("train-images-idx3-ubyte.gz", 12000), ("train-labels-idx1-ubyte.gz", 12000),
                ("t10k-images-idx3-ubyte.gz", 10000), ("t10k-labels-idx1-ubyte.gz", 10000)]:
    data = gzip.open(os.path.join(src, name)).read()
    magic = struct.unpack(">I", data[:4])[0]
    rank = magic & 0xFF
    dims = list(struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank]))
    per = 1
    for d in dims[1:]:
        per *= d
    dims[0] = n
    body = data[4 + 4 * rank:4 + 4 * rank + n * per]
    with gzip.open(os.path.join(dst, name), "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(">" + "I" * rank, *dims) + body)
PY
fi
du -sh "$out"/*
