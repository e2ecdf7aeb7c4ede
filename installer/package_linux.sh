#!/usr/bin/env bash
# Packs PyInstaller's one-folder build into a .deb and a .tar.gz.
# Usage: package_linux.sh APP_DIR ICONS_DIR VERSION DIST_DIR
# Reproducible as far as the tools go: files sorted, owners 0, times SOURCE_DATE_EPOCH.
set -euo pipefail
APP=$1 ICONS=$2 VERSION=$3 DIST=$4
HERE=$(cd "$(dirname "$0")" && pwd)
EPOCH=${SOURCE_DATE_EPOCH:?set SOURCE_DATE_EPOCH}
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

root=$STAGE/deb
mkdir -p "$root/opt" "$root/usr/bin" "$root/usr/share/applications" "$root/DEBIAN"
cp -a "$APP" "$root/opt/enclave"
ln -s /opt/enclave/enclave "$root/usr/bin/enclave"
sed 's|^Exec=.*|Exec=/opt/enclave/enclave gui %F|; s|^TryExec=.*|TryExec=/opt/enclave/enclave|' \
  "$HERE/../resources/enclave.desktop" > "$root/usr/share/applications/enclave.desktop"
mkdir -p "$root/usr/share/icons"
cp -a "$ICONS/hicolor" "$root/usr/share/icons/"
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed "s|@VERSION@|$VERSION|; s|@SIZE@|$installed_kb|" "$HERE/linux/control.in" > "$root/DEBIAN/control"
install -m 0755 "$HERE/linux/postinst" "$HERE/linux/postrm" "$root/DEBIAN/"
find "$root" -exec touch -h -d "@$EPOCH" {} +
deb=$DIST/enclave_${VERSION}_amd64.deb
# zstd: xz over 1 GB takes minutes on two cores; dpkg reads zstd since Debian 12/Ubuntu 21.10.
dpkg-deb --root-owner-group -Zzstd -z9 --build "$root" "$deb" >/dev/null
echo "built $deb"

tarball=$DIST/enclave-${VERSION}-linux-x86_64.tar.gz
tar --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner \
  -C "$(dirname "$APP")" -cf - "$(basename "$APP")" | gzip -n -6 > "$tarball"
echo "built $tarball"
