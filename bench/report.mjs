// Turns oha's JSON results into the table in docs/performance.md (replacing the section
// between the BEGIN/END markers for this benchmark).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const [dir, products, seconds, command] = process.argv.slice(2);
const load = (name) => JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8'));
const names = ['healthz', 'listing_html', 'listing_html_uncached', 'search_api', 'search_api_uncached', 'search_api_uncached_q20', 'suggest']
  .filter((name) => existsSync(`${dir}/${name}.json`));
const rows = names.map((name) => {
  const r = load(name);
  const p = r.latencyPercentiles;
  const statuses = Object.entries(r.statusCodeDistribution ?? {}).map(([k, v]) => `${k}×${v}`).join(' ');
  return { name, rps: r.summary.requestsPerSec, p50: p.p50 * 1000, p95: p.p95 * 1000, p99: p.p99 * 1000, statuses };
});
const ceiling = rows[0].rps;
const labels = {
  healthz: '`/healthz` (ceiling)',
  listing_html: 'listing page HTML (`/search?page=1-9&sort=…`), anonymous: page cache',
  listing_html_uncached: 'listing page HTML, every cache off (`PASAR_CATALOG_CACHE=off`)',
  search_api: 'search API (`/api/v1/products?q=…`, 15 terms): listing cache',
  search_api_uncached: 'search API, 15 terms × sorts × pages, every cache off',
  search_api_uncached_q20: 'search API, every cache off, at a steady 20 req/s (`-q 20`)',
  suggest: 'suggest (`/api/v1/search/suggest?q=…`)',
};
const table = [
  '| endpoint | req/s | share of ceiling | p50 ms | p95 ms | p99 ms | statuses |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map((r) => `| ${labels[r.name]} | ${r.rps.toFixed(0)} | ${((100 * r.rps) / ceiling).toFixed(1)}% | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.statuses} |`),
].join('\n');
const marker = products === '10000' ? 'catalog-bench' : `catalog-bench-${products}`;
const section = `<!-- BEGIN ${marker} -->
Release server, PostgreSQL + Redis on the same 2-core machine, ${products} synthetic products plus the
demo shop, \`oha -c 32 -z ${seconds}s\` per endpoint (measured ${new Date().toISOString().slice(0, 10)}):

${table}

Reproduce: \`${command.trim()}\`
<!-- END ${marker} -->`;
const path = 'docs/performance.md';
let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Performance\n\n## Catalogue\n\n<!-- BEGIN catalog-bench -->\n<!-- END catalog-bench -->\n';
const pattern = new RegExp(`<!-- BEGIN ${marker} -->[\\s\\S]*<!-- END ${marker} -->`);
doc = pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(path, doc);
console.log(table);
