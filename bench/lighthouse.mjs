// Lighthouse (npm, run on Debian's Chromium) on the storefront pages of a running shop, mobile
// preset (Lighthouse's default: a mid-range phone, simulated slow 4G and 4x CPU slowdown).
//
//   npm ci --prefix bench
//   BASE_URL=http://127.0.0.1:3000 node bench/lighthouse.mjs
//
// Pages: home, a category listing and a product found from the home page's links, and the cart
// holding that product (the cart cookie is sent with the request). Each page is measured RUNS
// times (5 by default) and the median run is reported, chosen as Lighthouse CI and PageSpeed
// Insights choose it (`computeMedianRun`: closest to the median FCP and TTI); single runs vary
// with what else the machine is doing. Prints one row per page, with the range of Performance
// scores over the runs, and writes the median run's reports to
// bench/lighthouse/<page>.report.{html,json}. Exits non-zero when a category of a median run
// scores under MIN_SCORE (95 by default).
import { mkdirSync, writeFileSync } from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { computeMedianRun } from 'lighthouse/core/lib/median-run.js';

const base = (process.env.BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const minScore = Number(process.env.MIN_SCORE ?? 95);
const runs = Math.max(1, Number(process.env.RUNS ?? 5));
const outDir = new URL('./lighthouse/', import.meta.url);
mkdirSync(outDir, { recursive: true });

async function firstLink(path, pattern) {
  const html = await (await fetch(base + path)).text();
  const found = html.match(pattern);
  if (!found) throw new Error(`no link matching ${pattern} on ${path}`);
  return found[1];
}

// A cart with one item: the storefront's own add-to-cart endpoint sets the cart cookie.
async function cartCookie(productPath) {
  const html = await (await fetch(base + productPath)).text();
  const sku = html.match(/name="sku" value="([^"]+)"/)?.[1];
  const res = await fetch(`${base}/api/v1/cart/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku, quantity: 1 }),
  });
  const cookie = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  if (!res.ok || !cookie) throw new Error(`could not fill a cart (${res.status})`);
  return cookie;
}

const category = await firstLink('/', /href="(\/c\/[\w-]+)"/);
const product = await firstLink(category, /href="(\/p\/[\w-]+)"/);
const pages = [
  { name: 'home', path: '/' },
  { name: 'listing', path: category },
  { name: 'product', path: product },
  { name: 'cart', path: '/cart', cookie: await cartCookie(product) },
];

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  chromeFlags: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Diagnostics only, e.g. `--js-flags=--no-wasm-lazy-compilation` (see docs/performance.md).
    ...(process.env.EXTRA_CHROME_FLAGS ?? '').split(' ').filter(Boolean),
  ],
});

const pct = (category) => Math.round(category.score * 100);
const rows = [];
let failed = false;
try {
  for (const page of pages) {
    const results = [];
    for (let run = 0; run < runs; run++) {
      results.push(
        await lighthouse(
          base + page.path,
          {
            port: chrome.port,
            output: ['html', 'json'],
            logLevel: 'error',
            onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
            extraHeaders: page.cookie ? { Cookie: page.cookie } : undefined,
          },
          undefined,
        ),
      );
    }
    const median = computeMedianRun(results.map((r) => r.lhr));
    const result = results.find((r) => r.lhr === median);
    const { categories, audits } = result.lhr;
    const [html, json] = result.report;
    writeFileSync(new URL(`${page.name}.report.html`, outDir), html);
    writeFileSync(new URL(`${page.name}.report.json`, outDir), json);
    const scores = ['performance', 'accessibility', 'best-practices', 'seo'].map((k) => pct(categories[k]));
    if (scores.some((s) => s < minScore)) failed = true;
    const performance = results.map((r) => pct(r.lhr.categories.performance));
    rows.push(
      `| ${page.name} (\`${page.path}\`) | ${scores.join(' | ')} | ${Math.min(...performance)}–${Math.max(...performance)} | ` +
        `${audits['largest-contentful-paint'].displayValue} | ${audits['total-blocking-time'].displayValue} | ` +
        `${audits['cumulative-layout-shift'].displayValue} |`,
    );
    // What kept a category under 100, so the report is not needed for the obvious.
    for (const [key, cat] of Object.entries(categories)) {
      if (cat.score >= 1) continue;
      const misses = cat.auditRefs
        .filter((ref) => ref.weight > 0 && audits[ref.id].score !== null && audits[ref.id].score < 1)
        .map((ref) => `${ref.id} (${audits[ref.id].displayValue ?? audits[ref.id].score})`);
      if (misses.length) console.error(`${page.name} ${key}: ${misses.join(', ')}`);
    }
  }
} finally {
  await chrome.kill();
}

console.log(`| page | Performance | Accessibility | Best Practices | SEO | Performance, ${runs} runs | LCP | TBT | CLS |`);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
if (failed) {
  console.error(`\nA category scored under ${minScore}.`);
  process.exit(1);
}
