#!/usr/bin/env bash
# Query plans of the catalogue's search and of every listing filter and sort, on a seeded
# PostgreSQL database (run by bench/catalog.sh after seeding; or alone:
# `bench/explain.sh postgres://…/pasar_bench`). Writes them to docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
db=$1
cat_ids=$(psql "$db" -Atc "SELECT string_agg(id::text, ',') FROM categories WHERE slug IN ('sepatu','sepatu-lari','sneakers')")
brand_id=$(psql "$db" -Atc "SELECT id FROM brands ORDER BY id LIMIT 1")
explain() { # title, sql
  echo "#### $1"
  echo
  echo '```'
  psql "$db" -At -c "SET pg_trgm.word_similarity_threshold = 0.45" \
    -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $2" | grep -v '^SET$'
  echo '```'
  echo
}
plans=$(
  explain "Search \`kemeja\` (full text + prefix: one GIN bitmap scan; at most 1,000 matches ranked)" \
    "SELECT id, ts_rank_cd(search_vector, websearch_to_tsquery('simple', 'kemeja')) * 4 + ts_rank_cd(search_vector, to_tsquery('simple', 'kemeja:*')) + word_similarity('kemeja', lower(name)) AS score FROM (SELECT id, search_vector, name FROM products WHERE status = 'active' AND search_vector @@ (websearch_to_tsquery('simple', 'kemeja') || to_tsquery('simple', 'kemeja:*')) LIMIT 1000) AS pool ORDER BY score DESC, id LIMIT 1000"
  explain "Search \`sepatu lari\` (two words)" \
    "SELECT id, ts_rank_cd(search_vector, websearch_to_tsquery('simple', 'sepatu lari')) * 4 + ts_rank_cd(search_vector, to_tsquery('simple', 'sepatu:* & lari:*')) + word_similarity('sepatu lari', lower(name)) AS score FROM (SELECT id, search_vector, name FROM products WHERE status = 'active' AND search_vector @@ (websearch_to_tsquery('simple', 'sepatu lari') || to_tsquery('simple', 'sepatu:* & lari:*')) LIMIT 1000) AS pool ORDER BY score DESC, id LIMIT 1000"
  explain "Typo \`kemja\`: full text finds nothing, so the word is corrected from the vocabulary (trigram GIN on \`search_words\`), then full text runs again with \`kemeja\`" \
    "SELECT word FROM search_words WHERE word % 'kemja' AND length(word) BETWEEN 3 AND 7 AND left(word, 1) = 'k' ORDER BY similarity(word, 'kemja') DESC LIMIT 20"
  explain "Category (with subcategories), newest first" \
    "SELECT id FROM products WHERE status = 'active' AND category_id IN ($cat_ids) ORDER BY created_at DESC LIMIT 24"
  explain "Brand, popular first" \
    "SELECT id FROM products WHERE status = 'active' AND brand_id IN ($brand_id) ORDER BY sales_count DESC LIMIT 24"
  explain "Price range, cheapest first" \
    "SELECT id FROM products WHERE status = 'active' AND price_min BETWEEN 100000 AND 150000 ORDER BY price_min LIMIT 24"
  explain "Minimum rating 4.5, best rated first" \
    "SELECT id FROM products WHERE status = 'active' AND rating_hundredths >= 450 ORDER BY rating_hundredths DESC LIMIT 24"
  explain "In stock only, popular first" \
    "SELECT id FROM products WHERE status = 'active' AND available > 0 ORDER BY sales_count DESC LIMIT 24"
)
products=$(psql "$db" -Atc "SELECT count(*) FROM products")
section="<!-- BEGIN explain -->
\`EXPLAIN ANALYZE\` on PostgreSQL with $products products (\`bench/explain.sh\`, run by \`bench/catalog.sh\`;
$(date -u +%Y-%m-%d)):

$plans
<!-- END explain -->"
doc=docs/performance.md
SECTION="$section" node -e '
const fs = require("fs");
const doc = fs.readFileSync(process.argv[1], "utf8");
const s = process.env.SECTION;
const re = /<!-- BEGIN explain -->[\s\S]*<!-- END explain -->/;
fs.writeFileSync(process.argv[1], re.test(doc) ? doc.replace(re, s) : doc.trimEnd() + "\n\n### Query plans\n\n" + s + "\n");
' "$doc"
echo "query plans written to $doc"
