# shellcheck shell=bash
# Standalone buildkitds. No Debian suite ships a buildkit binary, so `buildkitd` and `buildctl` are
# compiled offline from the BuildKit tree that Debian unstable's golang-github-docker-docker-dev
# carries (the one dockerd embeds), with unstable's Go and golang-*-dev packages unpacked into a
# private sysroot (the machine's dpkg state is untouched). The two binaries are cached under
# $BW_CACHE_DIR/buildkit-<docker.io version>/ and never rebuilt while they are there.
#
# Each daemon NAME has its own root ($BW_BKD_STATE/NAME), and under $BW_BKD_RUN/NAME/ its socket,
# pid, log, config and, with --tcp, a private CA with server and client certificates for mutual
# TLS on 127.0.0.1. One shared docker-registry on 127.0.0.1 holds the local base images and is every
# daemon's Docker Hub mirror, since no daemon can reach Docker Hub from here.

BW_BKD_RUN=${BUILDWRIGHT_BUILDKITD_RUN:-/run/buildwright-buildkitd}
BW_BKD_STATE=${BUILDWRIGHT_BUILDKITD_STATE:-/var/lib/buildwright-buildkitd}
BW_BKD_REGISTRY_PORT=${BUILDWRIGHT_BUILDKITD_REGISTRY_PORT:-5391}
BW_BKD_REGISTRY=127.0.0.1:$BW_BKD_REGISTRY_PORT
BW_BKD_READY_TIMEOUT=${BUILDWRIGHT_BUILDKITD_READY_TIMEOUT:-60}
# Written when the compile failed: its one line is the reason tests skip with.
BW_BKD_UNAVAILABLE=$BW_CACHE_DIR/buildkit-unavailable
BW_BKD_BUILD_LOG=$BW_CACHE_DIR/buildkit-build.log
# The packages the BuildKit tree imports that the -dev package's own dependencies do not pull in.
BW_BKD_EXTRA_PACKAGES=(
    golang-github-azure-azure-sdk-for-go-dev golang-github-agext-levenshtein-dev
    golang-github-containerd-accelerated-container-image-dev golang-github-dimchansky-utfbom-dev
    golang-github-gofrs-flock-dev golang-github-google-shlex-dev golang-github-hashicorp-go-immutable-radix-v2-dev
    golang-github-package-url-packageurl-go-dev golang-github-pkg-profile-dev golang-github-spdx-tools-golang-dev
    golang-github-tonistiigi-go-archvariant-dev
)
BW_BKD_SOURCE_PACKAGE=golang-github-docker-docker-dev

_bkd_log() { printf 'buildkitd: %s\n' "$*" >&2; }
_bkd_die() { printf 'buildkitd: error: %s\n' "$*" >&2; exit 1; }

# The newest complete cached build, if any.
_bkd_cached() {
    local dir best=""
    for dir in "$BW_CACHE_DIR"/buildkit-*/; do
        [[ -f $dir/.complete && -x $dir/bin/buildkitd && -x $dir/bin/buildctl ]] || continue
        best=$(printf '%s\n%s\n' "$best" "${dir%/}" | sed '/^$/d' | sort -V | tail -n1)
    done
    [[ -n $best ]] && printf '%s\n' "$best"
}

