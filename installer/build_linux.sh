#!/usr/bin/env bash
# Builds the Linux installers into dist/ (`make bundle`):
#   dist/enclave_<version>_amd64.deb           installs under /opt/enclave, `enclave` on PATH
#   dist/enclave-<version>-linux-x86_64.tar.gz the same folder, to unpack anywhere
# Steps: a build virtualenv with the app, PyInstaller and llama.cpp built for any x86-64 CPU;
# the embedding models exported from their local weights; PyInstaller's one-folder build;
# then the packages, with sorted file lists and SOURCE_DATE_EPOCH timestamps.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
BUILD=${BUILD:-$ROOT/build/bundle}
VENV=$BUILD/venv
DIST=${DIST:-$ROOT/dist}
VERSION=$($PYTHON -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export PYTHONHASHSEED=0 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p "$BUILD" "$DIST"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "build environment: $VENV"
if [ ! -x "$VENV/bin/python" ]; then $PYTHON -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e '.[gui]' 'pyinstaller==6.22.3' 'pyinstaller-hooks-contrib==2026.9'
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

step "llama.cpp for any x86-64 CPU (runtime dispatch between CPU variants)"
LLAMA_VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
WHEEL_DIR=$BUILD/llama-wheel-$LLAMA_VERSION
if ! ls "$WHEEL_DIR"/*.whl >/dev/null 2>&1; then
  # --no-cache-dir: pip's wheel cache does not key on CMAKE_ARGS and would hand back the
  # native build. Every ggml-cpu variant compiles: about 20 minutes on two cores.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    "$VENV/bin/pip" wheel --quiet --no-deps --no-cache-dir "llama-cpp-python==$LLAMA_VERSION" -w "$WHEEL_DIR"
fi
"$VENV/bin/pip" install --quiet --no-deps --force-reinstall "$WHEEL_DIR"/*.whl
# The wheel puts the variants in <site-packages>/bin; llama.cpp's libraries live in
# llama_cpp/lib, where core.llm.ggml_backends and PyInstaller's collection look.
cp "$SITE"/bin/libggml-cpu-*.so "$SITE/llama_cpp/lib/"

step "embedding models exported from the bundled weights"
rm -rf "$BUILD/embedding"
"$VENV/bin/python" installer/export_models.py "$BUILD/embedding"

step "PyInstaller one-folder build"
ENCLAVE_EXPORTED_MODELS=$BUILD/embedding "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$BUILD/dist" --workpath "$BUILD/work" installer/enclave.spec
APP=$BUILD/dist/enclave
du -sh "$APP"
echo "largest parts:"; (cd "$APP/_internal" && du -s -- * | sort -rn | head -12 | awk '{printf "  %6.0f MB  %s\n", $1/1024, $2}')

step "packages"
"$VENV/bin/python" installer/render_icons.py resources/icons/enclave.svg "$BUILD/icons"
installer/package_linux.sh "$APP" "$BUILD/icons" "$VERSION" "$DIST"
ls -l "$DIST"
