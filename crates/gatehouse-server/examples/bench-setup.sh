# Sourced by compare.sh and compare-nginx.sh: the policy both measure, an
# API key for it in a fresh key store, and `wait_for PORT`. Expects `bin`
# (the release binaries) and `work` (a temporary directory) to be set;
# sets `key`.

cat > "$work/bench.gate" <<'POLICY'
api "bench" version "1"
base /v1
auth key = api_key(header: "X-API-Key")
scopes {
  pets:read
}
endpoint GET /pets/{id:int} {
  authenticate key
  require pets:read
}
POLICY
head -c 32 /dev/urandom | base64 > "$work/secret.txt"
key=$("$bin/gatehouse" keys new --store "$work/keys.json" --secret-file "$work/secret.txt" \
    --owner bench --scopes pets:read 2>/dev/null | grep '^gk_')

# Waits until something listens on 127.0.0.1:PORT (at most 5 s).
wait_for() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listens on port $1" >&2
    return 1
}
