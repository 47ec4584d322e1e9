#!/bin/sh
# Starts a built image's entrypoint without a container runtime (where `podman run` cannot: no cgroups, no user
# namespaces) and checks its HTTP answers: the image's root file system through `podman image mount`, a private
# mount namespace with /proc, /dev and a tmpfs on /tmp (the only writable path, as in the pods), and chroot as the
# image's non-root user 10001. Read-only use of the image.
#   infra/images/smoke-test.sh daemon    # warmpool run on a config with http: answers /healthz and /metrics
#   infra/images/smoke-test.sh agent     # warmpool-agent serve --model tiny-transformer: /readyz 200 once warm
# Env: ENGINE (podman --storage-driver vfs), PORT (daemon 19464, agent 19100), WAIT_S (180), READY_PATH (the path
# waited for: daemon /healthz, agent /readyz).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/images.env"
WHAT=${1:?usage: smoke-test.sh daemon|agent}
ENGINE=${ENGINE:-podman --storage-driver vfs}
WAIT_S=${WAIT_S:-180}
case "$WHAT" in
  daemon) IMAGE="$WARMPOOL_IMAGE_DAEMON:$WARMPOOL_VERSION"; PORT=${PORT:-19464} ;;
  agent) IMAGE="$WARMPOOL_IMAGE_AGENT:$WARMPOOL_VERSION"; PORT=${PORT:-19100} ;;
  *) echo "smoke-test.sh: daemon or agent, not $WHAT" >&2; exit 2 ;;
esac
ROOTFS=$($ENGINE image mount "$IMAGE")
trap '$ENGINE image unmount "$IMAGE" >/dev/null 2>&1 || true' EXIT
LOG=$(mktemp)
PIDFILE=$(mktemp)
# The image's own entrypoint and user, from its config.
ENTRY=$($ENGINE image inspect --format '{{join .Config.Entrypoint " "}}' "$IMAGE")
USERSPEC=$($ENGINE image inspect --format '{{.Config.User}}' "$IMAGE")
if [ "$WHAT" = daemon ]; then
  ARGS="run --config /tmp/warmpool.yaml"
  # aws provider against an endpoint that refuses: provider errors are logged, the daemon keeps serving HTTP.
  CONFIG="tickS: 2
http: { host: 127.0.0.1, port: $PORT }
provider: { kind: aws, region: us-east-1, endpoint: http://127.0.0.1:9 }
models:
  - { name: smoke, capacityPerReplicaPerS: 1, target: { groupName: asg-smoke } }
"
  PATHS="/healthz /livez /readyz /metrics"
  READY_PATH=${READY_PATH:-/healthz}
else
  ARGS="serve --model tiny-transformer --host 127.0.0.1 --port $PORT --providers cpu --threads 1 --registrar none"
  CONFIG=""
  PATHS="/livez /readyz /v2/health/live /v2/health/ready /metrics"
  READY_PATH=${READY_PATH:-/readyz}
fi
export ROOTFS ENTRY ARGS CONFIG USERSPEC PIDFILE
unshare --mount --fork --kill-child sh -c '
  set -e
  mount --make-rprivate /
  mount -t tmpfs -o mode=1777 tmpfs "$ROOTFS/tmp"
  mount -t proc proc "$ROOTFS/proc"
  mount --rbind /dev "$ROOTFS/dev"
  mount --bind -o ro /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true
  [ -z "$CONFIG" ] || printf "%s" "$CONFIG" > "$ROOTFS/tmp/warmpool.yaml"
  # read-only root: every path but /tmp
  mount --bind "$ROOTFS/app" "$ROOTFS/app" && mount -o remount,bind,ro "$ROOTFS/app"
  echo $$ > "$PIDFILE"   # exec keeps the pid: the server process
  exec chroot --userspec="$USERSPEC" "$ROOTFS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp NODE_ENV=production AWS_ACCESS_KEY_ID=smoke AWS_SECRET_ACCESS_KEY=smoke $ENTRY $ARGS
' > "$LOG" 2>&1 &
PID=$!
trap 'kill "$(cat "$PIDFILE")" 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$PIDFILE" "$LOG"; $ENGINE image unmount "$IMAGE" >/dev/null 2>&1 || true' EXIT
end=$(( $(date +%s) + WAIT_S ))
ready=""
while [ "$(date +%s)" -lt "$end" ]; do
  if ! kill -0 $PID 2>/dev/null; then echo "smoke-test.sh: $WHAT exited early:"; cat "$LOG"; exit 1; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$READY_PATH" || true)
  if [ "$code" = 200 ]; then ready=1; break; fi
  sleep 1
done
[ -n "$ready" ] || { echo "smoke-test.sh: $WHAT $READY_PATH not 200 within $WAIT_S s"; tail -20 "$LOG"; exit 1; }
echo "smoke-test.sh: $IMAGE ($ENTRY $ARGS) as user $USERSPEC, read-only /app, writable /tmp only:"
for p in $PATHS; do echo "  GET $p -> $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$p")"; done
if [ "$WHAT" = agent ]; then
  echo "  POST /v1/models/tiny-transformer/infer -> $(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v1/models/tiny-transformer/infer" -d '{"inputs":{"input_ids":{"dims":[1,4],"data":[1,2,3,4]}}}')"
fi
echo "  log (first lines):"; head -5 "$LOG" | cut -c1-240 | sed 's/^/    /'
