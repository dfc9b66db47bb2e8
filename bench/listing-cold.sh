#!/usr/bin/env bash
# Cold listing benchmark (not a test): the release server on PostgreSQL with N synthetic products
# (default 100,000) and every cache off (`PASAR_CATALOG_CACHE=off`), so each request pays the
# listing's queries: the page of ids, the total and the facet counts. Listings without search
# text (all products, a category, a brand-less price range, in stock only; three sorts, three
# pages) at a fixed RATE (default 20 a second, below saturation), through the Store API and as
# the HTML page. Prints one line per run; docs/performance.md records them.
#
#   cargo build --release -p server --bin pasar
#   bench/listing-cold.sh [products=100000] [seconds=30] [rate=20]
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-100000}
seconds=${2:-30}
rate=${3:-20}
base_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
db_url="${base_url%/*}/pasar_bench_listing"
port=3485
out=$(mktemp -d)

psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_listing' -c 'CREATE DATABASE pasar_bench_listing'
export DATABASE_URL=$db_url LEPTOS_OUTPUT_NAME=pasar LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  PASAR_MEDIA_DIR="$out/media" PASAR_MAIL_DIR="$out/mail"
./target/release/pasar seed --products "$products" | tail -n 1
# As autovacuum would after the load: statistics, and the visibility map an index-only scan needs.
psql "$db_url" -qc 'VACUUM ANALYZE'
env -u REDIS_URL PASAR_CATALOG_CACHE=off PASAR_ADDR=127.0.0.1:$port ./target/release/pasar serve > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; psql "$base_url" -qc "DROP DATABASE IF EXISTS pasar_bench_listing" || true; rm -rf "$out"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

for kind in api html; do
  : > "$out/$kind.urls"
  for filter in "" "category=fashion-pria" "category=elektronik&in_stock=true" "min_price=100000&max_price=500000" "min_rating=4"; do
    for sort in popular newest price_asc; do
      for page in 1 2 3; do
        if [ $kind = api ]; then path=/api/v1/products; else path=/search; fi
        echo "http://127.0.0.1:$port$path?$filter&sort=$sort&page=$page" >> "$out/$kind.urls"
      done
    done
  done
  echo "listing ($kind), every cache off, $products products, $rate a second:"
  RATE=$rate SECONDS=$seconds node bench/analytics-load.mjs "@$out/$kind.urls" "accept:text/html"
done
grep -c "ERROR" "$out/server.log" || true
