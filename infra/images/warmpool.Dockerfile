# The warmpool daemon (`warmpool run`). Build from the repository root (names and tags: images.env):
#   infra/images/build-images.sh daemon        # or: docker build -f infra/images/warmpool.Dockerfile .
# Multi-stage: npm ci + build, then the production tree (infra/images/build-tree.sh: dist + production
# dependencies only). Runs as a non-root user (10001) on a read-only root file system; writable: /tmp (a volume).
# No HEALTHCHECK: the orchestrator probes HTTP (/livez, /readyz, /healthz on the `http:` port of warmpool.yaml).
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
RUN npx tsc -b services/autoscaler
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca infra/images/build-tree.sh services/autoscaler /app

FROM ${BASE}
COPY --from=build /app /app
WORKDIR /app
ENV NODE_ENV=production HOME=/tmp
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["node", "/app/services/autoscaler/bin/warmpool.js"]
CMD ["run", "--config", "/etc/warmpool/warmpool.yaml"]
