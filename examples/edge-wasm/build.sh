#!/usr/bin/env bash
# Builds the evaluate-only WebAssembly module and prints its size: the
# facade alone, as an edge runtime would ship it, built exactly like the
# playground's module (profile wasm-release, wasm-bindgen --target web,
# wasm-opt -Oz --converge from the playground's npm packages).
#
#   examples/edge-wasm/build.sh        # -> examples/edge-wasm/pkg/
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
playground="$root/examples/playground"
cd "$root"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
    cargo install wasm-bindgen-cli --version "$bindgen_version"
fi
# binaryen's wasm-opt comes with the playground's npm packages.
if [ ! -x "$playground/node_modules/.bin/wasm-opt" ]; then
    (cd "$playground" && npm ci --no-audit --no-fund)
fi

cargo build --locked -p gatehouse-edge-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/gatehouse_edge_wasm.wasm"
rm -rf "$here/pkg"
wasm-bindgen --target web --out-dir "$here/pkg" "$wasm"
"$playground/node_modules/.bin/wasm-opt" -Oz --converge --strip-debug --strip-producers \
    --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o "$here/pkg/gatehouse_edge_wasm_bg.opt.wasm" "$here/pkg/gatehouse_edge_wasm_bg.wasm"
mv "$here/pkg/gatehouse_edge_wasm_bg.opt.wasm" "$here/pkg/gatehouse_edge_wasm_bg.wasm"
raw=$(wc -c < "$here/pkg/gatehouse_edge_wasm_bg.wasm")
gz=$(gzip -9 -c "$here/pkg/gatehouse_edge_wasm_bg.wasm" | wc -c)
printf 'gatehouse_edge_wasm_bg.wasm: %d bytes raw (%d KiB), %d bytes gzip (%d KiB)\n' \
    "$raw" $((raw / 1024)) "$gz" $((gz / 1024))
