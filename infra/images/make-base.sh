#!/bin/sh
# Makes the base image the Dockerfiles build FROM where no registry image can be pulled: Debian bookworm from
# Debian's own packages (debootstrap, minbase + ca-certificates), with Node 20 and npm copied from this host
# (bookworm's nodejs is 18). Where a registry is reachable, build with --build-arg BASE=docker.io/library/node:20-bookworm-slim
# instead and skip this script.
#   sudo infra/images/make-base.sh            # needs debootstrap and podman (apt-get install -y debootstrap podman)
# Env: ROOTFS (default /var/tmp/warmpool-base-rootfs, reused when present), ENGINE (podman), NODE_BIN, NPM_DIR.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/images.env"
ROOTFS=${ROOTFS:-/var/tmp/warmpool-base-rootfs}
ENGINE=${ENGINE:-podman --storage-driver vfs}
NODE_BIN=${NODE_BIN:-$(command -v node)}
NPM_DIR=${NPM_DIR:-$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)}
major=$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')
[ "$major" = 20 ] || { echo "make-base.sh: $NODE_BIN is Node $major; the images need Node 20 (set NODE_BIN)" >&2; exit 2; }
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "make-base.sh: no npm at $NPM_DIR (set NPM_DIR)" >&2; exit 2; }
if [ ! -x "$ROOTFS/bin/sh" ]; then
  debootstrap --variant=minbase --include=ca-certificates bookworm "$ROOTFS" http://deb.debian.org/debian
fi
[ -f "$ROOTFS/etc/ssl/certs/ca-certificates.crt" ] || chroot "$ROOTFS" sh -c 'apt-get update && apt-get install -y --no-install-recommends ca-certificates'
install -D -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
rm -rf "$ROOTFS/usr/local/lib/node_modules/npm"
mkdir -p "$ROOTFS/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
chroot "$ROOTFS" /usr/local/bin/node -e 'if (process.versions.node.split(".")[0] !== "20") process.exit(1)'
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS/var/lib/apt/lists/"* "$ROOTFS/var/cache/apt/"*.bin
tar -C "$ROOTFS" --numeric-owner -c . | $ENGINE import --message "debootstrap bookworm minbase + Node $("$NODE_BIN" -v) from the build host" - "$WARMPOOL_BASE_IMAGE"
echo "make-base.sh: $WARMPOOL_BASE_IMAGE"
