#!/usr/bin/env bash
# Seeds the working corpora in fuzz/corpus/ (not committed; the committed,
# minimised corpora are in fuzz/replay/, which ./minimise.sh refreshes):
# the repository's policies for `parse_check` and `fmt_roundtrip`, a few
# hostile targets for `path_normalise`. `decide` needs no seeds: its input
# is structured. Run from anywhere, then from fuzz/
#   cargo +nightly fuzz run parse_check corpus/parse_check replay/parse_check -- -dict=gatehouse.dict -max_total_time=60
set -euo pipefail
cd "$(dirname "$0")"

mkdir -p corpus/parse_check corpus/path_normalise corpus/decide corpus/fmt_roundtrip
for f in ../policies/*.gate policies/*.gate; do
    cp "$f" "corpus/parse_check/$(basename "$f")"
    cp "$f" "corpus/fmt_roundtrip/$(basename "$f")"
done
# Badly laid-out policies and one per lint rule, for the formatter and linter.
for f in ../tests/fmt/*.gate ../tests/lint/*.gate; do
    cp "$f" "corpus/fmt_roundtrip/$(basename "$f")"
done

i=0
for target in / /v1/pets/7 '/v1/pets/7?limit=10' /a/b/ '/a/%2e%2E/b' /a%2fb '/a\b' //x /a%00 '/a b' \
    /caf%C3%A9 /a%ff /a%252e /a% '/a#b' '/x?y#z' /%41/%7e /v2/repos/alice/web/issues/42; do
    printf '%s' "$target" > "corpus/path_normalise/seed$i"
    i=$((i + 1))
done
