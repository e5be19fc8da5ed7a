#!/usr/bin/env bash
# Build every example in examples/ with buildwright on the private engine, then run each image.
# Called by `make demo` after the engine is up; extra buildwright flags for an example live in
# examples/<name>/build-flags (one line), its expected output in examples/<name>/expected-output.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/engine.sh env)"
BUILDWRIGHT=.venv/bin/buildwright
status=0
for dir in examples/*/; do
    name=$(basename "$dir")
    [[ -f "$dir/Dockerfile" ]] || continue
    flags=()
    if [[ -f "$dir/build-flags" ]]; then
        read -r -a flags < "$dir/build-flags"
    fi
    tag="buildwright-example/$name:latest"
    echo "==> $name: buildwright build ${flags[*]} -t $tag $dir"
    "$BUILDWRIGHT" build --progress plain "${flags[@]}" -t "$tag" "$dir"
    if [[ -f "$dir/expected-output.txt" ]]; then
        output=$(docker run --rm "$tag")
        echo "--- output of $tag:"
        echo "$output"
        if [[ "$output" != "$(cat "$dir/expected-output.txt")" ]]; then
            echo "!!! $name: output differs from $dir/expected-output.txt" >&2
            status=1
        fi
    fi
    echo
done
exit $status
