# The broker's container image (README, "Docker"). Multi-stage: the build stage has
# the dev dependencies (TypeScript) and compiles; the runtime stage has the compiled
# broker and the production dependencies only, and runs as the non-root `node` user.
#
#   docker build -t streams-broker .
#   docker run -d -p 6379:6379 -p 9121:9121 -v broker-data:/data \
#     -e BROKER_PASSWORD=s3cret streams-broker
#
# NODE_IMAGE: any Node.js 20+ image with npm, a POSIX shell and a `node` user
# (uid 1000). test/container/docker-env.sh builds a stand-in from the host's own
# Node.js where no registry can be reached.
ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies, from the lockfile alone (cached until it changes).
FROM ${NODE_IMAGE} AS deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The compiled broker: every dependency (TypeScript), then the sources.
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY docker/tsconfig.image.json docker/
COPY protocol protocol
COPY engine engine
COPY broker broker
RUN npx tsc -p docker/tsconfig.image.json

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /build/node_modules node_modules
COPY --from=build /build/dist dist
COPY docker/broker.conf /etc/streams-broker/broker.conf
COPY docker/entrypoint.sh docker/healthcheck.mjs docker/
# The AOF's directory, owned by the user the broker runs as; also the working directory
# (the broker's default `dir`).
RUN mkdir -p /data && chown node:node /data
VOLUME /data
WORKDIR /data
USER node
# RESP, HTTP (/metrics, /healthz, /readyz, the WebSocket gateway).
EXPOSE 6379 9121
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
# docker stop sends SIGTERM: the broker stops accepting, lets followers catch up for at
# most shutdown-timeout seconds, fsyncs the AOF and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/docker/entrypoint.sh"]
