# Every workflow is one target. `make run` and `make test` work from a clean clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

QT_XCB_LIBS := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0

.PHONY: venv system-deps run test test-fast lint bench bundle bundle-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[gui,dev]'
	touch $(STAMP)

venv: $(STAMP)

# OCR for image-only PDF pages uses Debian's Tesseract; installed when we may (root).
system-deps:
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; \
	  else echo "note: tesseract-ocr is not installed; OCR of scanned pages is off (apt-get install tesseract-ocr)"; fi; \
	fi
# The GUI smoke test runs the real window under Xvfb (Qt's xcb plugin needs QT_XCB_LIBS); xdotool
# finds and closes the window, ImageMagick's import grabs the screen.
	@if ! command -v xvfb-run >/dev/null 2>&1 || ! command -v xdotool >/dev/null 2>&1 || ! command -v import >/dev/null 2>&1 || ! ldconfig -p | grep -q libxcb-cursor.so.0 || ! ldconfig -p | grep -q libxcb-icccm.so.4; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xauth xdotool imagemagick $(QT_XCB_LIBS) >/dev/null; \
	  else echo "note: xvfb, xdotool, imagemagick or Qt's xcb libraries missing; the GUI smoke test will skip"; fi; \
	fi

run: venv
	$(VENV)/bin/enclave

test: venv system-deps lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test-fast: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "unit"

lint: venv
	$(VENV)/bin/ruff check core desktop tests benchmarks
	$(VENV)/bin/mypy

bench: venv system-deps
	$(PY) -m benchmarks.run_all

# The Linux installers (dist/*.deb, dist/*.tar.gz) from a build virtualenv of their own:
# llama.cpp there is built for any x86-64 CPU, not this one (installer/build_linux.sh).
bundle:
	installer/build_linux.sh

# What the .deb installs, run with no Python, no network and a fresh home.
bundle-check:
	installer/check_linux.sh dist/enclave_$$($(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')_amd64.deb

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .bench build dist
