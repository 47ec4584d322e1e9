#!/bin/sh
# The production file tree of one service: its workspaces' package.json, dist/ (and bin/, the dashboard's assets/,
# the warm-up package's generated models/), and their production dependencies only (npm ci --omit=dev). The
# Dockerfiles run it in their build stage after `npm ci` + build; run it by hand from a built checkout to get the
# same tree without an image engine (infra/README.md, "Images").
#   infra/images/build-tree.sh services/autoscaler OUT      # the daemon (warmpool)
#   infra/images/build-tree.sh services/warmup-agent OUT    # the agent (warmpool-agent)
# Env: ONNXRUNTIME_NODE_INSTALL (default skip: the CPU build; cuda12: onnxruntime-node's CUDA 12 EP binaries),
#      NPM_FLAGS (extra flags for npm ci, e.g. --prefer-offline).
set -eu
SERVICE=${1:?usage: build-tree.sh services/<name> OUT}
OUT=${2:?usage: build-tree.sh services/<name> OUT}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
[ -f "$SERVICE/package.json" ] || { echo "build-tree.sh: no $SERVICE/package.json under $ROOT" >&2; exit 2; }
# The workspaces the service needs: itself and its @warmpool/* dependencies, transitively (folder names).
WORKSPACES=$(node -e '
  const fs = require("node:fs"), path = require("node:path");
  const dirs = {};
  for (const top of ["packages", "services"]) for (const d of fs.readdirSync(top)) {
    const f = path.join(top, d, "package.json");
    if (fs.existsSync(f)) dirs[JSON.parse(fs.readFileSync(f, "utf8")).name] = path.join(top, d);
  }
  const seen = new Set(), todo = [process.argv[1]];
  while (todo.length) {
    const dir = todo.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    const deps = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies ?? {};
    for (const name of Object.keys(deps)) if (dirs[name]) todo.push(dirs[name]);
  }
  console.log([...seen].sort().join(" "));
' "$SERVICE")
for w in $WORKSPACES; do
  [ -d "$w/dist" ] || { echo "build-tree.sh: $w/dist is missing: build first (npx tsc -b $SERVICE)" >&2; exit 2; }
done
rm -rf "$OUT"
mkdir -p "$OUT"
cp package.json package-lock.json "$OUT/"
# Every workspace's package.json (npm ci checks the lock against all of them); code only for the ones needed.
for f in packages/*/package.json services/*/package.json; do mkdir -p "$OUT/$(dirname "$f")" && cp "$f" "$OUT/$f"; done
for w in $WORKSPACES; do
  tar -C "$w" --exclude='*.tsbuildinfo' --exclude='*.test.js' --exclude='*.test.d.ts' -cf - dist $(cd "$w" && ls -d bin assets models proto 2>/dev/null || true) | tar -C "$OUT/$w" -xf -
done
WFLAGS=$(for w in $WORKSPACES; do printf ' --workspace %s' "$w"; done)
cd "$OUT"
# shellcheck disable=SC2086
ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL:-skip} npm ci --omit=dev --no-audit --no-fund --loglevel=error $WFLAGS ${NPM_FLAGS:-}
if [ -d node_modules/onnxruntime-node ]; then
  if [ "${ONNXRUNTIME_NODE_INSTALL:-skip}" != skip ]; then
    # npm does not run onnxruntime-node's install script (allowScripts in package.json): run it for the CUDA EP.
    (cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL="$ONNXRUNTIME_NODE_INSTALL" node script/install.js)
  fi
  # Only this platform's native binaries.
  find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 -type d ! -name linux -exec rm -rf {} +
fi
# Workspaces not needed: their package.json stays (the lock names them), nothing else.
echo "build-tree.sh: $SERVICE -> $OUT ($(du -sh . | cut -f1)): $WORKSPACES"
