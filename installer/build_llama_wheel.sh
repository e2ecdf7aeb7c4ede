#!/usr/bin/env bash
# llama-cpp-python built for any x86-64 CPU, as the installer bundles it (`make llama-wheel`):
# GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS, so llama.cpp picks at run time the best of several
# CPU builds of its kernels, down to the x64 baseline every x86-64 CPU runs.
#
# ggml's list of x86 variants is fixed in ggml/src/CMakeLists.txt (14 of them, about 20
# minutes on two cores). Seven of them are kept, one per instruction-set level: x64, sse42,
# sandybridge (AVX), haswell (AVX2/FMA), skylakex (AVX-512), icelake (AVX-512 VBMI/VNNI),
# alderlake (AVX-VNNI). The seven dropped ones each add one extension to a kept level
# (ivybridge F16C, piledriver FMA, cannonlake VBMI, cascadelake VNNI, cooperlake and zen4
# BF16, sapphirerapids AMX); a CPU that has it runs the level below, which still uses every
# other instruction it has. That halves the build, which CI runs on every submission.
#
# Usage: build_llama_wheel.sh [WHEEL_DIR]; prints the wheel's path. Reuses a wheel already
# built for the same version.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
REQUIREMENT=$($PYTHON -c 'import tomllib; deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]; print(next(d for d in deps if d.startswith("llama-cpp-python")))')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
$PYTHON -m pip download --quiet --no-deps --no-binary :all: -d "$WORK" "$REQUIREMENT" >&2
SDIST=$(ls "$WORK"/llama_cpp_python-*.tar.gz)
VERSION=$(basename "$SDIST" .tar.gz); VERSION=${VERSION#llama_cpp_python-}
WHEEL_DIR=${1:-build/llama-wheel-$VERSION}
if ls "$WHEEL_DIR"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
  ls "$WHEEL_DIR"/llama_cpp_python-"$VERSION"-*.whl; exit 0
fi
tar -xzf "$SDIST" -C "$WORK"
SOURCE=$WORK/llama_cpp_python-$VERSION
CMAKE_LIST=$SOURCE/vendor/llama.cpp/ggml/src/CMakeLists.txt
DROPPED='ivybridge|piledriver|cannonlake|cascadelake|cooperlake|zen4|sapphirerapids'
before=$(grep -cE '^\s*ggml_add_cpu_backend_variant\((x64|sse42|sandybridge|ivybridge|piledriver|haswell|skylakex|cannonlake|cascadelake|icelake|cooperlake|zen4|alderlake|sapphirerapids)\b' "$CMAKE_LIST")
sed -i -E "/^\s*ggml_add_cpu_backend_variant\(($DROPPED)[ )]/d" "$CMAKE_LIST"
after=$(grep -cE '^\s*ggml_add_cpu_backend_variant\((x64|sse42|sandybridge|haswell|skylakex|icelake|alderlake)[ )]' "$CMAKE_LIST")
echo "x86 CPU variants: $before in ggml's list, $after built" >&2
[ "$after" -eq 7 ] || { echo "ggml's variant list changed; check $CMAKE_LIST" >&2; exit 1; }
mkdir -p "$WHEEL_DIR"
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF" \
CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
  $PYTHON -m pip wheel --quiet --no-deps --no-cache-dir "$SOURCE" -w "$WHEEL_DIR" >&2
ls "$WHEEL_DIR"/llama_cpp_python-"$VERSION"-*.whl
