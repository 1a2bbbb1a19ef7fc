#!/usr/bin/env bash
# The README's nginx figures: the same load (examples/load.rs) through
# Debian's nginx straight to an upstream (examples/upstream.rs), and
# through nginx with `auth_request` to `gatehouse serve` (the configuration
# `gatehouse gateway nginx` prints) to the same upstream, alternated in
# rounds.
#
#   crates/gatehouse-server/examples/compare-nginx.sh     # 3 rounds of 10 s, 32 connections
#
# Bounded: each run lasts SECONDS_EACH (at most 120); everything listens on
# 127.0.0.1 and is stopped by its own PID; nginx runs as the current user
# with its files in a temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
rounds=${ROUNDS:-3}
seconds=${SECONDS_EACH:-10}
connections=${CONNECTIONS:-32}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release -q -p gatehouse-cli
cargo build --release -q -p gatehouse-server --example load --example upstream
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

. "$here/bench-setup.sh"

"$bin/examples/upstream" 127.0.0.1:18080 & pids+=($!)
"$bin/gatehouse" serve "$work/bench.gate" --listen 127.0.0.1:19291 \
    --key-store "$work/keys.json" --secret-file "$work/secret.txt" --audit off >/dev/null 2>&1 &
pids+=($!)
wait_for 18080; wait_for 19291

mkdir -p "$work/nginx/tmp"
nginx_conf() { # $1: the server block file
    cat <<CONF
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  include $1;
}
CONF
}
# nginx straight to the upstream, with keep-alive to it.
cat > "$work/nginx/plain.conf" <<'CONF'
upstream api { server 127.0.0.1:18080; keepalive 64; }
server {
    listen 127.0.0.1:18000;
    location / {
        proxy_pass http://api;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
}
CONF
"$bin/gatehouse" gateway nginx "$work/bench.gate" --upstream http://127.0.0.1:18080 \
    --listen 127.0.0.1:18000 --gatehouse 127.0.0.1:19291 > "$work/nginx/gatehouse.conf"
nginx_conf "$work/nginx/plain.conf" > "$work/nginx/plain-nginx.conf"
nginx_conf "$work/nginx/gatehouse.conf" > "$work/nginx/gatehouse-nginx.conf"

headers=(--header "X-API-Key: $key")
for round in $(seq 1 "$rounds"); do
    for mode in plain gatehouse; do
        "$nginx" -p "$work/nginx/" -c "$work/nginx/$mode-nginx.conf" -e "$work/nginx/error.log" &
        nginx_pid=$!
        wait_for 18000
        printf 'round %s nginx %-10s ' "$round" "$mode:"
        "$bin/examples/load" --url http://127.0.0.1:18000/v1/pets/7 --connections "$connections" \
            --seconds "$seconds" "${headers[@]}"
        kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true
        sleep 0.3
    done
done
