#!/usr/bin/env bash
# Catalogue load benchmark (not a test): the release server on PostgreSQL + Redis with N
# synthetic products (default 10,000) plus the demo shop, hit by `oha` with 32 connections for
# 30 s per endpoint: /healthz (the ceiling), the listing page HTML, the search API with varied
# terms, and the suggest endpoint. Writes a table to docs/performance.md.
#
#   cargo install oha --locked            # once
#   cargo leptos build --release
#   bench/catalog.sh [products] [seconds]
#
# Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
# REDIS_URL, default redis://127.0.0.1:6379). Creates and drops the database `pasar_bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-10000}
seconds=${2:-30}
base_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
redis=${REDIS_URL:-redis://127.0.0.1:6379}
db_url="${base_url%/*}/pasar_bench"
port=3477
out=$(mktemp -d)

psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench' -c 'CREATE DATABASE pasar_bench'
export DATABASE_URL=$db_url REDIS_URL=$redis PASAR_CACHE_PREFIX="bench-$$:" LEPTOS_OUTPUT_NAME=pasar LEPTOS_SITE_ROOT=target/site RUST_LOG=warn
./target/release/pasar seed --products "$products" | tail -n 2
psql "$db_url" -qc 'ANALYZE'
bench/explain.sh "$db_url"
PASAR_ADDR=127.0.0.1:$port ./target/release/pasar serve > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; psql "$base_url" -qc "DROP DATABASE IF EXISTS pasar_bench" || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

terms='(kemeja|sepatu|kopi|serum|tas|lampu|headphone|batik|lari|blender|keripik|jaket|kemja|sepatu lari|teh melati)'
run() { # name, url, extra oha args…
  local name=$1 url=$2; shift 2
  echo "running $name for ${seconds}s"
  oha -z "${seconds}s" -c 32 --no-tui --output-format json "$@" "$url" > "$out/$name.json"
}
run healthz "http://127.0.0.1:$port/healthz"
run listing_html "http://127.0.0.1:$port/search\?page=[1-9]&sort=(popular|newest|price_asc)" --rand-regex-url
run search_api "http://127.0.0.1:$port/api/v1/products\?q=$terms" --rand-regex-url
run suggest "http://127.0.0.1:$port/api/v1/search/suggest\?q=$terms" --rand-regex-url

# The same server with every cache off: what a cache miss costs.
kill $server; wait $server 2>/dev/null || true
PASAR_CATALOG_CACHE=off PASAR_ADDR=127.0.0.1:$port ./target/release/pasar serve > "$out/server-uncached.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
run listing_html_uncached "http://127.0.0.1:$port/search\?page=[1-9]&sort=(popular|newest|price_asc)" --rand-regex-url
run search_api_uncached "http://127.0.0.1:$port/api/v1/products\?q=$terms&sort=(relevance|price_asc|newest)&page=[1-3]" --rand-regex-url
# Latency of a cache miss at a steady 20 searches/s (oha -q), not at saturation.
run search_api_uncached_q20 "http://127.0.0.1:$port/api/v1/products\?q=$terms&sort=(relevance|price_asc|newest)&page=[1-3]" --rand-regex-url -q 20

node bench/report.mjs "$out" "$products" "$seconds" "bench/catalog.sh $*"
