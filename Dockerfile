# syntax=docker/dockerfile:1
#
# One image for every Flix service (docker-compose.yml builds it once per service):
#   docker build --build-arg SERVICE=identity -t flix-identity .
#
# manifests: only the package.json files + lockfile, so `npm ci` stays cached until one changes
# build:     toolchain for argon2 (compiled at install: its bundled prebuild crashes Node 20),
#            npm ci with install scripts (npm 11 runs those approved in package.json allowScripts),
#            npm run generate (libs/proto/gen + build/flix.binpb), scripts/build-dist.mjs (every
#            service compiled to build/dist/<service>.mjs: the workspace code and generated protos
#            bundled, npm packages loaded from node_modules), then every dev dependency pruned
# runtime:   node:20-bookworm-slim without compilers, the app owned by root, run as `node`;
#            the service runs as JavaScript, nothing transpiles TypeScript at start
#
# Everything before `ARG SERVICE` is shared by all services' images (one build, cached).
# gateway-envoy/Dockerfile starts with the same manifests/build steps, so BuildKit reuses them.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name node_modules -prune -o -name package.json -print | tar -cf - -T - | tar -xf - -C /manifests \
 && cp package-lock.json /manifests/

FROM ${NODE_IMAGE} AS build
ARG NPM_VERSION=11.19.1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g "npm@${NPM_VERSION}" --no-audit --no-fund
# nodedir: node-gyp compiles argon2 against the image's own headers instead of downloading them.
ENV CI=true npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false \
    npm_config_nodedir=/usr/local
WORKDIR /app
COPY --from=manifests /manifests/ ./
# npm ci refuses a lockfile that lacks optional platform packages its registry did not serve
# (see scripts/setup.sh); npm install then installs the same locked versions.
RUN --mount=type=cache,target=/root/.npm \
    { npm ci || { echo "npm ci failed; retrying with npm install" >&2 && npm install; }; } \
 && test -f node_modules/argon2/build/Release/argon2.node \
 && node -e "import('argon2').then((a) => a.default.hash('build-check')).then(() => console.log('argon2 compiled and working'))"
COPY . .
RUN npm run generate
RUN node scripts/build-dist.mjs \
 && test -f build/dist/identity.mjs
RUN npm prune --omit=dev \
 && rm -rf build/third_party

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    GRPC_PORT=50051 \
    HTTP_PORT=8081 \
    FLIX_DESCRIPTOR_SET=/app/build/flix.binpb
WORKDIR /app
# Owned by root and read-only for the service user.
COPY --from=build /app /app
ARG SERVICE
RUN if [ -z "${SERVICE}" ]; then echo "build with --build-arg SERVICE=<a folder of services/>" >&2; exit 1; fi \
 && if [ ! -f "build/dist/${SERVICE}.mjs" ]; then echo "build/dist/${SERVICE}.mjs does not exist: services/${SERVICE}/src/main.ts is not a service" >&2; exit 1; fi
ENV SERVICE=${SERVICE}
USER node
EXPOSE 50051 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8081) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# Shell form so ${SERVICE} expands; exec so node is the process that receives SIGTERM. Source
# maps: stack traces name the TypeScript files and lines.
CMD ["/bin/sh", "-c", "exec node --enable-source-maps \"build/dist/${SERVICE}.mjs\""]
