#!/usr/bin/env bash
# The container suites' Docker, for developers, `npm test` (test/container/global-setup.ts)
# and CI alike. No image registry is reachable from these machines, so nothing is ever
# pulled: the base image is the official one when it is already here, else a stand-in
# made from this machine's own Node.js.
#
#   test/container/docker-env.sh install      apt-get installs docker.io and docker-compose when missing (.ci/run)
#   test/container/docker-env.sh up [OWNER]   daemon answering, base image, project image built
#   test/container/docker-env.sh down [OWNER] stops dockerd if `up` started it and no one else uses it
#   test/container/docker-env.sh prometheus   a Prometheus image from this machine's prometheus (after `up`)
#   test/container/docker-env.sh test [ARGS]  `npx vitest run --project container ARGS` (which calls up and down)
#   test/container/docker-env.sh clean        removes everything the suites made (containers, networks, volumes)
#
# `up` and `prometheus` print `image=<tag>` on their last line; when Docker cannot run here it prints
# `missing=<what is missing>` and exits 3 (the suites then skip, or fail under CI=true).
# OWNER is the process that uses the daemon (default: the caller), so that several runs
# share one dockerd and the last one out stops it.
#
# Environment: NODE_IMAGE (the base, default the Dockerfile's), BROKER_IMAGE (the tag
# built, default streams-broker:test), DOCKER_HOST (a daemon elsewhere: used, never started).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="${TMPDIR:-/tmp}/streams-broker-docker"
NODE_IMAGE="${NODE_IMAGE:-$(sed -n 's/^ARG NODE_IMAGE=//p' "$ROOT/Dockerfile")}"
BROKER_IMAGE="${BROKER_IMAGE:-streams-broker:test}"
# Every container, network and volume the suites create carries it (test/container/cluster.ts).
SUITE_LABEL=streams-broker.test
# The stand-in is named after the Node.js it holds: a new host Node.js makes a new one.
STANDIN_IMAGE="streams-broker/node-standin:$(node --version 2>/dev/null | tr -d v || echo none)"

log() { echo "docker-env: $*" >&2; }

missing() {
  echo "missing=$*"
  exit 3
}

daemon_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# --- the daemon ---------------------------------------------------------------------

start_daemon() {
  daemon_answers && return 0
  [[ -n "${DOCKER_HOST:-}" ]] && missing "the Docker daemon at DOCKER_HOST=$DOCKER_HOST does not answer"
  command -v dockerd >/dev/null 2>&1 || missing "no Docker daemon answers and dockerd is not installed (apt-get install docker.io)"
  [[ "$(id -u)" == 0 ]] || missing "no Docker daemon answers and starting dockerd needs root"
  log "starting dockerd (log: $STATE/dockerd.log)"
  # setsid: the daemon outlives this script and is not in the terminal's process group.
  # 9>&-: the daemon must not hold the lock of this script (below) for its lifetime.
  setsid dockerd >"$STATE/dockerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/dockerd.pid"
  for _ in $(seq 1 120); do
    daemon_answers && return 0
    if ! kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
      rm -f "$STATE/dockerd.pid"
      tail -5 "$STATE/dockerd.log" >&2
      missing "dockerd exited at start-up (see $STATE/dockerd.log)"
    fi
    sleep 0.5
  done
  missing "dockerd did not answer within 60 s (see $STATE/dockerd.log)"
}

