#!/usr/bin/env bash
# Builds the Gatehouse playground: a static page in examples/playground/dist/.
#
#   examples/playground/build.sh
#   python3 -m http.server -d examples/playground/dist 8000   # then open http://127.0.0.1:8000/
#
# Steps (each installs what it needs if it is missing):
#   1. the wasm32-unknown-unknown target (rustup);
#   2. wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock;
#   3. crates/gatehouse-wasm built with the `wasm-release` profile (size-optimised);
#   4. wasm-bindgen --target web into pkg/;
#   5. the page's npm packages (npm ci, from package-lock.json);
#   6. wasm-opt -Oz --converge from the npm package binaryen;
#   7. the page bundled by vite into dist/ (the policies in policies/ included);
#   8. the raw and gzip sizes of the wasm module.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: the playground needs Node.js 20.19 or later, with npm" >&2
    exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# The CLI must match the wasm-bindgen crate exactly: the glue it writes and
# the module's custom section are versioned together.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$bindgen_version" ]; then
    echo "error: no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
    step "installing wasm-bindgen-cli $bindgen_version (about 2 minutes)"
    cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

step "building crates/gatehouse-wasm (wasm32-unknown-unknown, profile wasm-release)"
cargo build --locked -p gatehouse-wasm --target wasm32-unknown-unknown --profile wasm-release
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/gatehouse_wasm.wasm"

step "wasm-bindgen --target web -> examples/playground/pkg/"
rm -rf "$here/pkg"
wasm-bindgen --target web --out-dir "$here/pkg" "$wasm"

cd "$here"
# npm ci reinstalls from scratch; skip it when node_modules already holds
# every package at the version package-lock.json names.
installed_matches_lock() {
    node -e '
        const want = require("./package-lock.json").packages;
        const have = require("./node_modules/.package-lock.json").packages;
        for (const [path, p] of Object.entries(want)) {
            // Optional packages (for other platforms) are not installed.
            if (path && !p.optional && (!have[path] || have[path].version !== p.version)) process.exit(1);
        }' 2>/dev/null
}
if ! installed_matches_lock; then
    step "npm ci (the page's packages, from package-lock.json)"
    npm ci --no-audit --no-fund
fi

step "wasm-opt -Oz --converge (binaryen from npm; repeats -Oz while it still shrinks the module)"
before=$(wc -c < pkg/gatehouse_wasm_bg.wasm)
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
    --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o pkg/gatehouse_wasm_bg.opt.wasm pkg/gatehouse_wasm_bg.wasm
mv pkg/gatehouse_wasm_bg.opt.wasm pkg/gatehouse_wasm_bg.wasm
echo "wasm-opt: $before -> $(wc -c < pkg/gatehouse_wasm_bg.wasm) bytes"

step "bundling the page (vite) -> examples/playground/dist/"
node_modules/.bin/vite build --logLevel warn

step "sizes"
raw=$(wc -c < pkg/gatehouse_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/gatehouse_wasm_bg.wasm | wc -c)
js=$(cat dist/assets/*.js | wc -c)
jsgz=$(cat dist/assets/*.js | gzip -9 | wc -c)
printf 'gatehouse_wasm_bg.wasm: %d bytes raw (%d KiB), %d bytes gzip (%d KiB)\n' "$raw" $((raw / 1024)) "$gz" $((gz / 1024))
printf 'page JavaScript:        %d bytes raw (%d KiB), %d bytes gzip (%d KiB)\n' "$js" $((js / 1024)) "$jsgz" $((jsgz / 1024))
# The size target for the whole module: 400 KB gzip (see README.md).
if [ "$gz" -gt 400000 ]; then
    echo "warning: the module is over the 400 KB gzip target ($gz bytes)" >&2
fi
printf '{"wasm_raw": %d, "wasm_gzip": %d, "js_raw": %d, "js_gzip": %d}\n' "$raw" "$gz" "$js" "$jsgz" > dist/sizes.json
echo "the playground is in examples/playground/dist/ (serve it with any static file server)"
