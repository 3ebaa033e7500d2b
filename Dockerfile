# syntax=docker/dockerfile:1
# Chat Avatar for Bitrix24. `docker compose up` (compose.yaml) runs it behind Caddy with
# PostgreSQL; docs/deploy.md has the rest. No image can be built on the project's CI machines:
# .ci/production-check.ts reads this file and runs its install, start and health check without
# Docker, so keep every command here in the exact form it runs there.

ARG NODE_VERSION=24.21.0
# better-sqlite3 12 compiled against the headers of Node 24.19 or later aborts the process when
# the garbage collector frees a statement ("Assertion failed: (env) != nullptr",
# nodejs/node#65446); compiled against 24.18.1 it runs cleanly on every 24.x, 24.21 included.
ARG BUILD_NODE_VERSION=24.18.1

# Production dependencies, with the compilers better-sqlite3 needs when no prebuilt binary fits.
FROM node:${BUILD_NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: the same Debian release, without compilers. Code and dependencies belong to root
# and are read-only for the app's user; only /app/data (the SQLite default) is writable.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "server/healthcheck.mjs"]
# node itself is PID 1 (not npm), so SIGTERM from `docker stop` reaches the graceful shutdown.
CMD ["node", "--import", "tsx", "server/main.ts"]
