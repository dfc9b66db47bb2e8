#!/usr/bin/env bash
# Scale-out benchmark (not a test): the release server on PostgreSQL + Redis with N synthetic
# products plus the demo shop, and SHOPPERS (default 1,000) virtual shoppers running the journey
# mix of server/benches/scale_out.rs (browse, search, product, add to cart, cart, checkout, pay
# with the demo gateway) for SECONDS: first against one process, then against two processes
# behind Debian's HAProxy (round robin, health checks on /readyz). Prints a table per run;
# docs/performance.md records them. The correctness part (no 5xx, no lost cart, exact hot-SKU
# stock, a killed process losing no paid order or email) is the test
# `scale_out::two_processes_behind_haproxy_sell_exactly_and_survive_losing_one`.
#
#   cargo build --release -p server --bin pasar
#   bench/scale-out.sh [products=10000] [seconds=30]
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-10000}
seconds=${2:-30}
base_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
redis=${REDIS_URL:-redis://127.0.0.1:6379}
db_url="${base_url%/*}/pasar_bench_scale"
out=$(mktemp -d)
ports=(3482 3483)
lb=3484

psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_scale' -c 'CREATE DATABASE pasar_bench_scale'
export DATABASE_URL=$db_url REDIS_URL=$redis PASAR_CACHE_PREFIX="bench-scale-$$:" PASAR_TRUSTED_PROXY_HOPS=1 \
  LEPTOS_OUTPUT_NAME=pasar LEPTOS_SITE_ROOT=target/site RUST_LOG=warn PASAR_MAIL_DIR="$out/mail" PASAR_MEDIA_DIR="$out/media"
./target/release/pasar seed --products "$products" | tail -n 1
psql "$db_url" -qc "UPDATE stock_levels SET on_hand = 100000, reserved = 0" -c 'ANALYZE'
cargo bench -q -p server --bench scale_out --no-run 2>/dev/null
load_bin=$(ls -t target/release/deps/scale_out-* | grep -v '\.d$' | head -n 1)

servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_scale' || true
  rm -rf "$out"
}
trap cleanup EXIT
start() {
  PASAR_ADDR=127.0.0.1:$1 ./target/release/pasar serve > "$out/server-$1.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/readyz" > /dev/null && break; sleep 0.2; done
}

start "${ports[0]}"
echo "## one process (direct), ${SHOPPERS:-1000} shoppers, ${seconds}s"
BASE_URL="http://127.0.0.1:${ports[0]}" SECONDS="$seconds" "$load_bin"

start "${ports[1]}"
cat > "$out/haproxy.cfg" <<CFG
global
    # Two descriptors a connection: within the usual 20,000 open-file limit.
    maxconn 5000
defaults
    mode http
    option http-server-close
    timeout connect 2s
    timeout client 65s
    timeout server 65s
    # A loaded replica answers its health check late, not never.
    timeout check 10s
    retries 2
    option redispatch
    retry-on conn-failure
frontend shop
    bind 127.0.0.1:$lb
    maxconn 5000
    default_backend pasar
backend pasar
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    server pasar-0 127.0.0.1:${ports[0]} check inter 1s fall 3
    server pasar-1 127.0.0.1:${ports[1]} check inter 1s fall 3
CFG
haproxy -db -f "$out/haproxy.cfg" > "$out/haproxy.log" 2>&1 &
servers+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$lb/readyz" > /dev/null && break; sleep 0.2; done
echo "## two processes behind HAProxy, ${SHOPPERS:-1000} shoppers, ${seconds}s"
BASE_URL="http://127.0.0.1:$lb" SECONDS="$seconds" "$load_bin"
echo "orders: $(psql "$db_url" -Atc 'SELECT count(*) FROM orders'), paid: $(psql "$db_url" -Atc "SELECT count(*) FROM orders WHERE payment_status = 'paid'"), negative levels: $(psql "$db_url" -Atc 'SELECT count(*) FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand')"
