# syntax=docker/dockerfile:1
# Multi-stage image of the Sanctum MCP gateway: build with the full toolchain, run with production
# dependencies, Python 3 for the plugins, as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nx run server:build --output-style=stream

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 curl ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/apps/server ./dist/apps/server
COPY --chown=node:node mcp/plugins ./mcp/plugins
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
CMD ["node", "dist/apps/server/main.js"]
