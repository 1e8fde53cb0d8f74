#!/bin/sh
# The image's entry point: the broker with the configuration file first, then
# the flags the BROKER_* environment variables ask for, then the container's
# arguments. Later flags win over earlier ones and over the file, so
# `docker run ... --appendfsync always` beats BROKER_APPENDFSYNC, which beats
# the file. Node runs as PID 1: broker/main.ts handles SIGTERM and SIGINT itself.
set -eu

# Values are split on blanks, as on a config line (BROKER_REPLICAOF="leader 6379").
# shellcheck disable=SC2086
[ -n "${BROKER_REPLICAOF:-}" ] && set -- --replicaof $BROKER_REPLICAOF "$@"
[ -n "${BROKER_APPENDFSYNC:-}" ] && set -- --appendfsync "$BROKER_APPENDFSYNC" "$@"
[ -n "${BROKER_PROTECTED_MODE:-}" ] && set -- --protected-mode "$BROKER_PROTECTED_MODE" "$@"
[ -n "${BROKER_LOGLEVEL:-}" ] && set -- --loglevel "$BROKER_LOGLEVEL" "$@"
[ -n "${BROKER_HTTP_PORT:-}" ] && set -- --http-port "$BROKER_HTTP_PORT" "$@"
# One password for the clients and for a follower's link to its leader.
[ -n "${BROKER_PASSWORD:-}" ] && set -- --requirepass "$BROKER_PASSWORD" --masterauth "$BROKER_PASSWORD" "$@"

exec node /app/dist/broker/main.js "${BROKER_CONFIG_FILE:-/etc/streams-broker/broker.conf}" "$@"
