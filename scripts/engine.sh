#!/usr/bin/env bash
# The private test engine: a dockerd (Debian unstable's, with its embedded BuildKit) on its own socket,
# bridge, data root and containerd namespace, plus the docker-buildx reference builder in a private
# docker config and local base images. Idempotent; run as root on Debian 12.
#
#   scripts/engine.sh up        install what is missing, start the engine, load base images
#   scripts/engine.sh down      stop the engine, remove its bridge (data and caches stay)
#   scripts/engine.sh reset     down, wipe the engine's data (not the download cache), up again
#   scripts/engine.sh status    whether it runs, its versions and socket (exit 3 when stopped)
#   scripts/engine.sh env       `export` lines for DOCKER_HOST, DOCKER_CONFIG and the client path
#   scripts/engine.sh selftest  a buildx build on the engine whose RUN step reaches Debian's mirror
#   scripts/engine.sh buildkitd up NAME [--tcp PORT] [--max-parallelism N]   a standalone buildkitd NAME
#                               (compiled once, cached): its own root, unix socket, optionally 127.0.0.1:PORT
#                               with mutual TLS, optionally BuildKit's max-parallelism in its [worker.oci]
#   scripts/engine.sh buildkitd down NAME | status [NAME] | env NAME   stop it, describe, `export` lines
#
# Environment: BUILDWRIGHT_ENGINE_SOCK (socket path), BUILDWRIGHT_ENGINE_STATE, BUILDWRIGHT_ENGINE_RUN,
# BUILDWRIGHT_ENGINE_BRIDGE, BUILDWRIGHT_ENGINE_NAMESPACE (a second engine beside the default one),
# BUILDWRIGHT_CACHE, BUILDWRIGHT_DEBIAN_MIRROR, BUILDWRIGHT_ENGINE_REFRESH=1 (look for a newer engine),
# BUILDWRIGHT_ENGINE_FALLBACK=1 (use Debian 12's docker.io 20.10 instead), BUILDWRIGHT_ENGINE_READY_TIMEOUT.
# buildkitd: BUILDWRIGHT_BUILDKITD_RUN, BUILDWRIGHT_BUILDKITD_STATE, BUILDWRIGHT_BUILDKITD_REGISTRY_PORT,
# BUILDWRIGHT_BUILDKITD_REBUILD=1 (compile again after a failed compile). Exit 4: no buildkitd here.
set -euo pipefail

LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib"
# shellcheck source=SCRIPTDIR/lib/engine-common.sh
. "$LIB_DIR/engine-common.sh"
# shellcheck source=SCRIPTDIR/lib/engine-packages.sh
. "$LIB_DIR/engine-packages.sh"
# shellcheck source=SCRIPTDIR/lib/engine-daemon.sh
. "$LIB_DIR/engine-daemon.sh"
# shellcheck source=SCRIPTDIR/lib/engine-images.sh
. "$LIB_DIR/engine-images.sh"
# shellcheck source=SCRIPTDIR/lib/engine-emulation.sh
. "$LIB_DIR/engine-emulation.sh"
# shellcheck source=SCRIPTDIR/lib/engine-buildkitd.sh
. "$LIB_DIR/engine-buildkitd.sh"