# Whether a run that is still alive uses the daemon (the owners of dead ones are forgotten).
owned() {
  local found=1 file
  for file in "$STATE"/owners/*; do
    [[ -e "$file" ]] || continue
    if kill -0 "$(basename "$file")" 2>/dev/null; then found=0; else rm -f "$file"; fi
  done
  return $found
}

# Stops the dockerd `up` started, once no owner that is still alive uses it.
stop_daemon() {
  local pidfile="$STATE/dockerd.pid"
  [[ -f "$pidfile" ]] || return 0
  owned && return 0
  local pid
  pid="$(cat "$pidfile")"
  log "stopping the dockerd it started (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  rm -f "$pidfile"
}

# --- images -------------------------------------------------------------------------

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Copies a file and the shared libraries it loads into the root filesystem at $1.
copy_with_libs() {
  local rootfs="$1" file="$2"
  cp -L --parents "$file" "$rootfs"
  ldd "$file" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
    [[ -e "$rootfs$lib" ]] || cp -L --parents "$lib" "$rootfs"
  done
}

# A base image holding this machine's Node.js and npm, dash as /bin/sh, the few
# coreutils a Dockerfile's RUN uses, the CA certificates (NODE_EXTRA_CA_CERTS, so that
# npm inside the build trusts what the host trusts) and a `node` user, as the official
# image has: `docker import` of a root filesystem, no registry needed.
build_standin() {
  local node npm_dir rootfs
  node="$(readlink -f "$(command -v node)")"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  rootfs="$(mktemp -d "$STATE/rootfs.XXXXXX")"
  log "building the stand-in base $STANDIN_IMAGE from $node and $npm_dir"
  copy_with_libs "$rootfs" "$node"
  for tool in /bin/dash /usr/bin/env /bin/mkdir /bin/chown /bin/chmod /bin/cat /bin/ls /bin/rm /bin/cp /bin/mv /bin/ln /usr/bin/id; do
    copy_with_libs "$rootfs" "$tool"
  done
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/root" "$rootfs/home/node"
  ln -sf dash "$rootfs/bin/sh"
  [[ "$node" == /usr/local/bin/node ]] || ln -sf "$node" "$rootfs/usr/local/bin/node"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
  chown 1000:1000 "$rootfs/home/node"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' \
    - "$STANDIN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# The project's Dockerfile, built on the base (`--network host`: npm ci inside the build
# reaches the registry as this machine does). Layers are cached: a rebuild without
# changes takes seconds.
build_image() {
  local base="$NODE_IMAGE"
  if ! has_image "$base"; then
    has_image "$STANDIN_IMAGE" || build_standin
    log "$NODE_IMAGE is not here and cannot be pulled: building on the stand-in $STANDIN_IMAGE"
    base="$STANDIN_IMAGE"
  fi
  log "building $BROKER_IMAGE on $base"
  # The legacy builder: the daemon (Debian's 20.10) has no buildx next to a newer CLI.
  DOCKER_BUILDKIT=0 docker build --network host --pull=false --build-arg "NODE_IMAGE=$base" \
    --label "$SUITE_LABEL.image=1" -t "$BROKER_IMAGE" "$ROOT" >"$STATE/build.log" 2>&1 || {
    tail -30 "$STATE/build.log" >&2
    log "docker build failed (see $STATE/build.log)"
    exit 1
  }
  # The images this tag replaced.
  docker image prune -f --filter "label=$SUITE_LABEL.image" >/dev/null
}

# A Prometheus image laid out as the official one (the binary as /bin/prometheus, the
# working directory /prometheus owned by `nobody`, the same entrypoint and default
# command) from the prometheus Debian installs here: the compose stack's Prometheus
# (test/container/compose.test.ts), since prom/prometheus cannot be pulled.
prometheus_image() {
  command -v prometheus >/dev/null 2>&1 || missing "prometheus is not installed (apt-get install prometheus): no Prometheus image"
  local binary version tag rootfs
  binary="$(readlink -f "$(command -v prometheus)")"
  version="$(prometheus --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p' | tr '+~' '--')"
  tag="streams-broker/prometheus-standin:${version:-unknown}"
  if ! has_image "$tag"; then
    log "building the Prometheus stand-in $tag from $binary"
    rootfs="$(mktemp -d "$STATE/rootfs.XXXXXX")"
    copy_with_libs "$rootfs" "$binary"
    mkdir -p "$rootfs/bin" "$rootfs/etc/prometheus" "$rootfs/prometheus" "$rootfs/tmp"
    [[ "$binary" == /bin/prometheus ]] || mv "$rootfs$binary" "$rootfs/bin/prometheus"
    printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
    chown 65534:65534 "$rootfs/prometheus"
    chmod 1777 "$rootfs/tmp"
    tar -C "$rootfs" -c . | docker import \
      --change 'USER nobody' \
      --change 'WORKDIR /prometheus' \
      --change 'EXPOSE 9090' \
      --change 'VOLUME ["/prometheus"]' \
      --change 'ENTRYPOINT ["/bin/prometheus"]' \
      --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' \
      - "$tag" >/dev/null
    rm -rf "$rootfs"
  fi
  echo "image=$tag"
}

# --- what the suites leave ------------------------------------------------------------

# Whether the run that a resource's label names is gone. The label holds the owner's PID
# (global-setup.ts); anything else (an older run's `true`) counts as gone.
owner_gone() {
  [[ "$1" =~ ^[0-9]+$ ]] || return 0
  ! kill -0 "$1" 2>/dev/null
}

# The suites' resources of one kind, a line each: `<id> <owner label>`.
labelled() {
  local format="{{.Label \"$SUITE_LABEL\"}}"
  case "$1" in
  container) docker ps -a --filter "label=$SUITE_LABEL" --format "{{.ID}} $format" ;;
  network) docker network ls --filter "label=$SUITE_LABEL" --format "{{.ID}} $format" ;;
  volume) docker volume ls --filter "label=$SUITE_LABEL" --format "{{.Name}} $format" ;;
  esac
}

# Removes the suites' containers, networks and volumes: all of them (`clean`), or only
# those of runs that are gone (`up`, which must not pull a live run's out from under it).
clean() {
  local scope="${1:-all}" kind id owner
  daemon_answers || return 0
  for kind in container network volume; do
    local ids=()
    while read -r id owner; do
      [[ -n "$id" ]] || continue
      if [[ "$scope" == all ]] || owner_gone "$owner"; then ids+=("$id"); fi
    done < <(labelled "$kind")
    ((${#ids[@]} == 0)) && continue
    case "$kind" in
    container) docker rm -f -v "${ids[@]}" >/dev/null ;;
    network) docker network rm "${ids[@]}" >/dev/null ;;
    volume) docker volume rm -f "${ids[@]}" >/dev/null ;;
    esac
  done
}

# --- packages -----------------------------------------------------------------------

# Debian's docker.io (dockerd, containerd, runc and a CLI) and, where the compose plugin
# is missing, docker-compose (test/http/compose.test.ts validates the compose files).
install() {
  local packages=()
  command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
  { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } || packages+=(docker-compose)
  if ((${#packages[@]} == 0)); then
    log "docker.io and a compose tool already installed"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || {
    log "installing ${packages[*]} needs root"
    exit 1
  }
  log "installing ${packages[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
}

# --- commands -----------------------------------------------------------------------

mkdir -p "$STATE/owners"
command=${1:-}
case "$command" in
install) install ;;
up)
  owner="${2:-$PPID}"
  command -v docker >/dev/null 2>&1 || missing "the docker CLI is not installed (apt-get install docker.io)"
  # One `up` at a time: concurrent runs share the daemon and the build cache.
  exec 9>"$STATE/lock"
  flock -w 1200 9 || missing "another docker-env.sh holds $STATE/lock for 20 minutes"
  start_daemon
  # What runs that are gone left behind goes; a live run's containers stay.
  clean dead
  touch "$STATE/owners/$owner"
  build_image
  echo "image=$BROKER_IMAGE"
  ;;
down)
  owner="${2:-$PPID}"
  exec 9>"$STATE/lock"
  flock -w 1200 9
  rm -f "$STATE/owners/$owner"
  stop_daemon
  ;;
test)
  # The suite's global set-up calls `up` and `down` itself.
  shift
  cd "$ROOT" && exec npx vitest run --project container "$@"
  ;;
prometheus)
  daemon_answers || missing "no Docker daemon answers (run \`up\` first)"
  exec 9>"$STATE/lock"
  flock -w 1200 9 || missing "another docker-env.sh holds $STATE/lock for 20 minutes"
  prometheus_image
  ;;
clean) clean ;;
*)
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
