#!/usr/bin/env bash
# The README's `gatehouse serve` figures: forward-auth checks per second and
# latency, `gatehouse serve` against the floor (examples/floor.rs: axum +
# matchit + one scope), alternated in rounds under the same load
# (examples/load.rs: keep-alive HTTP/1.1 connections on 127.0.0.1); then
# Envoy-style gRPC `Check` calls per second (examples/grpc_load.rs).
#
#   crates/gatehouse-server/examples/compare.sh            # 3 rounds of 10 s, 32 connections
#   ROUNDS=5 SECONDS_EACH=20 CONNECTIONS=64 AUDIT=stdout crates/gatehouse-server/examples/compare.sh
#
# Bounded: each run lasts SECONDS_EACH (at most 120), servers listen on
# 127.0.0.1 only and are stopped by their own PIDs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
rounds=${ROUNDS:-3}
seconds=${SECONDS_EACH:-10}
connections=${CONNECTIONS:-32}
audit=${AUDIT:-off}

cargo build --release -q -p gatehouse-cli
cargo build --release -q -p gatehouse-server --example load --example floor --example grpc_load
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

. "$here/bench-setup.sh"

headers=(--header 'X-Forwarded-Method: GET' --header 'X-Forwarded-Uri: /v1/pets/7'
    --header 'X-Forwarded-For: 203.0.113.9' --header "X-API-Key: $key")
for round in $(seq 1 "$rounds"); do
    "$bin/gatehouse" serve "$work/bench.gate" --listen 127.0.0.1:19291 --grpc 127.0.0.1:19292 \
        --key-store "$work/keys.json" --secret-file "$work/secret.txt" --audit "$audit" \
        >/dev/null 2>&1 &
    pid=$!
    wait_for 19291
    printf 'round %s gatehouse serve: ' "$round"
    "$bin/examples/load" --url http://127.0.0.1:19291/check --connections "$connections" \
        --seconds "$seconds" "${headers[@]}"
    printf 'round %s gRPC Check:      ' "$round"
    "$bin/examples/grpc_load" --address 127.0.0.1:19292 --connections 4 \
        --concurrency "$connections" --seconds "$seconds" --path /v1/pets/7 \
        --header "x-api-key: $key"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

    "$bin/examples/floor" 127.0.0.1:19391 "$key" >/dev/null 2>&1 &
    pid=$!
    wait_for 19391
    printf 'round %s floor:           ' "$round"
    "$bin/examples/load" --url http://127.0.0.1:19391/check --connections "$connections" \
        --seconds "$seconds" "${headers[@]}"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
