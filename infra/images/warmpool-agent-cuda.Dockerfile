# The model server + warm-up agent with ONNX Runtime's CUDA execution provider (CUDA 12, cuDNN 9), tag
# VERSION-cuda12 (images.env). Not built in the project's sandbox (no GPU, no registry images); build where
# docker.io and nvcr.io are reachable:
#   infra/images/build-images.sh agent-cuda    # or: docker build -f infra/images/warmpool-agent-cuda.Dockerfile .
# The CUDA EP binaries come from onnxruntime-node's own install option for CUDA 12 (ONNXRUNTIME_NODE_INSTALL=cuda12),
# run by build-tree.sh. The agent falls back to the CPU when CUDA is missing (--providers cuda,cpu).
# npm_ca (optional build secret): extra CA certificates for a TLS-intercepting proxy in front of the npm registry,
# used by the npm steps only (never in the image): build-images.sh passes $NPM_CA_FILE or $NODE_EXTRA_CA_CERTS.
ARG BASE=docker.io/library/node:20-bookworm-slim
ARG CUDA_BASE=docker.io/nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04
FROM ${BASE} AS build
WORKDIR /src
ENV ONNXRUNTIME_NODE_INSTALL=skip NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/ packages/
COPY services/ services/
COPY infra/images/build-tree.sh infra/images/build-tree.sh
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --no-audit --no-fund --loglevel=warn
RUN npx tsc -b services/warmup-agent && npm run models -w @warmpool/warmup
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca ONNXRUNTIME_NODE_INSTALL=cuda12 infra/images/build-tree.sh services/warmup-agent /app

FROM ${CUDA_BASE}
# Node 20 from the build stage (the official binary runs on glibc >= 2.28).
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /app /app
WORKDIR /app
ENV NODE_ENV=production HOME=/tmp
USER 10001:10001
EXPOSE 9100
ENTRYPOINT ["node", "/app/services/warmup-agent/bin/warmpool-agent.js"]
CMD ["serve", "--model", "tiny-transformer", "--host", "0.0.0.0", "--port", "9100", "--providers", "cuda,cpu"]