# Every step of the compile; called in a subshell with set -e, its output going to the build log.
# $1: the work folder, $2: the apt folder, $3: the destination folder. Prints nothing on stdout.
_bkd_compile_steps() {
    local work=$1 apt_dir=$2 dest=$3 mirror version upstream goroot tree worker
    local -a opts packages
    mirror=$(bw_mirror_uri)
    mapfile -t opts < <(_bw_apt_opts "$apt_dir")
    version=$(apt-cache "${opts[@]}" policy "$BW_BKD_SOURCE_PACKAGE" | awk '$1 == "Candidate:" { print $2 }')
    [[ -n $version && $version != "(none)" ]]
    # Everything Go the tree needs: the -dev closure (source only, architecture all) and the toolchain.
    mapfile -t packages < <(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances "$BW_BKD_SOURCE_PACKAGE" "${BW_BKD_EXTRA_PACKAGES[@]}" |
        grep -E '^golang-(.*-dev|[0-9.]+-go|[0-9.]+-src)$' | sort -u)
    mkdir -p "$work/debs" "$work/sysroot" "$work/overlay/src" "$work/gocache"
    echo "downloading ${#packages[@]} packages"
    (cd "$work/debs" && apt-get "${opts[@]}" -qq download "${packages[@]}")
    echo "unpacking"
    # Two at a time: unpacking 1.4 GB of small files is bound by the file system, not one core.
    find "$work/debs" -name '*.deb' -print0 | xargs -0 -n 16 -P 2 sh -c \
        'for deb; do dpkg-deb -x "$deb" "$0" || exit 255; done' "$work/sysroot"
    # shellcheck disable=SC2016  # dpkg-deb expands the fields
    for deb in "$work/debs"/*.deb; do dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"; done >"$work/versions"
    rm -rf "$work/debs"
    goroot=$(find "$work/sysroot/usr/lib" -maxdepth 1 -name 'go-*' -type d | sort -V | tail -n1)
    [[ -x $goroot/bin/go ]]
    # moby/profiles and go-actions-cache are in no binary package: take them from engine/vendor of
    # the docker.io source's main tarball.
    upstream=${version#*:}
    upstream=${upstream%-*}
    echo "fetching docker.io_${upstream}.orig.tar.xz"
    /usr/lib/apt/apt-helper download-file "$mirror/pool/main/d/docker.io/docker.io_${upstream}.orig.tar.xz" \
        "$work/orig.tar.xz"
    tar -xJf "$work/orig.tar.xz" -C "$work/overlay" --wildcards \
        '*/engine/vendor.mod' '*/engine/vendor/github.com/moby/profiles/*' '*/engine/vendor/github.com/tonistiigi/go-actions-cache/*'
    # The BuildKit version dockerd vendors is the tree's version (the tree itself records none).
    local bkversion
    bkversion=$(awk '$1 == "github.com/moby/buildkit" && $2 ~ /^v/ { print $2; exit }' "$work"/overlay/*/engine/vendor.mod)
    [[ -n $bkversion ]] || bkversion=v0.0.0+debian-$upstream
    mkdir -p "$work/overlay/src/github.com/moby" "$work/overlay/src/github.com/tonistiigi"
    mv "$work"/overlay/*/engine/vendor/github.com/moby/profiles "$work/overlay/src/github.com/moby/"
    mv "$work"/overlay/*/engine/vendor/github.com/tonistiigi/go-actions-cache "$work/overlay/src/github.com/tonistiigi/"
    rm -rf "$work/orig.tar.xz" "$work"/overlay/moby-*
    # The BuildKit tree, writable, first on GOPATH. A go.mod at its root lets GOPATH mode resolve
    # its /v2 imports (minimal module compatibility).
    tree=$work/overlay/src/github.com/moby/buildkit
    cp -a "$work/sysroot/usr/share/gocode/src/github.com/moby/buildkit" "$tree"
    printf 'module github.com/moby/buildkit\n' >"$tree/go.mod"
    # Debian's stargz-snapshotter is built for containerd's v1 API: drop that optional snapshotter
    # (its case, its imports, and the label helpers only it uses); the unused imports go next.
    worker=$tree/cmd/buildkitd/main_oci_worker.go
    awk '
        /^\tcase "stargz":$/ { skip = 1; next }
        skip && /^\tdefault:$/ { skip = 0 }
        /^const \($/ { rest = 1 }
        skip || rest || /stargz-snapshotter/ { next }
        { print }
    ' "$worker" >"$worker.new"
    mv "$worker.new" "$worker"
    # The fuse-overlayfs snapshotter is in no package either: an importable package that says so.
    mkdir -p "$work/overlay/src/github.com/containerd/fuse-overlayfs-snapshotter/v2"
    cat >"$work/overlay/src/github.com/containerd/fuse-overlayfs-snapshotter/v2/unavailable.go" <<'GO'
// Package fuseoverlayfs: the fuse-overlayfs snapshotter is not part of this build (no Debian
// package ships it); the kernel's overlayfs is used instead.
package fuseoverlayfs

import (
	"errors"

	"github.com/containerd/containerd/v2/core/snapshots"
)

var errUnavailable = errors.New("the fuse-overlayfs snapshotter is not built into this buildkitd")

func Supported(string) error { return errUnavailable }

func NewSnapshotter(string, ...any) (snapshots.Snapshotter, error) { return nil, errUnavailable }
GO
    echo "compiling BuildKit $bkversion"
    local attempt out
    export GOROOT=$goroot GOPATH=$work/overlay:$work/sysroot/usr/share/gocode GO111MODULE=off GOPROXY=off \
        GOFLAGS= CGO_ENABLED=0 GOCACHE=$work/gocache GOTOOLCHAIN=local
    for attempt in 1 2 3; do
        if out=$(cd "$tree" && "$goroot/bin/go" build -trimpath \
            -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$bkversion" \
            -o "$work/bin/" ./cmd/buildkitd ./cmd/buildctl 2>&1); then
            break
        fi
        printf '%s\n' "$out"
        # Imports only the removed stargz code used: delete those lines and compile again.
        local lines expr="" line
        lines=$(printf '%s\n' "$out" | sed -n 's/.*main_oci_worker.go:\([0-9]*\):[0-9]*: ".*imported.*and not used.*/\1/p')
        [[ -n $lines && $attempt -lt 3 ]] || return 1
        for line in $lines; do expr+="${line}d;"; done
        sed -i "$expr" "$worker"
    done
    "$work/bin/buildkitd" --version
    mkdir -p "$dest/bin"
    install -m 0755 "$work/bin/buildkitd" "$work/bin/buildctl" "$dest/bin/"
    cp "$work/versions" "$dest/packages"
    printf '%s\n' "$bkversion" >"$dest/buildkit-version"
    printf '%s\n' "$version" >"$dest/docker.io-version"
    touch "$dest/.complete"
}

# Prints the folder holding bin/buildkitd and bin/buildctl: the cached build, else a fresh compile.
# On failure: one line on stderr, the reason kept in $BW_BKD_UNAVAILABLE, exit status 4.
bw_bkd_binaries() {
    local dir apt_dir="$BW_CACHE_DIR/apt-buildkitd" version work rc=0 started
    if dir=$(_bkd_cached); then
        printf '%s\n' "$dir"
        return 0
    fi
    if [[ -r $BW_BKD_UNAVAILABLE && ${BUILDWRIGHT_BUILDKITD_REBUILD:-0} != 1 ]]; then
        _bkd_log "unavailable: $(head -n1 "$BW_BKD_UNAVAILABLE") (BUILDWRIGHT_BUILDKITD_REBUILD=1 tries again)"
        return 4
    fi
    mkdir -p "$BW_CACHE_DIR"
    # One compile at a time: a second caller waits, then finds the first one's result.
    exec 8>"$BW_CACHE_DIR/.buildkit-build.lock"
    flock 8
    if dir=$(_bkd_cached); then
        exec 8>&-
        printf '%s\n' "$dir"
        return 0
    fi
    _bw_prepare_apt_dir "$apt_dir" unstable
    local -a opts
    mapfile -t opts < <(_bw_apt_opts "$apt_dir")
    if ! apt-get "${opts[@]}" -qq update >"$BW_BKD_BUILD_LOG" 2>&1; then
        _bkd_log "unavailable: cannot read Debian unstable's package index ($(bw_mirror_uri)); log: $BW_BKD_BUILD_LOG"
        return 4
    fi
    version=$(apt-cache "${opts[@]}" policy "$BW_BKD_SOURCE_PACKAGE" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
    if [[ -z $version || $version == "(none)" ]]; then
        # Not remembered: the mirror may answer next time.
        _bkd_log "unavailable: Debian unstable's index ($(bw_mirror_uri)) has no $BW_BKD_SOURCE_PACKAGE; log: $BW_BKD_BUILD_LOG"
        return 4
    fi
    dir="$BW_CACHE_DIR/buildkit-$version"
    started=$(date +%s)
    _bkd_log "compiling buildkitd and buildctl from Debian unstable's $BW_BKD_SOURCE_PACKAGE $version (once; a few minutes)"
    work=$(mktemp -d "$BW_CACHE_DIR/.buildkit-build.XXXXXX")
    (set -euo pipefail; _bkd_compile_steps "$work" "$apt_dir" "$dir") >>"$BW_BKD_BUILD_LOG" 2>&1 8>&- || rc=$?
    rm -rf "$work"
    exec 8>&-
    if ((rc != 0)); then
        rm -rf "$dir"
        printf 'compiling buildkitd from %s %s failed (log: %s)\n' "$BW_BKD_SOURCE_PACKAGE" "${version:-?}" \
            "$BW_BKD_BUILD_LOG" >"$BW_BKD_UNAVAILABLE"
        _bkd_log "unavailable: $(head -n1 "$BW_BKD_UNAVAILABLE"); buildkitd tests skip, dockerd's BuildKit still works"
        return 4
    fi
    rm -f "$BW_BKD_UNAVAILABLE"
    _bkd_log "compiled BuildKit $(<"$dir/buildkit-version") in $(($(date +%s) - started))s, cached in $dir"
    printf '%s\n' "$dir"
}

# --- the shared registry -------------------------------------------------------------------------

_bkd_registry_answers() {
    /usr/lib/apt/apt-helper download-file "http://$BW_BKD_REGISTRY/v2/" /dev/null >/dev/null 2>&1 ||
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "http://$BW_BKD_REGISTRY/v2/" >/dev/null 2>&1
}

_bkd_has_manifest() {
    python3 - "http://$BW_BKD_REGISTRY/v2/$1/manifests/$2" <<'PY' >/dev/null 2>&1
import sys, urllib.request
accept = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"
request = urllib.request.Request(sys.argv[1], method="HEAD", headers={"Accept": accept})
urllib.request.urlopen(request, timeout=5)
PY
}

_bkd_registry_up() {
    local dir="$BW_BKD_STATE/registry" pidfile="$BW_BKD_RUN/registry.pid" pid waited=0
    mkdir -p "$dir/data" "$BW_BKD_RUN"
    if [[ -r $pidfile ]] && pid=$(<"$pidfile") && _bw_alive "$pid" && _bkd_registry_answers; then
        return 0
    fi
    command -v docker-registry >/dev/null || bw_install_host_packages
    cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $BW_BKD_REGISTRY
YAML
    setsid docker-registry serve "$dir/config.yml" </dev/null >>"$BW_BKD_RUN/registry.log" 2>&1 9>&- &
    printf '%s\n' "$!" >"$pidfile"
    while ! _bkd_registry_answers; do
        ((waited++ < 80)) || _bkd_die "the registry on $BW_BKD_REGISTRY did not answer; log: $BW_BKD_RUN/registry.log"
        _bw_alive "$(<"$pidfile")" || _bkd_die "the registry exited; log: $BW_BKD_RUN/registry.log"
        sleep 0.25
    done
}

_bkd_registry_down() {
    local pidfile="$BW_BKD_RUN/registry.pid" pid
    [[ -r $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && _bw_alive "$pid" && [[ $(cat "/proc/$pid/comm") == docker-registry ]]; then
        kill -TERM "$pid"
    fi
    rm -f "$pidfile"
}

# The dockerd engine's local base images, pushed as they are (same digests, busybox with both
# platforms), so a buildkitd resolves `busybox:latest` to what dockerd and buildx resolve.
_bkd_base_images() {
    local image repo tag
    for image in busybox:latest debian:bookworm; do
        repo=library/${image%%:*} tag=${image#*:}
        _bkd_has_manifest "$repo" "$tag" && continue
        bw_docker tag "$image" "$BW_BKD_REGISTRY/$repo:$tag"
        bw_docker push --quiet "$BW_BKD_REGISTRY/$repo:$tag" >/dev/null
        bw_docker image rm "$BW_BKD_REGISTRY/$repo:$tag" >/dev/null
        _bkd_log "pushed $image to the mirror $BW_BKD_REGISTRY"
    done
}

# --- one daemon ----------------------------------------------------------------------------------

_bkd_check_name() {
    [[ ${1:-} =~ ^[a-z0-9][a-z0-9_.-]{0,31}$ ]] || { printf 'buildkitd: error: a daemon name is 1-32 of [a-z0-9_.-], not %q\n' "${1:-}" >&2; exit 2; }
}

_bkd_dir() { printf '%s\n' "$BW_BKD_RUN/$1"; }

bw_bkd_pid() {
    local pidfile pid
    pidfile="$(_bkd_dir "$1")/buildkitd.pid"
    [[ -r $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && _bw_alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == buildkitd ]] || return 1
    printf '%s\n' "$pid"
}

_bkd_buildctl() {
    local bins=$1 name=$2
    shift 2
    "$bins/bin/buildctl" --addr "unix://$(_bkd_dir "$name")/buildkitd.sock" "$@"
}

# A private CA, a server certificate for 127.0.0.1 and localhost, and a client certificate.
_bkd_certs() {
    local tls=$1 name=$2
    [[ -s $tls/ca.pem && -s $tls/server-cert.pem && -s $tls/client-cert.pem ]] && return 0
    mkdir -p "$tls"
    chmod 0700 "$tls"
    local -a ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout "$tls/ca-key.pem" -out "$tls/ca.pem" -days 30 \
        -subj "/CN=buildwright buildkitd $name CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
    printf 'extendedKeyUsage=clientAuth\n' >"$tls/client.ext"
    local role
    for role in server client; do
        openssl req -new "${ec[@]}" -keyout "$tls/$role-key.pem" -out "$tls/$role.csr" \
            -subj "/CN=buildkitd-$name-$role" 2>/dev/null
        openssl x509 -req -in "$tls/$role.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial \
            -out "$tls/$role-cert.pem" -days 30 -extfile "$tls/$role.ext" 2>/dev/null
        rm -f "$tls/$role.csr" "$tls/$role.ext"
    done
    chmod 0600 "$tls"/*-key.pem
}

# One line: what runs, where.
_bkd_describe() {
    local name=$1 dir pid bins version tcp=""
    dir=$(_bkd_dir "$name")
    pid=$(bw_bkd_pid "$name") || { printf 'buildkitd %s: stopped\n' "$name"; return 3; }
    bins=$(readlink "$dir/binaries")
    version=$("$bins/bin/buildkitd" --version 2>/dev/null | awk '{ print $3 }')
    [[ -r $dir/tcp-port ]] && tcp=", tcp://127.0.0.1:$(<"$dir/tcp-port") (mutual TLS, certificates in $dir/tls)"
    [[ -r $dir/max-parallelism ]] && tcp+=", max-parallelism $(<"$dir/max-parallelism")"
    printf 'buildkitd %s: BuildKit %s (pid %s), unix://%s/buildkitd.sock%s, root %s, Docker Hub mirror %s\n' \
        "$name" "${version:-?}" "$pid" "$dir" "$tcp" "$BW_BKD_STATE/$name" "$BW_BKD_REGISTRY"
}

_bkd_start() {
    local name=$1 tcp=$2 bins=$3 parallelism=${4:-} dir root sock limit=""
    dir=$(_bkd_dir "$name")
    root=$BW_BKD_STATE/$name
    sock=$dir/buildkitd.sock
    mkdir -p "$dir" "$root"
    ln -sfn "$bins" "$dir/binaries"
    # BuildKit's own cap on steps run at once: one daemon then models one node's capacity.
    [[ -n $parallelism ]] && limit="  max-parallelism = $parallelism"
    cat >"$dir/buildkitd.toml" <<TOML
# buildwright's buildkitd $name: the OCI worker on the machine's runc, Docker Hub mirrored locally.
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
$limit
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = ["$BW_BKD_REGISTRY"]
[registry."$BW_BKD_REGISTRY"]
  http = true
TOML
    local -a args=(--config "$dir/buildkitd.toml" --root "$root" --addr "unix://$sock")
    rm -f "$dir/tcp-port" "$dir/max-parallelism"
    [[ -n $parallelism ]] && printf '%s\n' "$parallelism" >"$dir/max-parallelism"
    if [[ -n $tcp ]]; then
        _bkd_certs "$dir/tls" "$name"
        args+=(--addr "tcp://127.0.0.1:$tcp" --tlscacert "$dir/tls/ca.pem"
            --tlscert "$dir/tls/server-cert.pem" --tlskey "$dir/tls/server-key.pem")
        printf '%s\n' "$tcp" >"$dir/tcp-port"
    fi
    rm -f "$sock" "$dir/buildkitd.pid"
    printf '\n==== %s buildkitd start\n' "$(date -u +%FT%TZ)" >>"$dir/buildkitd.log"
    # setsid: the daemon outlives this script and its caller; 9>&- keeps the lock out of it.
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin setsid "$bins/bin/buildkitd" "${args[@]}" \
        </dev/null >>"$dir/buildkitd.log" 2>&1 9>&- &
    local pid=$! waited=0
    printf '%s\n' "$pid" >"$dir/buildkitd.pid"
    while ! _bkd_buildctl "$bins" "$name" debug workers >/dev/null 2>&1; do
        if ! _bw_alive "$pid"; then
            tail -n 20 "$dir/buildkitd.log" >&2
            rm -f "$dir/buildkitd.pid" "$dir/tcp-port"
            _bkd_die "buildkitd $name exited during start; log: $dir/buildkitd.log"
        fi
        if ((waited++ > BW_BKD_READY_TIMEOUT * 4)); then
            tail -n 20 "$dir/buildkitd.log" >&2
            _bkd_die "buildkitd $name did not answer within ${BW_BKD_READY_TIMEOUT}s; log: $dir/buildkitd.log"
        fi
        sleep 0.25
    done
}

# Stops daemon $1 by its pid and unmounts whatever it left below its root.
_bkd_stop() {
    local name=$1 dir pid waited=0 mount root=$BW_BKD_STATE/$1
    dir=$(_bkd_dir "$name")
    if pid=$(bw_bkd_pid "$name"); then
        kill -TERM "$pid"
        while _bw_alive "$pid" && ((waited++ < 120)); do sleep 0.25; done
        if _bw_alive "$pid"; then
            _bkd_log "buildkitd $name ($pid) did not stop in 30s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    while read -r mount; do
        umount "$mount" 2>/dev/null || umount -l "$mount"
    done < <(awk -v dir="$root" '$2 == dir || index($2, dir "/") == 1 { print $2 }' /proc/mounts | sort -r)
    rm -f "$dir/buildkitd.pid" "$dir/buildkitd.sock" "$dir/tcp-port" "$dir/max-parallelism"
}

_bkd_lock() {
    mkdir -p "$BW_BKD_RUN"
    exec 9>"$BW_BKD_RUN/.lock"
    flock 9
}

bkd_up() {
    local name="" tcp="" parallelism=""
    while (($#)); do
        case $1 in
        --tcp) tcp=${2:-}; shift 2 || true ;;
        --tcp=*) tcp=${1#--tcp=}; shift ;;
        --max-parallelism) parallelism=${2:-}; shift 2 || true ;;
        --max-parallelism=*) parallelism=${1#--max-parallelism=}; shift ;;
        -*) printf 'buildkitd: error: unknown option %q\n' "$1" >&2; exit 2 ;;
        *) [[ -z $name ]] || { printf 'buildkitd: error: one NAME only\n' >&2; exit 2; }; name=$1; shift ;;
        esac
    done
    _bkd_check_name "$name"
    if [[ -n $tcp ]] && ! [[ $tcp =~ ^[0-9]+$ ]] || { [[ -n $tcp ]] && ((tcp < 1 || tcp > 65535)); }; then
        printf 'buildkitd: error: --tcp wants a port number, not %q\n' "$tcp" >&2
        exit 2
    fi
    if [[ -n $parallelism ]] && ! [[ $parallelism =~ ^[1-9][0-9]*$ ]]; then
        printf 'buildkitd: error: --max-parallelism wants a positive number, not %q\n' "$parallelism" >&2
        exit 2
    fi
    [[ $(id -u) == 0 ]] || _bkd_die "run as root"
    local bins dir
    bins=$(bw_bkd_binaries) || exit 4
    # The base images come from the dockerd engine's store (its own lock, taken first).
    if ! bw_pid >/dev/null || ! bw_responds; then
        (cmd_up) >&2
    fi
    _bkd_lock
    dir=$(_bkd_dir "$name")
    if bw_bkd_pid "$name" >/dev/null; then
        local running="" running_limit=""
        [[ -r $dir/tcp-port ]] && running=$(<"$dir/tcp-port")
        [[ -r $dir/max-parallelism ]] && running_limit=$(<"$dir/max-parallelism")
        if [[ $running == "$tcp" && $running_limit == "$parallelism" ]] && _bkd_buildctl "$bins" "$name" debug workers >/dev/null 2>&1; then
            _bkd_describe "$name"
            return 0
        fi
        _bkd_log "restarting $name (listeners changed or it does not answer)"
        _bkd_stop "$name"
    fi
    _bkd_registry_up
    _bkd_base_images
    _bkd_start "$name" "$tcp" "$bins" "$parallelism"
    _bkd_describe "$name"
}

bkd_down() {
    local name=${1:-} other left=0
    _bkd_check_name "$name"
    _bkd_lock
    if bw_bkd_pid "$name" >/dev/null; then
        _bkd_stop "$name"
        _bkd_log "$name stopped"
    else
        _bkd_stop "$name"
        _bkd_log "$name not running"
    fi
    # The registry serves the daemons only: it stops with the last one.
    for other in "$BW_BKD_RUN"/*/; do
        [[ -d $other ]] && bw_bkd_pid "$(basename "$other")" >/dev/null && left=1
    done
    ((left)) || _bkd_registry_down
}

bkd_status() {
    local name=${1:-} dir bins rc=0
    if [[ -n $name ]]; then
        _bkd_check_name "$name"
        _bkd_describe "$name" || return 3
        return 0
    fi
    if bins=$(_bkd_cached); then
        printf 'binaries: %s (BuildKit %s)\n' "$bins" "$(cat "$bins/buildkit-version" 2>/dev/null || echo '?')"
    elif [[ -r $BW_BKD_UNAVAILABLE ]]; then
        printf 'binaries: unavailable: %s\n' "$(head -n1 "$BW_BKD_UNAVAILABLE")"
    else
        printf 'binaries: not built yet (scripts/engine.sh buildkitd up NAME builds them)\n'
    fi
    for dir in "$BW_BKD_RUN"/*/; do
        [[ -d $dir ]] || continue
        _bkd_describe "$(basename "$dir")" || rc=0
    done
    if _bkd_registry_answers; then
        printf 'registry: %s (Docker Hub mirror, storage %s)\n' "$BW_BKD_REGISTRY" "$BW_BKD_STATE/registry/data"
    else
        printf 'registry: stopped\n'
    fi
    return $rc
}

bkd_env() {
    local name=${1:-} dir bins
    _bkd_check_name "$name"
    dir=$(_bkd_dir "$name")
    bw_bkd_pid "$name" >/dev/null || _bkd_die "$name is not running; run 'scripts/engine.sh buildkitd up $name'"
    bins=$(readlink "$dir/binaries")
    printf 'export BUILDKIT_HOST=%q\n' "unix://$dir/buildkitd.sock"
    printf 'export BUILDWRIGHT_BUILDCTL=%q\n' "$bins/bin/buildctl"
    printf 'export BUILDWRIGHT_BUILDKITD_REGISTRY=%q\n' "$BW_BKD_REGISTRY"
    if [[ -r $dir/tcp-port ]]; then
        printf 'export BUILDWRIGHT_BUILDKITD_TCP=%q\n' "tcp://127.0.0.1:$(<"$dir/tcp-port")"
        printf 'export BUILDWRIGHT_BUILDKITD_TLS=%q\n' "$dir/tls"
    fi
}

bkd_main() {
    local sub=${1:-}
    shift || true
    case $sub in
    up) bkd_up "$@" ;;
    down) bkd_down "$@" ;;
    status) bkd_status "$@" ;;
    env) bkd_env "$@" ;;
    build) bw_bkd_binaries >/dev/null || exit 4 ;;
    *)
        printf 'usage: scripts/engine.sh buildkitd up NAME [--tcp PORT] [--max-parallelism N] | down NAME | status [NAME] | env NAME | build\n' >&2
        exit 2
        ;;
    esac
}
