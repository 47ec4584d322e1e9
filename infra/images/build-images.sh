#!/bin/sh
# Builds (and with --push, pushes) warmpool's images; names and tags from images.env.
#   infra/images/build-images.sh [daemon] [agent] [agent-cuda] [--push] [--base IMAGE]
# Default: daemon and agent (CPU). ENGINE: podman (default when present; vfs storage, chroot isolation: works
# without a daemon or user namespaces), or docker. --base: the image the Dockerfiles build FROM (default
# docker.io/library/node:20-bookworm-slim; where no registry can be reached, make one with make-base.sh and pass
# --base localhost/warmpool-base:bookworm-node20). NPM_CA_FILE (default $NODE_EXTRA_CA_CERTS): extra CAs for the
# npm steps behind a TLS-intercepting proxy, passed as a build secret (not kept in the image).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/images.env"
TARGETS=""
PUSH=0
BASE=""
while [ $# -gt 0 ]; do
  case "$1" in
    daemon|agent|agent-cuda) TARGETS="$TARGETS $1" ;;
    --push) PUSH=1 ;;
    --base) BASE=${2:?--base IMAGE}; shift ;;
    *) echo "build-images.sh: unknown argument $1 (daemon, agent, agent-cuda, --push, --base IMAGE)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$TARGETS" ] || TARGETS="daemon agent"
if [ -z "${ENGINE:-}" ]; then
  if command -v podman >/dev/null; then ENGINE="podman --storage-driver vfs"; else ENGINE=docker; fi
fi
case "$ENGINE" in
  podman*) BUILD_FLAGS="--isolation chroot --network host" ;;
  *) BUILD_FLAGS="" ;;
esac
for t in $TARGETS; do
  case "$t" in
    daemon) file=warmpool.Dockerfile; image="$WARMPOOL_IMAGE_DAEMON:$WARMPOOL_VERSION" ;;
    agent) file=warmpool-agent.Dockerfile; image="$WARMPOOL_IMAGE_AGENT:$WARMPOOL_VERSION" ;;
    agent-cuda) file=warmpool-agent-cuda.Dockerfile; image="$WARMPOOL_IMAGE_AGENT:$WARMPOOL_VERSION$WARMPOOL_AGENT_CUDA_SUFFIX" ;;
  esac
  ignore=""
  ca=${NPM_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
  case "$ENGINE" in podman*) ignore="--ignorefile $HERE/$file.dockerignore" ;; esac
  echo "build-images.sh: $image from infra/images/$file"
  # shellcheck disable=SC2086
  $ENGINE build $BUILD_FLAGS $ignore ${ca:+--secret id=npm_ca,src=$ca} ${BASE:+--build-arg BASE=$BASE} -f "$HERE/$file" -t "$image" "$ROOT"
  if [ "$PUSH" = 1 ]; then $ENGINE push "$image"; fi
done
