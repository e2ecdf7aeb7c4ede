#!/usr/bin/env bash
# Installs the portable llama.cpp wheel (installer/build_llama_wheel.sh) into a virtualenv.
# The wheel puts its CPU variants in <site-packages>/bin; llama.cpp's libraries live in
# llama_cpp/lib, where core.llm.ggml_backends and PyInstaller's collection look for them.
# Usage: install_llama_wheel.sh VENV WHEEL
set -euo pipefail
VENV=${1:?usage: install_llama_wheel.sh VENV WHEEL} WHEEL=${2:?usage: install_llama_wheel.sh VENV WHEEL}
"$VENV/bin/pip" install --quiet --no-deps --force-reinstall "$WHEEL"
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp "$SITE"/bin/libggml-cpu-*.so "$SITE/llama_cpp/lib/"
