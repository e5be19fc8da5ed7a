# shellcheck shell=bash disable=SC2034  # the settings are used by the other parts
# Shared settings and small helpers for scripts/engine.sh: paths, logging, the machine's Debian mirror.
# Every path can be moved with an environment variable so a second engine (e.g. for farm tests) can run
# beside the default one without sharing state, sockets or the bridge.

BW_STATE_DIR=${BUILDWRIGHT_ENGINE_STATE:-/var/lib/buildwright-engine}
BW_CACHE_DIR=${BUILDWRIGHT_CACHE:-/var/cache/buildwright}
BW_RUN_DIR=${BUILDWRIGHT_ENGINE_RUN:-/run/buildwright-engine}
BW_SOCK=${BUILDWRIGHT_ENGINE_SOCK:-$BW_RUN_DIR/docker.sock}
BW_BRIDGE=${BUILDWRIGHT_ENGINE_BRIDGE:-bw0}
BW_NAMESPACE=${BUILDWRIGHT_ENGINE_NAMESPACE:-buildwright}
BW_READY_TIMEOUT=${BUILDWRIGHT_ENGINE_READY_TIMEOUT:-60}

BW_DATA_ROOT=$BW_STATE_DIR/data
BW_DOCKER_CONFIG=$BW_STATE_DIR/docker-config
BW_DAEMON_JSON=$BW_STATE_DIR/daemon.json
BW_LOG=$BW_STATE_DIR/dockerd.log
BW_BIN_DIR=$BW_STATE_DIR/bin
# containerd's sockets live below the exec root; unix socket paths are limited to 108 bytes, so keep it short.
BW_EXEC_ROOT=$BW_RUN_DIR/x
BW_PIDFILE=$BW_RUN_DIR/dockerd.pid
# Which unpacked engine tree the running (or last started) daemon uses.
BW_CURRENT_LINK=$BW_STATE_DIR/engine

bw_log() { printf 'engine: %s\n' "$*" >&2; }
bw_die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

# The first Debian archive URI the machine's apt sources use (deb822 .sources files first, then the
# one-line format). Security and updates archives are skipped: they do not carry the unstable suite.
bw_mirror_uri() {
    local uri=""
    if [[ -n ${BUILDWRIGHT_DEBIAN_MIRROR:-} ]]; then
        printf '%s\n' "$BUILDWRIGHT_DEBIAN_MIRROR"
        return
    fi
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r $f ]] || continue
        uri=$(awk '
            /^[ \t]*$/ { if (uri != "" && suites ~ /(^|[ \t])(bookworm|stable|trixie|sid|unstable)([ \t]|$)/) { print uri; exit } uri=""; suites="" ; next }
            tolower($1) == "uris:" { uri=$2 }
            tolower($1) == "suites:" { $1=""; suites=$0 }
            END { if (uri != "" && suites ~ /(^|[ \t])(bookworm|stable|trixie|sid|unstable)([ \t]|$)/) print uri }
        ' "$f" | head -n1)
        [[ -n $uri ]] && break
    done
    if [[ -z $uri && -r /etc/apt/sources.list ]]; then
        uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if ($(i+1) !~ /-(security|updates)$/) { print $i; exit } break } }' \
            /etc/apt/sources.list | head -n1)
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# The docker client the reference builder uses: the machine's own when it has one, else the unpacked one.
bw_docker_cli() {
    if [[ -x $BW_BIN_DIR/docker ]]; then
        printf '%s\n' "$BW_BIN_DIR/docker"
    elif command -v docker >/dev/null 2>&1; then
        command -v docker
    else
        return 1
    fi
}

# Runs the docker client against this engine with the private config (and so the private buildx plugin).
bw_docker() {
    local cli
    cli=$(bw_docker_cli) || bw_die "no docker client found"
    DOCKER_HOST=unix://$BW_SOCK DOCKER_CONFIG=$BW_DOCKER_CONFIG "$cli" "$@"
}
