# shellcheck shell=bash
# The private dockerd: its own bridge, data root, exec root, socket, containerd namespace and config.
# It never touches docker0, so several engines (or a system dockerd) can coexist on one machine.

# Candidate /24s for the bridge, tried in order; the first that overlaps nothing on the machine wins.
BW_BRIDGE_CANDIDATES=(10.213.0 10.214.0 172.29.213 172.30.214 192.168.213)

# True while process $1 runs; a zombie (not yet reaped by an init that may never reap it) is gone.
_bw_alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

bw_pid() {
    local pid
    [[ -r $BW_PIDFILE ]] || return 1
    pid=$(<"$BW_PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] && _bw_alive "$pid" || return 1
    # A recycled pid must not be mistaken for the daemon.
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
    printf '%s\n' "$pid"
}

bw_responds() {
    bw_docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# True when a.b.c.0/24 overlaps an address or route already on the machine (or the resolver).
_bw_prefix_taken() {
    local prefix=$1
    {
        ip -4 -o addr show | awk '{ print $4 }'
        ip -4 route show table all | awk '{ print $1 }'
        awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf 2>/dev/null
    } | awk -v mine="$prefix.0/24" '
        function first(cidr,    ip, len, o, n) {
            split(cidr, ip, "/"); len = (ip[2] == "" ? 32 : ip[2]) + 0
            if (split(ip[1], o, ".") != 4) return -1
            n = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
            size = 2 ^ (32 - len)
            return n - n % size
        }
        BEGIN { lo = first(mine); hi = lo + size - 1 }
        $1 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(\/[0-9]+)?$/ {
            start = first($1)
            # /0 (a default route written as 0.0.0.0/0) overlaps everything and means nothing here.
            if (start >= 0 && size < 2 ^ 32 && start <= hi && start + size - 1 >= lo) { found = 1; exit }
        }
        END { exit found ? 0 : 1 }
    '
}

bw_bridge_up() {
    local prefix existing candidate
    ip link show "$BW_BRIDGE" >/dev/null 2>&1 || ip link add "$BW_BRIDGE" type bridge
    ip link set "$BW_BRIDGE" up
    # A bridge that already has an address keeps it; the state file follows the bridge.
    existing=$(ip -4 -o addr show dev "$BW_BRIDGE" | awk '{ split($4, a, "."); print a[1] "." a[2] "." a[3]; exit }')
    if [[ -n $existing ]]; then
        printf '%s\n' "$existing" >"$BW_STATE_DIR/bridge-prefix"
        return 0
    fi
    # Reuse the last prefix when it is still free, so the engine's addresses stay stable.
    prefix=$(cat "$BW_STATE_DIR/bridge-prefix" 2>/dev/null || true)
    if [[ -n $prefix ]] && _bw_prefix_taken "$prefix"; then
        prefix=""
    fi
    if [[ -z $prefix ]]; then
        for candidate in "${BW_BRIDGE_CANDIDATES[@]}"; do
            if ! _bw_prefix_taken "$candidate"; then
                prefix=$candidate
                break
            fi
        done
        [[ -n $prefix ]] || bw_die "no free private /24 for bridge $BW_BRIDGE"
    fi
    printf '%s\n' "$prefix" >"$BW_STATE_DIR/bridge-prefix"
    ip addr add "$prefix.1/24" dev "$BW_BRIDGE"
}

bw_bridge_down() {
    if ip link show "$BW_BRIDGE" >/dev/null 2>&1; then
        ip link set "$BW_BRIDGE" down || true
        ip link del "$BW_BRIDGE"
    fi
}

# The engine's NAT and forwarding rules, one per line as `table chain spec...`. dockerd runs with
# --iptables=false: with iptables on, every dockerd that starts rebuilds the shared DOCKER-* chains
# for its own bridge only and so cuts the network of every other engine on the machine (seen with
# two engines). Rules tagged with the bridge name in FORWARD/POSTROUTING are left alone by dockerds.
_bw_firewall_rules() {
    local prefix tag="buildwright:$BW_BRIDGE"
    prefix=$(cat "$BW_STATE_DIR/bridge-prefix")
    printf '%s\n' \
        "nat POSTROUTING -s $prefix.0/24 ! -o $BW_BRIDGE -m comment --comment $tag -j MASQUERADE" \
        "filter FORWARD -i $BW_BRIDGE -m comment --comment $tag -j ACCEPT" \
        "filter FORWARD -o $BW_BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment $tag -j ACCEPT"
}

bw_firewall_up() {
    local table chain spec
    printf '1\n' >/proc/sys/net/ipv4/ip_forward
    while read -r table chain spec; do
        # shellcheck disable=SC2086  # the rule is split into words on purpose
        iptables -w -t "$table" -C "$chain" $spec 2>/dev/null || iptables -w -t "$table" -I "$chain" 1 $spec
    done < <(_bw_firewall_rules)
}

bw_firewall_down() {
    local table chain spec
    [[ -r $BW_STATE_DIR/bridge-prefix ]] || return 0
    while read -r table chain spec; do
        # shellcheck disable=SC2086
        while iptables -w -t "$table" -D "$chain" $spec 2>/dev/null; do :; done
    done < <(_bw_firewall_rules)
}

_bw_write_daemon_json() {
    local tree=$1 features='"containerd-snapshotter": true'
    # dockerd 20.10 predates the containerd image store.
    [[ -f $tree/.complete && $(basename "$tree") == 20.* ]] && features=''
    printf '{\n  "features": {%s}\n}\n' "$features" >"$BW_DAEMON_JSON"
}

# Starts dockerd from the unpacked tree $1 and waits until it answers.
bw_daemon_start() {
    local tree=$1 root="$1/root" path
    mkdir -p "$BW_STATE_DIR" "$BW_DATA_ROOT" "$BW_RUN_DIR" "$BW_EXEC_ROOT" "$(dirname "$BW_SOCK")"
    _bw_write_daemon_json "$tree"
    ln -sfn "$tree" "$BW_CURRENT_LINK"
    # dockerd finds containerd, the shim and docker-init on PATH; runc is the machine's (/usr/sbin).
    path="$root/usr/bin:$root/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    rm -f "$BW_PIDFILE"
    printf '\n==== %s dockerd start (%s)\n' "$(date -u +%FT%TZ)" "$(basename "$tree")" >>"$BW_LOG"
    # setsid: the daemon must outlive this script and its caller's process group; 9>&- keeps the
    # `up` lock out of it.
    PATH=$path setsid "$root/usr/sbin/dockerd" \
        --config-file "$BW_DAEMON_JSON" \
        --data-root "$BW_DATA_ROOT" \
        --exec-root "$BW_EXEC_ROOT" \
        --host "unix://$BW_SOCK" \
        --pidfile "$BW_PIDFILE" \
        --containerd-namespace "$BW_NAMESPACE" \
        --containerd-plugins-namespace "$BW_NAMESPACE-plugins" \
        --bridge "$BW_BRIDGE" \
        --iptables=false \
        --ip6tables=false \
        </dev/null >>"$BW_LOG" 2>&1 9>&- &
    local launcher=$! waited=0
    while ((waited < BW_READY_TIMEOUT * 4)); do
        if bw_responds; then
            return 0
        fi
        if ! _bw_alive "$launcher"; then
            tail -n 30 "$BW_LOG" >&2
            bw_die "dockerd exited during start; log: $BW_LOG"
        fi
        sleep 0.25
        waited=$((waited + 1))
    done
    tail -n 30 "$BW_LOG" >&2
    bw_die "dockerd did not answer on $BW_SOCK within ${BW_READY_TIMEOUT}s; log: $BW_LOG"
}

bw_daemon_stop() {
    local pid waited=0
    pid=$(bw_pid) || return 0
    kill -TERM "$pid"
    # dockerd stops its containers and its own containerd before it exits.
    while _bw_alive "$pid" && ((waited < 180)); do
        sleep 0.25
        waited=$((waited + 1))
    done
    if _bw_alive "$pid"; then
        bw_log "dockerd $pid did not stop in 45s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    _bw_stop_leftover_containerd
    rm -f "$BW_PIDFILE"
}

# containerd started by this engine's dockerd, if it outlived it (after a SIGKILL).
_bw_stop_leftover_containerd() {
    local pidfile="$BW_EXEC_ROOT/containerd/containerd.pid" pid
    [[ -r $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && _bw_alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == containerd ]] &&
        grep -qz -- "$BW_EXEC_ROOT" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        sleep 1
        if _bw_alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}
