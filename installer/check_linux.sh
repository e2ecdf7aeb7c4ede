#!/usr/bin/env bash
# Proves what the .deb installs runs on its own: unpacked into a temporary root (dpkg-deb -x),
# its layout checked, then `enclave selftest` run with an empty environment (env -i), a PATH
# that holds no Python (only tesseract, for OCR), a fresh HOME, and, where unshare may, no
# network at all. Run twice: llama.cpp's best CPU variant for this machine, then the x64
# baseline every x86-64 CPU runs.
# Usage: check_linux.sh dist/enclave_<version>_amd64.deb
set -euo pipefail
DEB=${1:?usage: check_linux.sh PACKAGE.deb}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

dpkg-deb --info "$DEB" >/dev/null || fail "not a Debian package: $DEB"
dpkg-deb -x "$DEB" "$WORK/root"
ROOT=$WORK/root
APP=$ROOT/opt/enclave/enclave
[ -x "$APP" ] || fail "no /opt/enclave/enclave in the package"
[ "$(readlink "$ROOT/usr/bin/enclave")" = /opt/enclave/enclave ] || fail "/usr/bin/enclave does not point at /opt/enclave/enclave"
DESKTOP=$ROOT/usr/share/applications/enclave.desktop
grep -q '^Exec=/opt/enclave/enclave gui %F$' "$DESKTOP" || fail "the .desktop entry does not start the window"
grep -q '^MimeType=.*application/pdf' "$DESKTOP" || fail "the .desktop entry names no document types"
if command -v desktop-file-validate >/dev/null 2>&1; then desktop-file-validate "$DESKTOP"; fi
for size in 16 32 48 64 128 256 512; do
  [ -s "$ROOT/usr/share/icons/hicolor/${size}x${size}/apps/enclave.png" ] || fail "no ${size}x${size} icon"
done
echo "layout: ok ($(du -sh "$ROOT/opt/enclave" | cut -f1) under /opt/enclave)"

mkdir -p "$WORK/bin" "$WORK/home"
if command -v tesseract >/dev/null 2>&1; then ln -s "$(command -v tesseract)" "$WORK/bin/tesseract"; fi
isolate=()
if unshare -n true 2>/dev/null; then isolate=("$(command -v unshare)" -n); echo "network: none (unshare -n)"; else echo "network: unshare not permitted here; running with the network present"; fi

run_selftest() {
  env -i HOME="$WORK/home" PATH="$WORK/bin" LANG=C.UTF-8 "$@" \
    "${isolate[@]}" "$APP" selftest 2>&1 | grep -v '^load_backend: '
}
echo "== selftest, llama.cpp's best CPU variant"
run_selftest || fail "the self-test failed"
echo "== selftest, llama.cpp forced to the x64 baseline"
run_selftest ENCLAVE_LLAMA_CPU_VARIANT=x64 || fail "the self-test failed on the baseline CPU variant"
echo "installed package: ok"