# One line: engine, containerd and BuildKit versions, and where it listens.
describe() {
    local server containerd buildkit buildx
    server=$(bw_docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')
    containerd=$(bw_docker version --format \
        '{{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}' 2>/dev/null || echo '?')
    buildkit=$(bw_docker buildx inspect 2>/dev/null | awk -F': *' '$1 == "BuildKit version" { print $2; exit }' || true)
    buildx=$(bw_docker buildx version 2>/dev/null | awk '{ print $2 }' || true)
    # Debian builds dockerd without BuildKit's version stamp; say so rather than print a fake version.
    [[ $buildkit != v0.0.0+unknown ]] || buildkit="embedded in dockerd $server (Debian build, reports v0.0.0+unknown)"
    printf 'buildwright engine: dockerd %s (containerd %s), BuildKit %s, buildx %s, unix://%s\n' \
        "$server" "${containerd:-?}" "${buildkit:-?}" "${buildx:-none}" "$BW_SOCK"
}

# Serialises up/down/reset: parallel test sessions may all call `up`, and a reset must not race one.
_lock() {
    mkdir -p "$BW_RUN_DIR"
    exec 9>"$BW_RUN_DIR/.lock"
    flock 9
}

_up_locked() {
    mkdir -p "$BW_STATE_DIR" "$BW_CACHE_DIR"
    if bw_pid >/dev/null && bw_responds; then
        bw_firewall_up
        bw_emulation_up
        bw_base_images
        describe
        return 0
    fi
    if bw_pid >/dev/null; then
        bw_log "dockerd runs but does not answer; restarting it"
        bw_daemon_stop
    fi
    # A containerd left by a killed dockerd would hold the state the new one needs.
    _bw_stop_leftover_containerd
    bw_install_host_packages
    local tree
    tree=$(bw_engine_tree)
    bw_install_client_bits "$tree"
    bw_bridge_up
    bw_firewall_up
    bw_daemon_start "$tree"
    bw_emulation_up
    bw_base_images
    describe
}

_down_locked() {
    if bw_pid >/dev/null; then
        bw_daemon_stop
        bw_log "stopped"
    else
        _bw_stop_leftover_containerd
        rm -f "$BW_PIDFILE"
        bw_log "not running"
    fi
    bw_firewall_down
    bw_bridge_down
}

cmd_up() {
    [[ $(id -u) == 0 ]] || bw_die "run as root"
    _lock
    _up_locked
}

cmd_down() {
    _lock
    _down_locked
}

# down, wipe the engine's state (images, build cache; the download cache stays), up: all under the
# lock, so no other session's `up` can start the daemon on a half-deleted data root.
cmd_reset() {
    [[ $(id -u) == 0 ]] || bw_die "run as root"
    [[ $BW_STATE_DIR == /*/* ]] || bw_die "refusing to wipe '$BW_STATE_DIR'"
    _lock
    _down_locked
    local mount
    # dockerd leaves its data root bind-mounted on itself; unmount deepest first.
    while read -r mount; do
        umount "$mount" 2>/dev/null || umount -l "$mount"
    done < <(awk -v dir="$BW_STATE_DIR" '$2 == dir || index($2, dir "/") == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf "$BW_STATE_DIR"
    bw_log "wiped $BW_STATE_DIR"
    _up_locked
}

cmd_status() {
    local pid
    if pid=$(bw_pid) && bw_responds; then
        printf 'running (pid %s)\n' "$pid"
        describe
        printf 'engine tree: %s\nlog: %s\n' "$(readlink "$BW_CURRENT_LINK" 2>/dev/null || echo '?')" "$BW_LOG"
        return 0
    fi
    if [[ -n ${pid:-} ]]; then
        printf 'dockerd pid %s exists but does not answer on unix://%s\n' "$pid" "$BW_SOCK"
    else
        printf 'stopped (socket unix://%s)\n' "$BW_SOCK"
    fi
    return 3
}

cmd_env() {
    local cli
    cli=$(bw_docker_cli) || bw_die "no docker client; run 'scripts/engine.sh up' first"
    printf 'export DOCKER_HOST=%q\n' "unix://$BW_SOCK"
    printf 'export DOCKER_CONFIG=%q\n' "$BW_DOCKER_CONFIG"
    printf 'export BUILDWRIGHT_ENGINE_SOCK=%q\n' "$BW_SOCK"
    printf 'export BUILDWRIGHT_DOCKER_CLI=%q\n' "$cli"
    if [[ $cli == "$BW_BIN_DIR/docker" ]]; then
        printf 'export PATH=%q\n' "$BW_BIN_DIR:$PATH"
    fi
}

# Proves the reference builder works end to end: local base image, no pull, network in RUN.
cmd_selftest() {
    if ! bw_pid >/dev/null || ! bw_responds; then
        bw_die "engine not running; run 'scripts/engine.sh up'"
    fi
    local ctx
    ctx=$(mktemp -d)
    cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
ARG MIRROR
RUN wget -q -O /release "$MIRROR/dists/bookworm/Release" && head -n 3 /release
DOCKERFILE
    bw_docker buildx build --progress=plain --no-cache --build-arg "MIRROR=$(bw_mirror_uri)" -t buildwright-selftest:latest "$ctx"
    rm -rf "$ctx"
    bw_docker image rm buildwright-selftest:latest >/dev/null
    bw_log "selftest passed"
}

main() {
    case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    reset) cmd_reset ;;
    status) cmd_status ;;
    env) cmd_env ;;
    selftest) cmd_selftest ;;
    buildkitd)
        shift
        bkd_main "$@"
        ;;
    *)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
}

main "$@"
