# syntax=docker/dockerfile:1
# Image of the Sanctum MCP gateway: the build stage makes the npm package `sanctum-mcp`
# (tools/scripts/pack.mjs: the webpack bundle, which carries every dependency, and the bundled
# plugins); the runtime stage installs that package with tools/scripts/install-package.sh, so it
# holds no node_modules. CI runs the runtime stage's install step and command in a clean folder
# (tools/scripts/package-check.sh); the image itself is built only where a Docker engine is.

FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nx run server:build --output-style=stream \
  && node tools/scripts/pack.mjs --destination /pack \
  && mv /pack/sanctum-mcp-*.tgz /pack/sanctum-mcp.tgz

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 curl ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /pack/sanctum-mcp.tgz /src/tools/scripts/install-package.sh /tmp/
RUN sh /tmp/install-package.sh /tmp/sanctum-mcp.tgz /app /usr/local/bin \
  && rm /tmp/sanctum-mcp.tgz /tmp/install-package.sh \
  && chown -R node:node /app/mcp/plugins
WORKDIR /app
USER node
# Binding beyond loopback needs an API key: pass MCP_API_KEY (or MCP_API_KEYS) at run time,
# or the gateway refuses to start (exit 2) — it never serves plugins to the network unprotected.
ENV MCP_HOST=0.0.0.0 \
    MCP_PORT=8000 \
    MCP_PLUGINS_DIR=/app/mcp/plugins \
    MCP_DISCOVERY_CACHE=/tmp/sanctum-mcp/discovery-v1.json \
    DEVOPS_STATE_DIR=/home/node/.local/state/sanctum-mcp
VOLUME ["/app/mcp/plugins"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/health/live || exit 1
CMD ["sanctum-mcp"]
