# shellcheck shell=bash
# Local base images. No registry on the internet is reachable from these machines, so `busybox:latest`
# and `debian:bookworm` are made here and imported into the engine's image store, where both
# `docker buildx build` and BuildKit's gateway ResolveImageConfig find them without pulling.

BW_IMAGE_PATH_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# A fixed mtime keeps the busybox layer (its diff id) the same on every machine and run.
BW_IMAGE_EPOCH='2024-01-01 00:00:00Z'

_bw_image_exists() {
    bw_docker image inspect --format '{{.Id}}' "$1" >/dev/null 2>&1
}

# A busybox rootfs like the official image's: /bin/busybox and one link per applet, root/nobody and a
# uid/gid 1000 user, sticky /tmp. $2: the busybox binary (default: the machine's busybox-static).
_bw_busybox_tar() {
    local out=$1 busybox=${2:-/bin/busybox} root applet
    [[ -x $busybox ]] || busybox=$(command -v busybox)
    "$busybox" --list >/dev/null 2>&1 || bw_die "busybox-static is not usable ($busybox)"
    root=$(mktemp -d)
    mkdir -p "$root"/{bin,dev,etc,home/user,root,tmp,usr/bin,usr/sbin,var/spool/mail,var/www}
    install -m 0755 "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
    done
    cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
user:x:1000:1000:Linux User,,,:/home/user:/bin/sh
PASSWD
    cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
user:x:1000:
GROUP
    chmod 0644 "$root/etc/passwd" "$root/etc/group"
    chmod 0700 "$root/root"
    chmod 1777 "$root/tmp"
    chown 1000:1000 "$root/home/user"
    tar --sort=name --mtime="$BW_IMAGE_EPOCH" --numeric-owner --xattrs -C "$root" -cf "$out" .
    rm -rf "$root"
}

_bw_debian_tar() {
    local out=$1 suite=$2 mirror root
    mirror=$(bw_mirror_uri)
    root=$(mktemp -d "$BW_CACHE_DIR/base/.debootstrap.XXXXXX")
    bw_log "debootstrap --variant=minbase $suite from $mirror (cached afterwards as $out)"
    if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1; then
        tail -n 20 "$root.log" >&2
        rm -rf "$root"
        bw_die "debootstrap failed; log: $root.log"
    fi
    # Like the official image: no package lists or archives, no host identity, and apt removes the
    # .debs it installs (this keeps RUN apt-get layers small and comparable).
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
    rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
    mkdir -p "$root/var/lib/apt/lists/partial"
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APTCONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APTCONF
    tar --numeric-owner --xattrs -C "$root" -cf "$out.tmp" .
    mv "$out.tmp" "$out"
    rm -rf "$root" "$root.log"
}

_bw_import() {
    local tar=$1 ref=$2 cmd=$3
    bw_docker import \
        --change "ENV $BW_IMAGE_PATH_ENV" \
        --change "CMD $cmd" \
        --message "buildwright local base image" \
        "$tar" "$ref" >/dev/null
}

# Debian's arm64 busybox-static, fetched with a private apt configuration (the machine's dpkg
# architectures stay as they are), as a rootfs tar like the amd64 one. Prints the tar's path.
_bw_busybox_arm64_tar() {
    local out="$BW_CACHE_DIR/base/busybox-arm64.tar" apt_dir="$BW_CACHE_DIR/apt-arm64" suite tmp
    local -a opts
    if [[ ! -s $out ]]; then
        suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
        _bw_prepare_apt_dir "$apt_dir" "$suite"
        mapfile -t opts < <(_bw_apt_opts "$apt_dir")
        opts+=(-o APT::Architecture=arm64 -o APT::Architectures=arm64)
        tmp=$(mktemp -d)
        if ! { apt-get "${opts[@]}" -qq update >&2 &&
            (cd "$tmp" && apt-get "${opts[@]}" -qq download busybox-static >&2) &&
            dpkg -x "$tmp"/busybox-static_*_arm64.deb "$tmp/root" &&
            _bw_busybox_tar "$out.tmp" "$tmp/root/bin/busybox" && mv "$out.tmp" "$out"; }; then
            rm -rf "$tmp" "$out.tmp"
            return 1
        fi
        rm -rf "$tmp"
    fi
    printf '%s\n' "$out"
}

# Makes busybox:latest a multi-platform image: its amd64 manifest unchanged (so what amd64 builds
# resolve, and their cache, stay the same) plus an arm64 one, for emulated multi-platform builds.
_bw_busybox_add_arm64() {
    local tar tmp rc=0
    tar=$(_bw_busybox_arm64_tar) || return 1
    tmp=$(mktemp -d)
    if ! { bw_docker image save --output "$tmp/saved.tar" busybox:latest &&
        mkdir "$tmp/saved" "$tmp/out" && tar -xf "$tmp/saved.tar" -C "$tmp/saved"; }; then
        rc=1
    fi
    if ((rc == 0)); then
        python3 "$LIB_DIR/oci_index.py" "$tmp/saved" "$tar" arm64 docker.io/library/busybox:latest "$tmp/out" || rc=$?
    fi
    if ((rc == 0)); then
        if ! { tar -C "$tmp/out" -cf "$tmp/index.tar" . && bw_docker load --input "$tmp/index.tar" >/dev/null; }; then
            rc=1
        fi
    fi
    rm -rf "$tmp"
    ((rc == 0 || rc == 3)) # 3: already an index
}

bw_base_images() {
    mkdir -p "$BW_CACHE_DIR/base"
    if ! _bw_image_exists busybox:latest; then
        local tar="$BW_CACHE_DIR/base/busybox.tar"
        _bw_busybox_tar "$tar"
        _bw_import "$tar" busybox:latest '["sh"]'
        bw_log "imported busybox:latest"
    fi
    if bw_emulates aarch64 && ! bw_docker image inspect --platform linux/arm64 busybox:latest >/dev/null 2>&1; then
        if _bw_busybox_add_arm64; then
            bw_log "busybox:latest: added linux/arm64"
        else
            bw_log "WARNING: could not add linux/arm64 to busybox:latest; it stays amd64 only"
        fi
    fi
    if ! _bw_image_exists debian:bookworm; then
        local tar="$BW_CACHE_DIR/base/debian-bookworm-minbase.tar"
        [[ -s $tar ]] || _bw_debian_tar "$tar" bookworm
        _bw_import "$tar" debian:bookworm '["bash"]'
        bw_log "imported debian:bookworm"
    fi
}
