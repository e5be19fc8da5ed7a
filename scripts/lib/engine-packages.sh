# shellcheck shell=bash
# Host packages and the engine binaries. The engine (dockerd, containerd, buildx, docker CLI) comes from
# Debian unstable, fetched with a private apt configuration and unpacked with dpkg -x into a versioned
# cache folder, so nothing on the machine's package state changes for it. runc stays the machine's own:
# unstable's needs a newer glibc than Debian 12 has.

BW_HOST_PACKAGES=(runc iptables debootstrap busybox-static ca-certificates git docker-registry)
BW_ENGINE_PACKAGES=(docker.io containerd docker-buildx docker-cli tini-static)

bw_install_host_packages() {
    local missing=() pkg
    for pkg in "${BW_HOST_PACKAGES[@]}"; do
        if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    bw_log "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Private apt options: own sources list, lists and cache; an empty dpkg status so apt resolves nothing
# against the machine's installed set (apt-get download fetches exactly the named packages).
_bw_apt_opts() {
    local base=$1
    printf '%s\n' \
        -o "Dir::Etc::sourcelist=$base/sources.list" \
        -o "Dir::Etc::sourceparts=-" \
        -o "Dir::State::Lists=$base/lists" \
        -o "Dir::Cache=$base/cache" \
        -o "Dir::State::status=$base/status" \
        -o "Debug::NoLocking=1" \
        -o "APT::Sandbox::User=root"
}

_bw_prepare_apt_dir() {
    local base=$1 suite=$2 mirror
    mirror=$(bw_mirror_uri)
    mkdir -p "$base/lists/partial" "$base/cache/archives/partial"
    : >"$base/status"
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$mirror" "$suite" \
        >"$base/sources.list"
}

# Newest complete unpacked engine in the cache, if any.
_bw_cached_engine() {
    local dir best=""
    for dir in "$BW_CACHE_DIR"/engine/*/; do
        [[ -f $dir/.complete ]] || continue
        best=$(printf '%s\n%s\n' "$best" "${dir%/}" | sed '/^$/d' | sort -V | tail -n1)
    done
    [[ -n $best ]] && printf '%s\n' "$best"
}

# The engine's binaries must start on this machine (unstable's builds need glibc >= 2.34).
_bw_engine_runs() {
    local root=$1
    "$root/usr/sbin/dockerd" --version >/dev/null 2>&1 && "$root/usr/bin/containerd" --version >/dev/null 2>&1
}

# Downloads and unpacks the engine packages of one suite; prints the folder. $3: packages, space-separated.
_bw_fetch_suite() {
    local suite=$1 tag=$2 packages=$3 apt_dir="$BW_CACHE_DIR/apt-$1" version dest tmp
    local -a opts
    _bw_prepare_apt_dir "$apt_dir" "$suite"
    mapfile -t opts < <(_bw_apt_opts "$apt_dir")
    bw_log "refreshing the $suite package index ($(bw_mirror_uri))"
    apt-get "${opts[@]}" -qq update >&2 || return 1
    version=$(apt-cache "${opts[@]}" policy docker.io | awk '$1 == "Candidate:" { print $2 }')
    [[ -n $version && $version != "(none)" ]] || return 1
    dest="$BW_CACHE_DIR/engine/${version}${tag}"
    if [[ -f $dest/.complete ]]; then
        printf '%s\n' "$dest"
        return 0
    fi
    tmp=$(mktemp -d "$BW_CACHE_DIR/engine/.fetch.XXXXXX")
    # shellcheck disable=SC2086  # the package list is split on purpose
    (cd "$tmp" && apt-get "${opts[@]}" -qq download $packages >&2) || { rm -rf "$tmp"; return 1; }
    # Called inside `if`, where set -e is off: every step checks itself.
    mkdir -p "$tmp/root" || return 1
    local deb
    for deb in "$tmp"/*.deb; do
        dpkg -x "$deb" "$tmp/root" || { rm -rf "$tmp"; return 1; }
        # shellcheck disable=SC2016  # dpkg-deb expands the fields, not the shell
        dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$tmp/versions"
    done
    rm -f "$tmp"/*.deb
    rm -rf "$dest"
    mv "$tmp" "$dest" && touch "$dest/.complete" || return 1
    printf '%s\n' "$dest"
}

# Prints the folder of an unpacked engine that runs here: the cached one (unless
# BUILDWRIGHT_ENGINE_REFRESH=1), else the newest from unstable, else Debian 12's own docker.io.
bw_engine_tree() {
    local dir
    mkdir -p "$BW_CACHE_DIR/engine"
    if [[ ${BUILDWRIGHT_ENGINE_REFRESH:-0} != 1 && ${BUILDWRIGHT_ENGINE_FALLBACK:-0} != 1 ]] &&
        dir=$(_bw_cached_engine) && _bw_engine_runs "$dir/root"; then
        printf '%s\n' "$dir"
        return 0
    fi
    # BUILDWRIGHT_ENGINE_FALLBACK=1 goes straight to the fallback (to test it).
    if [[ ${BUILDWRIGHT_ENGINE_FALLBACK:-0} != 1 ]] &&
        dir=$(_bw_fetch_suite unstable "" "${BW_ENGINE_PACKAGES[*]}") && _bw_engine_runs "$dir/root"; then
        printf '%s\n' "$dir"
        return 0
    fi
    bw_log "WARNING: Debian unstable's engine is not available or does not run here;"
    bw_log "WARNING: falling back to Debian 12's docker.io (20.10, BuildKit of 2020, no buildx plugin)"
    local suite
    suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
    if dir=$(_bw_fetch_suite "$suite" "-$suite" "docker.io containerd") && _bw_engine_runs "$dir/root"; then
        printf '%s\n' "$dir"
        return 0
    fi
    bw_die "could not get a working docker engine from Debian unstable or $suite"
}

# Makes the unpacked buildx the CLI plugin of the private docker config; links the unpacked docker
# client when the machine has none.
bw_install_client_bits() {
    local tree=$1
    local plugin="$tree/root/usr/libexec/docker/cli-plugins/docker-buildx"
    mkdir -p "$BW_DOCKER_CONFIG/cli-plugins" "$BW_BIN_DIR"
    [[ -f $BW_DOCKER_CONFIG/config.json ]] || printf '{}\n' >"$BW_DOCKER_CONFIG/config.json"
    if [[ -x $plugin ]]; then
        # A copy, not a link: the plugin keeps working if the cache folder is cleaned.
        cmp -s "$plugin" "$BW_DOCKER_CONFIG/cli-plugins/docker-buildx" ||
            install -m 0755 "$plugin" "$BW_DOCKER_CONFIG/cli-plugins/docker-buildx"
    else
        bw_log "WARNING: no docker-buildx in $tree; the reference builder is unavailable"
        rm -f "$BW_DOCKER_CONFIG/cli-plugins/docker-buildx"
    fi
    local machine_cli
    machine_cli=$(command -v docker 2>/dev/null || true)
    if [[ -n $machine_cli && $machine_cli != "$BW_BIN_DIR/docker" ]]; then
        rm -f "$BW_BIN_DIR/docker"
    elif [[ -x $tree/root/usr/bin/docker ]]; then
        ln -sfn "$tree/root/usr/bin/docker" "$BW_BIN_DIR/docker"
    else
        bw_die "no docker client on the machine and none in $tree"
    fi
}
