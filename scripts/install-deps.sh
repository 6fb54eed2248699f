#!/bin/sh
# Installs everything onnxbn needs on Debian 12: the compiler with OpenMP,
# CMake, protobuf-c and its compiler, Debian's onnx.proto (libonnx-dev), the
# Check test framework, the ONNX backend test data, and the Python packages
# used to export reference models from PyTorch; clang-14 with its runtime
# (libFuzzer, ThreadSanitizer), valgrind (memcheck) and gnuplot (charts) for
# the slow test labels and the benchmark report.
#   --no-python    skip python3-torch/torchvision/onnx/numpy (needed only by
#                  the tests that export PyTorch models)
#   --if-missing   do nothing (not even apt-get update) when every package is
#                  already installed
set -eu
with_python=1 if_missing=0
for arg in "$@"; do
    case $arg in
    --no-python) with_python=0 ;;
    --if-missing) if_missing=1 ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
pkgs="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libonnx-dev check libonnx-testdata clang-14 libclang-rt-14-dev valgrind gnuplot-nox"
if [ "$with_python" -eq 1 ]; then
    pkgs="$pkgs python3 python3-numpy python3-onnx python3-torch python3-torchvision"
    # npm fetches ONNX Runtime for the comparisons (bench/setup_ort.sh)
    command -v npm >/dev/null || pkgs="$pkgs nodejs npm"
fi
if [ "$if_missing" -eq 1 ]; then
    missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -z "$missing" ]; then
        echo "install-deps: every package is installed"
        exit 0
    fi
    pkgs=$missing
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
echo "install-deps: installed $pkgs"
