#!/usr/bin/env bash
# Refreshes the committed corpora in fuzz/replay/ from a fuzzing run.
#
#   ./minimise.sh [target...]        (default: every target)
#
# For each target, libFuzzer's merge keeps the smallest set of inputs that
# covers what fuzz/corpus/<target>/ (the working corpus of `cargo fuzz run`,
# not committed) and fuzz/replay/<target>/ (committed) cover together; that
# set replaces fuzz/replay/<target>/. Files named `regression-*` (inputs
# that once found a bug) are always kept. The test suite replays
# fuzz/replay/ on stable Rust (crates/gatehouse-fuzz-props/tests/replay.rs).
set -euo pipefail
cd "$(dirname "$0")"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(decide fmt_roundtrip json_limits parse_check path_normalise patterns)
fi
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "replay/$target"
    fresh=$(mktemp -d)
    cargo +nightly fuzz run "$target" "$fresh" "corpus/$target" "replay/$target" -- -merge=1 >/dev/null 2>&1
    find "replay/$target" -name 'regression-*' -exec cp {} "$fresh/" \;
    rm -rf "replay/$target"
    mv "$fresh" "replay/$target"
    chmod 755 "replay/$target"
    echo "$target: $(find "replay/$target" -type f | wc -l) inputs, $(du -sb "replay/$target" | cut -f1) bytes"
done
