#!/usr/bin/env bash
# Analytics benchmark (not a test): the release server on PostgreSQL + Redis with 30 days ×
# ORDERS_PER_DAY (default 1,000) paid orders counted into Redis, then:
#   1. `pasar analytics rebuild` of the 30 days (how long counting 30,000 facts takes);
#   2. GET /api/v1/admin/analytics?range=30d (and today) from 16 concurrent clients, with the
#      view cache off and on (PASAR_ANALYTICS_READ_CACHE_MS 0 and 1000);
#   3. what tracking adds to a page: GET / as a browser (tracked) against the same request from
#      a robot's user agent (not tracked; otherwise the same path through the page cache), at a
#      fixed 200 requests a second and at saturation.
# Prints the figures; docs/performance.md records them.
#
#   cargo build --release -p server --bin pasar    (or cargo leptos build --release)
#   bench/analytics.sh [orders_per_day] [seconds]
#
# Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
# REDIS_URL, default redis://127.0.0.1:6379). Creates and drops the database `pasar_bench_analytics`.
set -euo pipefail
cd "$(dirname "$0")/.."
per_day=${1:-1000}
seconds=${2:-20}
base_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
redis=${REDIS_URL:-redis://127.0.0.1:6379}
db_url="${base_url%/*}/pasar_bench_analytics"
port=3479
out=$(mktemp -d)

psql "$base_url" -qc 'DROP DATABASE IF EXISTS pasar_bench_analytics' -c 'CREATE DATABASE pasar_bench_analytics'
export DATABASE_URL=$db_url REDIS_URL=$redis PASAR_CACHE_PREFIX="bench-analytics-$$:" LEPTOS_OUTPUT_NAME=pasar LEPTOS_SITE_ROOT=target/site RUST_LOG=warn
./target/release/pasar seed --products 1000 | tail -n 1

# 30 days of paid orders (one to three lines each, four payment methods, a customer in five
# coming back), with their `order.paid` facts already mailed (processed) but not yet counted.
psql "$db_url" -q <<SQL
CREATE TEMP TABLE v AS
  SELECT row_number() OVER (ORDER BY v.id) AS n, v.id, v.product_id, v.sku, v.price, p.name
  FROM product_variants v JOIN products p ON p.id = v.product_id;
INSERT INTO orders (number, user_id, email, status, payment_status, currency, subtotal,
    shipping_total, dpp, ppn, grand_total, shipping_address, shipping_method, paid_at,
    created_at, updated_at, access_token, payment_method)
  SELECT 'BENCH-' || g, NULL, 'buyer' || (g % ($per_day * 24)) || '@contoh.id', 'confirmed', 'paid', 'IDR',
    0, 15000, 0, 0, 0, '{}', 'reguler', t, t, t, md5(g::text),
    (ARRAY['qris', 'gopay', 'card', 'bank_transfer'])[1 + g % 4]
  FROM generate_series(1, 30 * $per_day) g,
    LATERAL (SELECT now() - ((g % 30) || ' days')::interval - ((g % 600) || ' minutes')::interval AS t) at;
INSERT INTO order_items (order_id, product_id, variant_id, sku, name, options, unit_price, quantity, line_total)
  SELECT o.id, v.product_id, v.id, v.sku, v.name, '', v.price, 1 + line % 2, v.price * (1 + line % 2)
  FROM orders o, generate_series(0, 2) line,
    LATERAL (SELECT * FROM v WHERE v.n = 1 + (o.id * 7 + line * 13) % (SELECT count(*) FROM v)) v
  WHERE o.number LIKE 'BENCH-%' AND line <= o.id % 3;
UPDATE orders o SET subtotal = s.total, grand_total = s.total + 15000
  FROM (SELECT order_id, sum(line_total) AS total FROM order_items GROUP BY order_id) s
  WHERE s.order_id = o.id AND o.number LIKE 'BENCH-%';
INSERT INTO outbox_events (kind, reference, payload, created_at, processed_at)
  SELECT 'order.paid', number, json_build_object('order_id', id)::text, paid_at, now()
  FROM orders WHERE number LIKE 'BENCH-%';
ANALYZE;
SQL
echo "orders: $(psql "$db_url" -Atc "SELECT count(*) FROM orders WHERE number LIKE 'BENCH-%'"), lines: $(psql "$db_url" -Atc 'SELECT count(*) FROM order_items')"

started=$(date +%s.%N)
./target/release/pasar analytics rebuild
echo "rebuild: $(echo "$(date +%s.%N) - $started" | bc) s"

server=
serve() { # serve [ENV=value]...: (re)starts the server with these settings
  [ -n "$server" ] && kill "$server" && wait "$server" 2>/dev/null || true
  env "$@" PASAR_ADDR=127.0.0.1:$port ./target/release/pasar serve >> "$out/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
}
trap 'kill $server 2>/dev/null; psql "$base_url" -qc "DROP DATABASE IF EXISTS pasar_bench_analytics" || true' EXIT
login() {
  curl -si "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@pasar.test","password":"pasar-admin-2026"}' | grep -i '^set-cookie: pasar_session=' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r'
}
# wrk (Debian's package; C, so the load generator takes little of the two cores) when there,
# otherwise the Node generator.
load() { # load <url> <cookie>: 16 closed-loop clients
  if command -v wrk >/dev/null; then
    wrk -t2 -c16 -d"${seconds}s" --latency -H "cookie: $2" "$1" | grep -E '^ +(50|90|99)%|Requests/sec|Non-2xx'
  else
    CLIENTS=16 node bench/analytics-load.mjs "$1" "cookie:$2"
  fi
}

serve PASAR_ANALYTICS_READ_CACHE_MS=0
cookie=$(login)
curl -sf "http://127.0.0.1:$port/api/v1/admin/analytics?range=30d" -H "cookie: $cookie" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(`30d: revenue ${v.revenue.current}, orders ${v.orders.current}, customers ${v.customers.current}`)})'
export SECONDS=$seconds
for cache in 0 1000; do
  serve PASAR_ANALYTICS_READ_CACHE_MS=$cache
  cookie=$(login)
  for range in 30d today; do
    echo "analytics ?range=$range, read cache ${cache} ms, 16 clients:"
    load "http://127.0.0.1:$port/api/v1/admin/analytics?range=$range" "$cookie"
  done
done
browser='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130 Safari/537.36'
robot='Mozilla/5.0 (compatible; Googlebot/2.1)'
page() { # page <robot|browser> [RATE]: GET / as that user agent
  local agent=$robot; [ "$1" = browser ] && agent=$browser
  RATE=${2:-0} CLIENTS=16 node bench/analytics-load.mjs "http://127.0.0.1:$port/" "accept:text/html" "user-agent:$agent" "cookie:pasar_vid=benchbenchbenchbenchbenchbench01"
}
# Below saturation (a fixed 200 requests a second): what tracking adds to one request.
for round in 1 2; do
  for who in robot browser; do
    echo "GET / as a $who ($( [ $who = robot ] && echo 'not tracked' || echo tracked)), 200 a second:"
    page $who 200
  done
done
# At saturation: what tracking costs in throughput.
for round in 1 2; do
  for who in robot browser; do
    echo "GET / as a $who, 16 clients:"
    page $who
  done
done
curl -sf "http://127.0.0.1:$port/api/v1/admin/analytics?range=today" -H "cookie: $cookie" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(`tracked today: page views ${v.page_views.current}, visitors ${v.visitors.current}, sessions ${v.sessions.current}`)})'
grep -c "dropped\|ERROR" "$out/server.log" || true
