#!/usr/bin/env bash
# Tests the built playground (run build.sh first):
#   1. the gatehouse-wasm JS API under Node (tests/api.test.mjs);
#   2. the page in headless Chromium (tests/e2e.test.mjs), served on
#      127.0.0.1 by tests/serve.mjs, started in the background and stopped
#      by its PID. Screenshots and benchmark figures: target/playground-e2e/.
# Under CI=true a missing chromium fails the browser test; otherwise it is
# skipped with a notice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

step() { printf '\n==> %s\n' "$*"; }

if [ ! -f pkg/gatehouse_wasm_bg.wasm ] || [ ! -f dist/index.html ]; then
    echo "error: the playground is not built; run examples/playground/build.sh first" >&2
    exit 1
fi

step "the gatehouse-wasm JS API under Node"
# The API test holds the module's documents to the ones the CLI writes
# (`gatehouse eval --json`), so it needs the CLI binary.
root="$(cd "$here/../.." && pwd)"
(cd "$root" && cargo build --locked --quiet -p gatehouse-cli)
GATEHOUSE_CLI="${CARGO_TARGET_DIR:-$root/target}/debug/gatehouse"
case "$GATEHOUSE_CLI" in /*) ;; *) GATEHOUSE_CLI="$root/$GATEHOUSE_CLI" ;; esac
export GATEHOUSE_CLI
node --test tests/api.test.mjs

step "the playground in headless Chromium"
port_file=$(mktemp)
node tests/serve.mjs dist --port-file "$port_file" &
server_pid=$!
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -f "$port_file"
}
trap stop_server EXIT
for _ in $(seq 1 100); do
    [ -s "$port_file" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: the static server exited" >&2
        exit 1
    fi
    sleep 0.05
done
if [ ! -s "$port_file" ]; then
    echo "error: the static server did not start" >&2
    exit 1
fi
PLAYGROUND_URL="http://127.0.0.1:$(cat "$port_file")/" node --test tests/e2e.test.mjs
