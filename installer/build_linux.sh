#!/usr/bin/env bash
# Builds the Linux installers into dist/ (`make bundle`):
#   dist/enclave_<version>_amd64.deb           installs under /opt/enclave, `enclave` on PATH
#   dist/enclave-<version>-linux-x86_64.tar.gz the same folder, to unpack anywhere
# Steps: llama.cpp built for any x86-64 CPU (installer/build_llama_wheel.sh); a build
# virtualenv with it, the app and PyInstaller;
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

step "llama.cpp for any x86-64 CPU (runtime dispatch between CPU variants)"
LLAMA_WHEEL=$(PYTHON=$PYTHON installer/build_llama_wheel.sh "$BUILD/llama-wheel")

step "build environment: $VENV"
if [ ! -x "$VENV/bin/python" ]; then $PYTHON -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --upgrade pip
# The portable llama.cpp first: the app's requirement is then met, and nothing compiles one
# for this CPU.
installer/install_llama_wheel.sh "$VENV" "$LLAMA_WHEEL"
"$VENV/bin/pip" install --quiet -e '.[gui]' 'pyinstaller==6.22.3' 'pyinstaller-hooks-contrib==2026.9'

step "embedding models exported from the bundled weights"
rm -rf "$BUILD/embedding"
"$VENV/bin/python" installer/export_models.py "$BUILD/embedding"

step "PyInstaller one-folder build"
ENCLAVE_EXPORTED_MODELS=$BUILD/embedding "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$BUILD/dist" --workpath "$BUILD/work" installer/enclave.spec
APP=$BUILD/dist/enclave
du -sh "$APP"
# awk, not head, takes the first twelve: head would close the pipe early, and under pipefail
# sort's SIGPIPE fails the build (seen in CI: make's Error 141).
echo "largest parts:"; (cd "$APP/_internal" && du -s -- * | sort -rn | awk 'NR <= 12 {printf "  %6.0f MB  %s\n", $1/1024, $2}')

step "packages"
"$VENV/bin/python" installer/render_icons.py resources/icons/enclave.svg "$BUILD/icons"
installer/package_linux.sh "$APP" "$BUILD/icons" "$VERSION" "$DIST"
ls -l "$DIST"
