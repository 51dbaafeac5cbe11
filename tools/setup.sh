#!/usr/bin/env bash
# Sets kerascpp up on a fresh Debian machine: installs the distribution packages it builds
# with, configures and builds (Release, Ninja, into build/), then runs the main job.
# Safe to run again: apt-get and CMake skip what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake g++ ninja-build pkg-config
  libeigen3-dev            # cpu backend (Eigen 3.4)
  libdnnl-dev              # cpu backend (oneDNN 2.6)
  ocl-icd-opencl-dev       # Debian's oneDNN CMake config requires OpenCL's headers
  zlib1g-dev               # gzipped dataset files
  libstb-dev               # image files (PNG, JPEG, BMP)
  libhdf5-dev              # Keras weights files
  dataset-fashion-mnist    # real data for the main job and the training tests
  doctest-dev              # the test suite
  nlohmann-json3-dev       # Keras model configs and the golden fixtures (JSON)
  libzip-dev               # Keras 3's .keras model archives
  python3-h5py             # a test reads our Keras 2-layout weights files with h5py
  libopenmpi-dev openmpi-bin  # keras::distribute across processes (mpirun); its tests run 2 workers
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  echo "Installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The CUDA toolkit lives in /usr/local/cuda on our machines; without it the CUDA parts are off.
cuda_args=()
[[ -d /usr/local/cuda ]] && cuda_args=(-DCUDAToolkit_ROOT=/usr/local/cuda)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}"
cmake --build build

# The main job: seed 001's MLP trained on Fashion-MNIST (progress bar, test accuracy,
# classification report, build/fashion_mnist_history.svg).
./build/apps/fashion_mnist_mlp --plot build/fashion_mnist_history.svg
