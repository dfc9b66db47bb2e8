#!/usr/bin/env bash
# CSV import benchmark (not a test): ROWS new variants (one product per two rows, each with
# stock in a warehouse) imported through `POST /admin/catalog/import` on the release server,
# then the same file again (every row an update that changes nothing), on SQLite and on
# PostgreSQL. Prints the seconds each import took; docs/performance.md records them.
#
#   cargo build --release -p server --bin pasar
#   bench/import.sh [rows=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000}
base_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
port=3481
out=$(mktemp -d)
export LEPTOS_OUTPUT_NAME=pasar LEPTOS_SITE_ROOT=target/site RUST_LOG=warn PASAR_MEDIA_DIR="$out/media" PASAR_MAIL_DIR="$out/mail"
unset REDIS_URL

python3 - "$rows" > "$out/import.csv" <<'PY'
import sys
rows = int(sys.argv[1])
print("product_slug,product_name,status,category,sku,variant_title,options,price,weight_grams,warehouse,on_hand")
for i in range(rows):
    p = i // 2
    size = "M" if i % 2 == 0 else "L"
    print(f"bench-kaos-{p},Kaos Bench {p},active,kaos-pria,BENCH-{p}-{size},{size},Ukuran={size},{79000 + p % 50 * 1000},200,,{5 + i % 20}")
PY

run() {
  local name=$1 url=$2
  DATABASE_URL=$url ./target/release/pasar seed > /dev/null
  DATABASE_URL=$url PASAR_ADDR=127.0.0.1:$port ./target/release/pasar serve > "$out/server-$name.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
  local jar="$out/jar-$name"
  curl -s -c "$jar" "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@pasar.test","password":"pasar-admin-2026"}' > /dev/null
  for round in "new rows" "same file again"; do
    local result
    result=$(curl -s -b "$jar" -H 'accept: application/json' -w '\n%{time_total}' \
      -F "file=@$out/import.csv;type=text/csv" "http://127.0.0.1:$port/admin/catalog/import")
    echo "$name, $rows rows, $round: $(echo "$result" | tail -n 1) s — $(echo "$result" | head -n 1 | head -c 200)"
  done
  kill $server; wait $server 2>/dev/null || true
}

run sqlite "sqlite://$out/shop.db?mode=rwc"
psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_import' -c 'CREATE DATABASE pasar_bench_import'
run postgres "${base_url%/*}/pasar_bench_import"
psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_import'
rm -rf "$out"
