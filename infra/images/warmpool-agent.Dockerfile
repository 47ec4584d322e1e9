# The model server + warm-up agent (`warmpool-agent serve`), ONNX Runtime on the CPU. CUDA: warmpool-agent-cuda.Dockerfile.
#   infra/images/build-images.sh agent         # or: docker build -f infra/images/warmpool-agent.Dockerfile .
# Multi-stage: npm ci + build (and the bundled test models), then the production tree (build-tree.sh).
# onnxruntime-node's install script only fetches the CUDA EP: skipped here (ONNXRUNTIME_NODE_INSTALL=skip).
# Non-root (10001), read-only root file system friendly: writable /tmp (HOME: the optimized-model cache) as a volume.
# No HEALTHCHECK: probes are HTTP (/v2/health/live, /v2/health/ready; /livez, /readyz, /startupz).
# npm_ca (optional build secret): extra CA certificates for a TLS-intercepting proxy in front of the npm registry,
# used by the npm steps only (never in the image): build-images.sh passes $NPM_CA_FILE or $NODE_EXTRA_CA_CERTS.
ARG BASE=docker.io/library/node:20-bookworm-slim
FROM ${BASE} AS build
WORKDIR /src
ENV ONNXRUNTIME_NODE_INSTALL=skip NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/ packages/
COPY services/ services/
COPY infra/images/build-tree.sh infra/images/build-tree.sh
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --no-audit --no-fund --loglevel=warn
RUN npx tsc -b services/warmup-agent && npm run models -w @warmpool/warmup
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca infra/images/build-tree.sh services/warmup-agent /app

FROM ${BASE}
COPY --from=build /app /app
WORKDIR /app
ENV NODE_ENV=production HOME=/tmp
USER 10001:10001
EXPOSE 9100
ENTRYPOINT ["node", "/app/services/warmup-agent/bin/warmpool-agent.js"]
CMD ["serve", "--model", "tiny-transformer", "--host", "0.0.0.0", "--port", "9100", "--providers", "cpu"]
