#!/usr/bin/env bash
# Cart and checkout load benchmark (not a test): the release server on PostgreSQL + Redis with N
# synthetic products, driven by server/benches/checkout_load.rs (reqwest + tokio): add-to-cart
# latency at 32 clients, checkout throughput and latency (3 random SKUs, demo gateway), and
# 64 buyers racing for one hot SKU. Prints the figures; docs/performance.md records them.
#
#   cargo build --release -p server --bin pasar    (or cargo leptos build --release)
#   bench/checkout.sh [products] [seconds]
#
# LOAD_BIN=path reuses an already built load generator; CART_LINES=5,40 sets the cart sizes;
# WARMUP=0 skips the warm-up (measures a brand-new shop's first minute, see below).
#
# Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
# REDIS_URL, default redis://127.0.0.1:6379). Creates and drops the database `pasar_bench_checkout`.
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-10000}
seconds=${2:-20}
base_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
redis=${REDIS_URL:-redis://127.0.0.1:6379}
db_url="${base_url%/*}/pasar_bench_checkout"
port=3478
out=$(mktemp -d)

psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_checkout' -c 'CREATE DATABASE pasar_bench_checkout'
# Each simulated shopper sends an address of its own in X-Forwarded-For (one trusted hop), so
# the per-address limits keep their production defaults.
export DATABASE_URL=$db_url REDIS_URL=$redis PASAR_CACHE_PREFIX="bench-checkout-$$:" PASAR_TRUSTED_PROXY_HOPS=1 LEPTOS_OUTPUT_NAME=pasar LEPTOS_SITE_ROOT=target/site RUST_LOG=warn
./target/release/pasar seed --products "$products" | tail -n 1
# Plenty of stock for the load; one SKU kept at 20 units for the hot-SKU race.
psql "$db_url" -qc "UPDATE stock_levels SET on_hand = 100000, reserved = 0"
hot=$(psql "$db_url" -Atc "SELECT v.sku FROM product_variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.active ORDER BY v.id DESC LIMIT 1")
psql "$db_url" -qc "UPDATE stock_levels SET on_hand = CASE WHEN warehouse_id = (SELECT min(id) FROM warehouses) THEN 12 ELSE 8 END WHERE variant_id = (SELECT id FROM product_variants WHERE sku = '$hot')"
psql "$db_url" -Atc "SELECT v.sku FROM product_variants v JOIN products p ON p.id = v.product_id WHERE p.status = 'active' AND v.active AND v.sku <> '$hot' ORDER BY random() LIMIT 2000" > "$out/skus.txt"
# The imported catalogue is analyzed, as after any bulk load; the empty cart and order tables
# are not (a new shop's never are: autovacuum analyzes a table once rows arrive).
psql "$db_url" -qc 'ANALYZE products, product_variants, product_images, stock_levels, warehouses'

PASAR_ADDR=127.0.0.1:$port ./target/release/pasar serve > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; psql "$base_url" -qc "DROP DATABASE IF EXISTS pasar_bench_checkout" || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

export BASE_URL="http://127.0.0.1:$port" SKUS="$out/skus.txt"
load() { if [ -n "${LOAD_BIN:-}" ]; then "$LOAD_BIN"; else cargo bench -q -p server --bench checkout_load; fi; }

# A shop in business, not one opened a second ago: a short warm-up leaves carts and orders
# behind, then the statistics are gathered as autovacuum would have. WARMUP=0 measures the new
# shop instead (about the same figures, see docs/performance.md).
if [ "${WARMUP:-1}" != 0 ]; then
  echo "warm-up (not measured):"
  SECONDS=4 CART_LINES=5 CHECKOUT_CLIENTS=8 load | sed 's/^/  /'
  psql "$db_url" -qc 'ANALYZE'
  echo "carts: $(psql "$db_url" -Atc 'SELECT count(DISTINCT cart_key) FROM cart_lines'), orders: $(psql "$db_url" -Atc 'SELECT count(*) FROM orders')"
fi
HOT_SKU="$hot" HOT_STOCK=20 SECONDS="$seconds" load

echo "hot SKU stock after the race (on_hand, reserved per warehouse):"
psql "$db_url" -Atc "SELECT s.on_hand, s.reserved FROM stock_levels s JOIN product_variants v ON v.id = s.variant_id WHERE v.sku = '$hot'"
echo "orders: $(psql "$db_url" -Atc 'SELECT count(*) FROM orders'), negative levels: $(psql "$db_url" -Atc 'SELECT count(*) FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand')"
