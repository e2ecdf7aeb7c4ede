#!/usr/bin/env bash
# Enclave.app and a .dmg from PyInstaller's one-folder build, on macOS. NOT BUILT OR RUN HERE
# (no macOS machine): written to run on one with Xcode's command-line tools.
#   pyinstaller --noconfirm --distpath build/bundle/dist installer/enclave.spec
#   installer/macos/build_app.sh
# llama.cpp on Apple silicon uses Metal; build llama-cpp-python there with its defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
APP=build/bundle/Enclave.app
rm -rf "$APP"
mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
cp -R build/bundle/dist/enclave/ "$APP/Contents/MacOS/"
sed "s/@VERSION@/$VERSION/g" installer/macos/Info.plist > "$APP/Contents/Info.plist"
# Finder starts the executable without arguments: a two-line launcher opens the window.
printf '#!/bin/sh\nexec "$(dirname "$0")/enclave" gui "$@"\n' > "$APP/Contents/MacOS/enclave-gui"
chmod +x "$APP/Contents/MacOS/enclave-gui"
ICONSET=build/bundle/enclave.iconset
mkdir -p "$ICONSET"
for size in 16 32 128 256 512; do
  sips -s format png -z $size $size resources/icons/enclave.svg --out "$ICONSET/icon_${size}x${size}.png" >/dev/null
  sips -s format png -z $((size * 2)) $((size * 2)) resources/icons/enclave.svg --out "$ICONSET/icon_${size}x${size}@2x.png" >/dev/null
done
iconutil -c icns "$ICONSET" -o "$APP/Contents/Resources/enclave.icns"
codesign --force --deep --sign - "$APP"  # ad hoc; a release signs with a Developer ID and notarizes
mkdir -p dist
hdiutil create -volname Enclave -srcfolder "$APP" -ov -format UDZO "dist/Enclave-$VERSION-macos.dmg"
