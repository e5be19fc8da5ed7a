#!/usr/bin/env bash
# Build every example listed in examples/examples.toml with buildwright on the private engine, then
# run each image and check its output against the example's expected-output file.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/engine.sh env)"
PY=.venv/bin/python
BUILDWRIGHT=.venv/bin/buildwright
status=0
# One line per example: name, tag suffix, target, expected-output file, then --build-arg flags.
while IFS='|' read -r name suffix target expected args; do
    dir="examples/$name"
    tag="buildwright-example/$name${suffix:+-$suffix}:latest"
    flags=(--progress plain -t "$tag")
    [[ -n "$target" ]] && flags+=(--target "$target")
    # shellcheck disable=SC2206 # build args are written without spaces in examples.toml
    [[ -n "$args" ]] && flags+=($args)
    echo "==> $name: buildwright build ${flags[*]} $dir"
    "$BUILDWRIGHT" build "${flags[@]}" "$dir"
    output=$(docker run --rm "$tag")
    echo "--- docker run --rm $tag"
    echo "$output"
    if [[ "$output" != "$(cat "$dir/$expected")" ]]; then
        echo "!!! $name: output differs from $dir/$expected" >&2
        status=1
    fi
    echo
done < <("$PY" - <<'PYEOF'
import tomllib
with open("examples/examples.toml", "rb") as f:
    for e in tomllib.load(f)["example"]:
        args = " ".join(f"--build-arg {k}={v}" for k, v in e.get("build_args", {}).items())
        print("|".join([e["name"], e.get("tag_suffix", ""), e.get("target", ""),
                         e.get("expected_output", "expected-output.txt"), args]))
PYEOF
)
if [[ $status == 0 ]]; then echo "all examples built and printed their expected output"; fi
cat <<'TRY'

The demo used dockerd's embedded BuildKit. To try a standalone buildkitd (compiled once, a few minutes):
    scripts/engine.sh buildkitd up demo --tcp 7390     # or: make buildkitd BUILDKITD=demo BUILDKITD_TCP=7390
    eval "$(scripts/engine.sh buildkitd env demo)"     # BUILDKIT_HOST=unix://.../buildkitd.sock
    .venv/bin/buildwright build -o type=docker,dest=/tmp/multistage.tar examples/multistage
    .venv/bin/buildwright build --addr "$BUILDWRIGHT_BUILDKITD_TCP" --tlscacert "$BUILDWRIGHT_BUILDKITD_TLS/ca.pem" \
        --tlscert "$BUILDWRIGHT_BUILDKITD_TLS/client-cert.pem" --tlskey "$BUILDWRIGHT_BUILDKITD_TLS/client-key.pem" \
        -t "$BUILDWRIGHT_BUILDKITD_REGISTRY/demo/multistage:latest" --push examples/multistage
    scripts/engine.sh buildkitd down demo
TRY
exit $status
