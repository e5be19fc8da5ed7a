# shellcheck shell=bash
# Emulated platforms: qemu-user-static registered in binfmt_misc, so the engine also runs linux/arm64
# steps (multi-platform builds). Registrations use the F flag: the kernel opens the interpreter when
# it is registered, so it works inside build containers, whose root has no qemu. BuildKit lists the
# new platform among its workers' without a restart. Optional: when binfmt_misc cannot be mounted or
# qemu cannot be installed, the engine works as before, for its own platforms only.
# BUILDWRIGHT_ENGINE_EMULATION=0 leaves the machine's binfmt_misc alone.

BW_BINFMT_DIR=/proc/sys/fs/binfmt_misc
# qemu's names for the emulated CPUs (linux/arm64 is qemu-aarch64).
BW_EMULATED_CPUS=(aarch64)

_bw_emulation_warn() {
    bw_log "WARNING: $*; builds for other platforms than the engine's own cannot run steps"
}

bw_emulation_up() {
    [[ ${BUILDWRIGHT_ENGINE_EMULATION:-1} != 0 ]] || return 0
    if [[ ! -e $BW_BINFMT_DIR/register ]] && ! mount -t binfmt_misc binfmt_misc "$BW_BINFMT_DIR" 2>/dev/null; then
        _bw_emulation_warn "binfmt_misc cannot be mounted on this machine"
        return 0
    fi
    if [[ $(dpkg-query -W -f='${Status}' qemu-user-static 2>/dev/null) != "install ok installed" ]]; then
        bw_log "installing qemu-user-static (emulated platforms)"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null; }; then
            _bw_emulation_warn "qemu-user-static could not be installed"
            return 0
        fi
    fi
    local cpu conf
    for cpu in "${BW_EMULATED_CPUS[@]}"; do
        if [[ -e $BW_BINFMT_DIR/qemu-$cpu ]]; then
            # Someone else's registration without F would fail inside containers: say so, keep it.
            grep -q '^flags:.*F' "$BW_BINFMT_DIR/qemu-$cpu" ||
                _bw_emulation_warn "qemu-$cpu is registered without the F flag"
            continue
        fi
        conf=/usr/lib/binfmt.d/qemu-$cpu.conf
        if [[ ! -r $conf ]] || ! grep -q ':[A-Z]*F[A-Z]*$' "$conf"; then
            _bw_emulation_warn "$conf is missing or has no F flag"
            continue
        fi
        if cat "$conf" >"$BW_BINFMT_DIR/register" 2>/dev/null; then
            bw_log "registered qemu-$cpu in binfmt_misc"
        else
            _bw_emulation_warn "qemu-$cpu could not be registered in binfmt_misc"
        fi
    done
}

# Whether steps for the qemu CPU $1 can run here.
bw_emulates() {
    [[ -e $BW_BINFMT_DIR/qemu-$1 ]] && [[ $(head -n1 "$BW_BINFMT_DIR/qemu-$1") == enabled ]] &&
        grep -q '^flags:.*F' "$BW_BINFMT_DIR/qemu-$1"
}
