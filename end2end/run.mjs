// Browser journeys in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core).
// Usage: BASE_URL=http://127.0.0.1:3000 node end2end/run.mjs   (`cargo xtask e2e` starts a
// server with the demo data and runs this). Screenshots go to end2end/output/. JOURNEY=text
// runs only the journeys whose name contains that text.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import assert from 'node:assert/strict';

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'output');
mkdirSync(OUT, { recursive: true });
const ADMIN = { email: process.env.PASAR_ADMIN_EMAIL ?? 'admin@pasar.test', password: process.env.PASAR_ADMIN_PASSWORD ?? 'pasar-admin-2026' };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const results = [];
const unique = `${Date.now()}${Math.floor(Math.random() * 1000)}`;

/** A fresh browser context; records console errors and uncaught exceptions. */
async function newPage({ javaScript = true, viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ javaScriptEnabled: javaScript, viewport, baseURL: BASE });
  const page = await context.newPage();
  page.javaScriptOn = javaScript;
  page.consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Say on which page: a CSP report names the directive, not the document.
    if (m.text().includes('Content Security Policy')) console.log(`     csp on ${page.url()}`);
    page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.consoleErrors.push(`uncaught: ${e.message}`));
  return page;
}

async function journey(name, fn) {
  if (process.env.JOURNEY && !name.includes(process.env.JOURNEY)) return;
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n     ${err.stack ?? err}`);
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

/** Waits until the WASM has hydrated the page: the password toggle only works after hydration. */
async function waitForHydration(page) {
  await page.goto('/login');
  const input = page.locator('#field-password');
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    await page.click('#toggle-password');
    await page.waitForTimeout(150);
    if ((await input.getAttribute('type')) === 'text') return;
    await page.waitForTimeout(350);
  }
  throw new Error('the page never hydrated (the Show password button did not react)');
}

/**
 * Lets a page of the shop hydrate before it is driven: its WASM starts only after the page's
 * `load` event, and marks `<html data-hydrated>` once it has taken over.
 */
async function waitForListingHydration(page) {
  await page.waitForSelector('html[data-hydrated]', { state: 'attached', timeout: 20000 });
}

/** Waits for the network to go quiet and, on the shop's own pages with JavaScript on, for hydration. */
async function settle(page) {
  await page.waitForLoadState('networkidle');
  if (!page.javaScriptOn) return;
  const ours = await page.evaluate(() => document.querySelector('link#leptos') !== null);
  if (ours) await waitForListingHydration(page);
}

const email = `e2e${unique}@contoh.id`;
const password = 'rahasia-e2e-123';

await journey('home page renders and hydrates without console errors', async () => {
  const page = await newPage();
  const res = await page.goto('/');
  assert.equal(res.status(), 200);
  // Hydration below runs under the shop's Content-Security-Policy (a violation is a console error).
  assert.match(res.headers()['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval' 'nonce-/);
  await settle(page);
  assert.match(await page.title(), /Pasar/);
  assert.ok(await page.isVisible('text=Semua kebutuhanmu, satu pasar.'));
  await shot(page, '01-home');
  // The home page itself hydrates: its search box suggests products only once the WASM runs.
  let suggested = false;
  for (const deadline = Date.now() + 20000; !suggested && Date.now() < deadline; ) {
    await page.fill('#site-search', '');
    await page.click('#site-search');
    await page.keyboard.type('sepatu', { delay: 40 });
    suggested = await page
      .waitForSelector('#search-suggestions [data-kind="product"]', { timeout: 2000 })
      .then(() => true, () => false);
  }
  assert.ok(suggested, 'the home page hydrated (its search box suggests products)');
  await waitForHydration(page);
  assert.equal(await page.locator('#toggle-password').textContent(), 'Hide');
  await page.goto('/');
  await settle(page);
  assert.deepEqual(page.consoleErrors, [], 'no console errors');
  await page.context().close();
});

await journey('register, log out and log in again (JavaScript on)', async () => {
  const page = await newPage();
  await waitForHydration(page);
  await page.click('a:has-text("Create an account")');
  await page.waitForURL('**/register');
  // Bad input first: the server's per-field messages show without a reload.
  await page.fill('#field-name', 'E2E Tester');
  await page.fill('#field-email', email);
  await page.fill('#field-password', 'short');
  await page.click('#register-form button[type=submit]');
  await page.waitForSelector('text=Use at least 8 characters.');
  await shot(page, '02-register-error');
  await page.fill('#field-password', password);
  await page.click('#register-form button[type=submit]');
  await page.waitForURL('**/account?welcome=1');
  await page.waitForSelector('text=Welcome to Pasar! Your account is ready.');
  await page.waitForSelector('.account-name:has-text("E2E")');
  await shot(page, '03-account');

  await page.click('.account-menu summary');
  await page.click('button.logout');
  await page.waitForURL(`${BASE}/`);
  await page.waitForSelector('a:has-text("Log in")');

  // The login page is a lazy route: its code arrives after the page, and a click before it has
  // hydrated posts the form natively (which lands on /account, not on the home page).
  await waitForHydration(page);
  await page.fill('#field-email', email);
  await page.fill('#field-password', 'wrong-password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('.form-error:has-text("Wrong email or password.")');
  await shot(page, '04-login-error');
  await page.fill('#field-password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${BASE}/`);
  await page.waitForSelector('.greeting:has-text("Selamat datang kembali, E2E Tester!")');
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes('status of 401') && !e.includes('status of 422')), []);
  await page.context().close();
});

await journey('log in and out with JavaScript off', async () => {
  const page = await newPage({ javaScript: false });
  await page.goto('/login?next=/account');
  await page.fill('#field-email', email);
  await page.fill('#field-password', 'wrong-password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('.form-error:has-text("Wrong email or password.")');
  await page.fill('#field-email', email);
  await page.fill('#field-password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL('**/account');
  assert.ok(await page.isVisible(`#profile-form >> text=${email}`));
  await shot(page, '05-nojs-account');
  // <details> opens without JavaScript.
  await page.click('.account-menu summary');
  await page.click('button.logout');
  await page.waitForURL(`${BASE}/`);
  await page.waitForSelector('nav a:has-text("Log in")');
  await page.context().close();
});

await journey('address book: validation, then save', async () => {
  const page = await newPage();
  await waitForHydration(page);
  await page.fill('#field-email', email);
  await page.fill('#field-password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${BASE}/`);
  await page.goto('/account/addresses');
  await page.waitForSelector('#address-form');
  await settle(page);
  await page.fill('#field-recipient', 'E2E Tester');
  await page.fill('#field-phone', '0812 3456 7890');
  await page.fill('#field-street', 'Jl. Braga No. 10');
  await page.fill('#field-district', 'Sumur Bandung');
  await page.fill('#field-city', 'Bandung');
  await page.selectOption('#field-province', 'Jawa Barat');
  await page.fill('#field-postal_code', '401');
  await page.click('#address-form button[type=submit]');
  await page.waitForSelector('text=A kode pos has exactly 5 digits.');
  await page.fill('#field-postal_code', '40111');
  await page.click('#address-form button[type=submit]');
  await page.waitForSelector('.address-card:has-text("Jl. Braga No. 10")');
  await page.waitForSelector('.toast:has-text("Address saved.")');
  await shot(page, '06-addresses');
  await page.context().close();
});

await journey('admin manages users; customers are kept out', async () => {
  const customer = await newPage();
  await customer.goto('/login');
  await customer.fill('#field-email', email);
  await customer.fill('#field-password', password);
  await customer.click('#login-form button[type=submit]');
  await customer.waitForURL(`${BASE}/`);
  const res = await customer.goto('/admin/users');
  assert.equal(res.status(), 403);
  await customer.context().close();

  const page = await newPage();
  await waitForHydration(page);
  await page.fill('#field-email', ADMIN.email);
  await page.fill('#field-password', ADMIN.password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${BASE}/`);
  await page.goto(`/admin/users?q=${encodeURIComponent(email)}`);
  const row = page.locator(`tr.user-row[data-email="${email}"]`);
  await row.waitFor();
  await settle(page);
  await row.locator('select[name=role]').selectOption('staff');
  await row.locator('button:has-text("Save")').click();
  await page.waitForSelector(`.toast:has-text("${email} is now staff.")`);
  await shot(page, '07-admin-users');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

await journey('catalogue: search, filter, sort, paginate, go back, open a product, switch variant', async () => {
  const page = await newPage();
  await page.goto('/');
  await settle(page);
  await page.fill('#site-search', 'kemeja');
  await page.press('#site-search', 'Enter');
  await page.waitForURL('**/search?q=kemeja');
  await page.waitForSelector('#product-grid .product-card');
  assert.match(await page.textContent('#listing-title'), /kemeja/);
  assert.ok(await page.locator('#product-grid mark').count() > 0, 'matches are highlighted');
  await waitForListingHydration(page);

  // Filter by a brand and a price range: both stay applied.
  await page.check('#filter-brands input[value="batik-keris"]');
  await page.fill('#filter-max-price', '250000');
  await page.click('#apply-filters');
  await page.waitForURL(/brand=batik-keris/);
  assert.match(page.url(), /max_price=250000/);
  // The old results stay on screen while the filtered ones load (a Transition): wait for them.
  await page.waitForFunction(() => {
    const prices = [...document.querySelectorAll('#product-grid .product-price')].map((e) => Number(e.textContent.replace(/[^0-9]/g, '')));
    return prices.length > 0 && prices.every((p) => p <= 250000);
  });
  const prices = await page.locator('#product-grid .product-price').allTextContents();
  assert.ok(prices.length > 0);
  for (const p of prices) assert.ok(Number(p.replace(/[^0-9]/g, '')) <= 250000, p);
  assert.ok(await page.isChecked('#filter-brands input[value="batik-keris"]'), 'the filter stays checked');
  await shot(page, '10-search-filtered');

  // Change the sort: the filters are kept.
  await page.selectOption('#sort', 'price_desc');
  await page.waitForURL(/sort=price_desc/);
  assert.match(page.url(), /brand=batik-keris/);
  // The old results stay on screen while the new ones load (a Transition): wait for the order.
  await page.waitForFunction(() => {
    const prices = [...document.querySelectorAll('#product-grid .product-price')].map((e) => Number(e.textContent.replace(/[^0-9]/g, '')));
    return prices.length > 1 && prices.every((p, i) => i === 0 || prices[i - 1] >= p) && prices[0] > prices[prices.length - 1];
  });

  // Page 2 of everything, then back.
  await page.goto('/search?per_page=12');
  await page.waitForSelector('#pagination');
  const firstOnPage1 = await page.locator('#product-grid .product-card').first().getAttribute('data-slug');
  await page.click('#pagination a:text-is("2")');
  await page.waitForURL(/page=2/);
  // The old cards stay while page 2 loads (a Transition): wait until they are replaced.
  await page.waitForFunction((slug) => {
    const first = document.querySelector('#product-grid .product-card')?.getAttribute('data-slug');
    return first && first !== slug;
  }, firstOnPage1);
  const firstOnPage2 = await page.locator('#product-grid .product-card').first().getAttribute('data-slug');
  assert.notEqual(firstOnPage1, firstOnPage2);
  await page.goBack();
  await page.waitForURL((url) => !url.search.includes('page=2'));
  await page.waitForFunction((slug) => document.querySelector('#product-grid .product-card')?.getAttribute('data-slug') === slug, firstOnPage1);

  // Open a product and switch variant: price and SKU change in place.
  await page.goto('/p/batik-keris-kemeja-batik-parang-lengan-panjang');
  await page.waitForSelector('#variant-price');
  await settle(page);
  const before = await page.textContent('#variant-price');
  const skuBefore = await page.textContent('#variant-sku');
  await page.click('.variant-option a:text-is("XL")');
  await page.waitForFunction((old) => document.querySelector('#variant-price')?.textContent !== old, before);
  const after = await page.textContent('#variant-price');
  assert.equal(Number(after.replace(/[^0-9]/g, '')) - Number(before.replace(/[^0-9]/g, '')), 10000);
  assert.notEqual(await page.textContent('#variant-sku'), skuBefore);
  await shot(page, '11-product');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

await journey('a click between hydration slices is held, then handled (pagination)', async () => {
  const page = await newPage();
  // Hydration runs in slices, and the browser handles input in the turns between them (input
  // outranks the slices' continuations). The router takes over links with the first slice, so
  // a click in the first turn used to navigate while the page was still hydrating: the URL said
  // page 2 and page 1's cards stayed. A user-blocking task posted when hydration starts runs in
  // exactly that turn; it clicks page 2 and notes whether hydration had finished.
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const root = document.documentElement;
      const started = new MutationObserver(() => {
        if (!root.hasAttribute('data-hydrating')) return;
        started.disconnect();
        scheduler.postTask(() => {
          window.clickedWhileHydrating = !root.hasAttribute('data-hydrated');
          document.querySelector('#pagination a[href*="page=2"]').click();
        }, { priority: 'user-blocking' });
      });
      started.observe(root, { attributes: true });
    });
  });
  await page.goto('/search?per_page=12');
  const firstOnPage1 = await page.locator('#product-grid .product-card').first().getAttribute('data-slug');
  await page.waitForURL(/page=2/);
  await waitForListingHydration(page);
  assert.equal(await page.evaluate(() => window.clickedWhileHydrating), true, 'the click came before hydration had finished');
  await page.waitForFunction((slug) => {
    const first = document.querySelector('#product-grid .product-card')?.getAttribute('data-slug');
    return first && first !== slug;
  }, firstOnPage1, { timeout: 10000 });
  // One grid of 12, and the pagination shows page 2 as the current one.
  assert.equal(await page.locator('#product-grid').count(), 1);
  assert.equal(await page.locator('#product-grid .product-card').count(), 12);
  assert.equal((await page.textContent('#pagination a.bg-emerald-700')).trim(), '2');
  // The app works on after the held click: back to page 1, in place.
  const firstOnPage2 = await page.locator('#product-grid .product-card').first().getAttribute('data-slug');
  await page.click('#pagination a:text-is("1")');
  await page.waitForURL((url) => !url.search.includes('page=2'));
  await page.waitForFunction((slug) => document.querySelector('#product-grid .product-card')?.getAttribute('data-slug') === slug, firstOnPage1);
  assert.notEqual(firstOnPage1, firstOnPage2);
  assert.equal(await page.locator('#product-grid .product-card').count(), 12);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

await journey('autocomplete: type, arrow down, Enter opens the suggestion; Escape closes', async () => {
  const page = await newPage();
  await page.goto('/');
  await settle(page);
  await waitForHydration(page);
  await page.goto('/');
  await settle(page);
  await page.click('#site-search');
  await page.keyboard.type('sepatu lar', { delay: 40 });
  await page.waitForSelector('#search-suggestions [data-kind="product"]');
  await shot(page, '12-autocomplete');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#search-suggestions', { state: 'detached' });
  await page.keyboard.type('i', { delay: 40 });
  await page.waitForSelector('#search-suggestions [data-kind="product"]');
  const categories = await page.locator('#search-suggestions [data-kind="category"]').count();
  await page.keyboard.press('ArrowDown');
  for (let i = 0; i < categories; i++) await page.keyboard.press('ArrowDown');
  const chosen = await page.locator('#search-suggestions [aria-selected="true"] a').getAttribute('href');
  assert.match(chosen, /^\/p\//);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**${chosen}`);
  await page.waitForSelector('#product-name');
  assert.match((await page.textContent('#product-name')).toLowerCase(), /sepatu lari/);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

async function logIn(page, who) {
  await waitForHydration(page);
  await page.fill('#field-email', who.email);
  await page.fill('#field-password', who.password);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${BASE}/`);
}

await journey('staff edit a price, upload a picture and unpublish; the shop follows at once', async () => {
  const page = await newPage();
  await logIn(page, ADMIN);
  const slug = 'batik-keris-kemeja-batik-parang-lengan-panjang';
  await page.goto(`/admin/products?q=${slug}`);
  const row = page.locator(`tr.product-row[data-slug="${slug}"]`);
  await row.waitFor();
  await settle(page);
  await row.locator('a').first().click();
  await page.waitForSelector('#variants .variant-row');
  await settle(page);
  const firstVariant = page.locator('#variants .variant-row').first();
  const sku = await firstVariant.locator('input[name=sku]').inputValue();
  await firstVariant.locator('input[name=price]').fill('123400');
  await firstVariant.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#variants .variant-row input[name=price]')?.value === '123400');

  // Upload one of the demo pictures again: a third picture appears.
  const pictures = await page.locator('#images .product-image').count();
  const src = await page.locator('#images .product-image img').first().getAttribute('src');
  const bytes = Buffer.from(await (await page.request.get(src.replace('-160.jpg', '-320.jpg'))).body());
  await page.setInputFiles('#image-file', { name: 'foto.jpg', mimeType: 'image/jpeg', buffer: bytes });
  await page.fill('#image-alt', 'Tampak dekat');
  await page.click('#upload-form button[type=submit]');
  await page.waitForURL(/saved=/);
  await page.waitForFunction((n) => document.querySelectorAll('#images .product-image').length === n + 1, pictures);
  // A file that is not a picture gets a clear message.
  await page.setInputFiles('#image-file', { name: 'notes.txt', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.click('#upload-form button[type=submit]');
  await page.waitForURL(/error=/);
  assert.match(await page.locator('.form-error').first().textContent(), /JPEG, PNG, WebP or GIF/);
  assert.equal(await page.locator('.form-error').count(), 1, 'the message is shown once');
  await shot(page, '13-admin-product');

  const shop = await newPage();
  await shop.goto(`/p/${slug}?sku=${sku}`);
  assert.equal(await shop.textContent('#variant-price'), 'Rp 123.400');
  assert.equal(await shop.locator('#gallery .gallery-thumb').count(), pictures + 1);

  // Unpublish: the product page answers 404; publish again.
  await page.goto(`/admin/products?q=${slug}`);
  await row.waitFor();
  await settle(page);
  await row.locator('button.publish-toggle').click();
  await page.waitForFunction((s) => document.querySelector(`tr.product-row[data-slug="${s}"] .product-status`)?.textContent === 'draft', slug);
  assert.equal((await shop.goto(`/p/${slug}`)).status(), 404);
  await row.locator('button.publish-toggle').click();
  await page.waitForFunction((s) => document.querySelector(`tr.product-row[data-slug="${s}"] .product-status`)?.textContent === 'published', slug);
  assert.equal((await shop.goto(`/p/${slug}`)).status(), 200);
  assert.deepEqual(page.consoleErrors, []);
  await shop.context().close();
  await page.context().close();
});

await journey('staff set stock with a reason; the history shows it and the shop shows the new availability', async () => {
  const page = await newPage();
  await logIn(page, ADMIN);
  const slug = 'batik-keris-kemeja-batik-parang-lengan-panjang';
  await page.goto(`/admin/products?q=${slug}`);
  const row = page.locator(`tr.product-row[data-slug="${slug}"]`);
  await row.waitFor();
  await settle(page);
  await row.locator('a').first().click();
  await page.waitForSelector('#stock .stock-level');
  await settle(page);
  const variant = page.locator('#stock .stock-variant').first();
  const level = variant.locator('.stock-level').first();
  const cells = async () => (await level.locator('td.tabular-nums').allTextContents()).map(Number);
  const [onHand, held] = await cells();
  const sku = (await variant.locator('h3').textContent()).trim().split(/\s/)[0];
  // Without a reason the browser keeps the form; with one, on hand changes in place.
  await level.locator('input[name=on_hand]').fill(String(onHand + 7));
  await level.locator('input[name=reason]').fill('e2e: carton found in receiving');
  await level.locator('button[type=submit]').click();
  await page.waitForFunction((n) => document.querySelector('#stock .stock-level td.tabular-nums')?.textContent === String(n), onHand + 7);
  assert.deepEqual((await cells()).slice(0, 3), [onHand + 7, held, onHand + 7 - held]);
  let total = Number((await variant.locator('h3 span').nth(1).textContent()).match(/\d+/)[0]);
  await shot(page, '15-admin-stock');

  await variant.locator('a.stock-history').click();
  await page.waitForSelector('.stock-movements .stock-movement');
  const first = page.locator('.stock-movements .stock-movement').first();
  assert.equal(await first.getAttribute('data-kind'), 'adjustment');
  assert.match(await first.locator('.movement-note').textContent(), /e2e: carton found in receiving/);
  assert.equal(Number(await page.textContent('.stock-levels .stock-available')), total);
  await shot(page, '16-admin-stock-history');

  // Two units to Surabaya: in transit, then received; the total does not change.
  await page.selectOption('#transfer-from', 'JKT');
  await page.selectOption('#transfer-to', 'SBY');
  await page.fill('#transfer-quantity', '2');
  await page.fill('#transfer-reason', 'e2e: rebalance');
  await page.click('.transfer-form button[type=submit]');
  await page.waitForSelector('#transfers li.transfer');
  assert.equal(await page.textContent('.stock-levels tr[data-warehouse="SBY"] .level-incoming'), '2');
  await page.click('#transfers li.transfer button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('#transfers li.transfer'));
  await page.waitForFunction(() => document.querySelector('.stock-movements .stock-movement')?.getAttribute('data-kind') === 'transfer_in');
  assert.equal(Number(await page.textContent('.stock-levels .stock-available')), total);

  // A count of Jakarta finds one more: the variance shows while typing, then it is posted.
  const jkt = page.locator('.stock-levels tr[data-warehouse="JKT"]');
  const jktOnHand = Number((await jkt.locator('td.tabular-nums').first().textContent()).trim());
  await jkt.locator('input[name=counted]').pressSequentially(String(jktOnHand + 1));
  await page.waitForFunction(() => document.querySelector('.stock-levels tr[data-warehouse="JKT"] .count-variance')?.textContent === 'variance +1');
  await jkt.locator('.count-level button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('.stock-movements .stock-movement')?.getAttribute('data-kind') === 'count_correction');
  total += 1;
  assert.equal(Number(await page.textContent('.stock-levels .stock-available')), total);

  // One unit found damaged: still on hand, no longer available.
  await page.selectOption('#unavailable-warehouse', 'JKT');
  await page.selectOption('#unavailable-action', 'set_aside');
  await page.selectOption('#unavailable-state', 'damaged');
  await page.fill('#unavailable-quantity', '1');
  await page.fill('#unavailable-reason', 'e2e: crushed carton');
  await page.click('.unavailable-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('.stock-movements .stock-movement')?.getAttribute('data-kind') === 'set_aside');
  total -= 1;
  assert.equal(Number(await page.textContent('.stock-levels .stock-available')), total);
  assert.equal(Number(await page.textContent('.stock-levels .stock-unavailable')), 1);
  assert.match(await page.textContent('.stock-levels tr[data-warehouse="JKT"] .unavailable-breakdown'), /damaged 1/);
  await shot(page, '35-admin-unavailable');

  // Five more ordered from a supplier: incoming at Jakarta until received.
  await page.goto('/admin/purchase-orders');
  await page.waitForSelector('.po-form');
  await settle(page);
  await page.fill('#po-supplier', 'CV e2e Tekstil');
  await page.selectOption('#po-warehouse', 'JKT');
  await page.fill('#po-lines', `${sku}, 5`);
  await page.click('.po-form button[type=submit]');
  const po = page.locator('.purchase-order[data-status="ordered"]').first();
  await po.waitFor();
  assert.match(await po.textContent(), new RegExp(sku));
  await page.goto(`/admin/inventory/${sku}`);
  await page.waitForSelector('.stock-levels');
  assert.equal(await page.textContent('.stock-levels tr[data-warehouse="JKT"] .level-incoming'), '5');
  await page.goto('/admin/purchase-orders');
  await page.waitForSelector('.purchase-order[data-status="ordered"] .receive-po');
  await settle(page);
  await shot(page, '36-admin-purchase-orders');
  await page.click('.purchase-order[data-status="ordered"] .receive-po');
  await page.waitForSelector('.purchase-order[data-status="received"]');
  total += 5;
  await page.goto(`/admin/inventory/${sku}`);
  await page.waitForSelector('.stock-levels');
  assert.equal(Number(await page.textContent('.stock-levels .stock-available')), total);
  assert.equal(await page.getAttribute('.stock-movements .stock-movement', 'data-kind'), 'receive');

  await page.goto('/admin/inventory');
  await settle(page);
  await page.waitForSelector('text=Low stock');
  await shot(page, '34-admin-low-stock');

  const shop = await newPage();
  await shop.goto(`/p/${slug}?sku=${sku}`);
  const shown = await shop.textContent('#variant-availability');
  assert.ok(shown.includes(String(total)), `the shop shows ${total} available: ${shown}`);

  // The warehouses, by priority, each editable.
  await page.goto('/admin/warehouses');
  await page.waitForSelector('.warehouses form.warehouse');
  assert.ok(await page.locator('.warehouses form.warehouse').count() >= 2);
  assert.equal(await page.locator('.warehouses form.warehouse input[name=code]').first().inputValue(), 'JKT');
  await shot(page, '17-admin-warehouses');
  assert.deepEqual(page.consoleErrors, []);
  await shop.context().close();
  await page.context().close();
});

await journey('a customer who bought a product reviews it; others cannot', async () => {
  // The demo customer's delivered order holds the first two demo products.
  let slug;
  for (let n = 1; n <= 3 && !slug; n++) {
    const res = await (await fetch(`${BASE}/api/v1/products?per_page=100&page=${n}`)).json();
    slug = res.items.find((i) => i.id === 1)?.slug;
  }
  assert.ok(slug, 'demo product #1');
  const stranger = await newPage();
  await stranger.goto(`/p/${slug}`);
  await stranger.waitForSelector('#reviews');
  assert.ok(await stranger.locator('#review-form').count() === 0);
  await stranger.context().close();

  const page = await newPage();
  await logIn(page, { email: 'budi@pasar.test', password: 'belanja-2026' });
  await page.goto(`/p/${slug}`);
  await page.waitForSelector('#review-form');
  await settle(page);
  await page.check('#review-form input[name=rating][value="4"]');
  await page.fill('#review-title', 'Nyaman dipakai');
  await page.fill('#review-body', `Bahannya adem dan jahitannya rapi (${unique}).`);
  await page.click('#review-form button[type=submit]');
  await page.waitForSelector(`#review-list .review:has-text("${unique}")`);
  assert.match(await page.textContent('#review-list .review:has-text("ulasan Anda")'), /Budi S\./);
  await shot(page, '14-review');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

await journey('catalogue works without JavaScript', async () => {
  const page = await newPage({ javaScript: false });
  await page.goto('/search?q=sepatu');
  await page.check('#filter-in-stock');
  await page.click('#apply-filters');
  await page.waitForURL(/in_stock=1/);
  assert.match(page.url(), /q=sepatu/);
  assert.ok(await page.locator('#product-grid .product-card').count() > 0);
  const res = await page.goto('/search?page=99');
  assert.equal(res.status(), 200);
  assert.ok(await page.isVisible('#empty-state'), 'an out-of-range page shows an empty state');
  const bad = await page.goto('/search?sort=cheapest');
  assert.equal(bad.status(), 400);
  await page.context().close();
});

/** Two in-stock products from the listing (their slugs). */
async function twoProducts(page) {
  await page.goto('/search?in_stock=true&sort=popular');
  const slugs = await page.locator('#product-grid .product-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-slug')));
  assert.ok(slugs.length >= 2, 'the demo shop lists products in stock');
  return slugs.slice(2, 4);
}

/** Opens a product page, waits for the WASM, and adds one unit with the cart form. */
async function addToCart(page, slug, expectedCount) {
  await page.goto(`/p/${slug}`);
  await settle(page);
  await page.click('.add-to-cart-button');
  await page.waitForSelector(`.cart-badge[data-count="${expectedCount}"]`);
  await page.waitForSelector('.cart-drawer');
}

async function checkoutSteps(page, { guest }) {
  await page.waitForURL('**/checkout');
  // Let the WASM take over the form first: a click before hydration posts it natively.
  await settle(page);
  if (guest) {
    await page.fill('#field-email', `tamu${unique}@contoh.id`);
    // Bad input first: the server names the fields.
    await page.click('.contact-form button[type=submit]');
    await page.waitForSelector('text=Enter the recipient\'s name.');
    await page.fill('#field-recipient', 'Tamu Pasar');
    await page.fill('#field-phone', '081311112222');
    await page.fill('#field-street', 'Jl. Anggrek 3 RT 01/RW 02');
    await page.fill('#field-district', 'Coblong');
    await page.fill('#field-city', 'Bandung');
    await page.selectOption('#field-province', 'Jawa Barat');
    await page.fill('#field-postal_code', '40132');
  }
  await shot(page, '20-checkout-address');
  await page.click('.contact-form button[type=submit]');
  await page.waitForURL('**/checkout/shipping');
  await page.waitForSelector('input[name=shipping_method]');
  await shot(page, '21-checkout-shipping');
  await page.click('.shipping-form button[type=submit]');
  await page.waitForURL('**/checkout/payment');
  await page.waitForSelector('text=Demo payment (no real money)');
  await page.click('.payment-form button[type=submit]');
  await page.waitForURL('**/checkout/review');
  await page.waitForSelector('.grand-total');
  await shot(page, '22-checkout-review');
  await page.click('.place-order button[type=submit]');
  await page.waitForURL('**/pay/demo/**');
  await page.waitForSelector('.demo-banner:has-text("Demo gateway")');
  await shot(page, '23-demo-gateway');
}

await journey('guest cart survives a reload, merges at login, and pays with the demo gateway', async () => {
  const page = await newPage();
  const [first, second] = await twoProducts(page);
  await addToCart(page, first, 1);
  await page.click('.cart-drawer button[aria-label=Close]');
  await addToCart(page, second, 2);
  await shot(page, '19-cart-drawer');
  await page.reload();
  await page.waitForSelector('.cart-badge[data-count="2"]');
  // Cookie gone (cleared, another tab's logout…): the browser's localStorage copy brings it back.
  await page.context().clearCookies();
  await page.reload();
  await page.waitForSelector('.cart-badge[data-count="2"]');
  await page.goto('/cart');
  assert.equal(await page.locator('.cart-line').count(), 2, 'both products kept after a reload');
  await shot(page, '18-cart');

  // Log in: the guest's two lines join Budi's cart.
  await page.goto('/login?next=/cart');
  await settle(page);
  await page.fill('#field-email', 'budi@pasar.test');
  await page.fill('#field-password', 'belanja-2026');
  await page.click('#login-form button[type=submit]');
  await page.waitForURL('**/cart');
  await page.waitForSelector('.cart-line');
  const skus = await page.locator('.cart-line').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sku')));
  assert.ok(skus.length >= 2, `merged cart has the guest's lines: ${skus}`);
  await page.click('.checkout-link');
  await checkoutSteps(page, { guest: false });
  const number = page.url().split('/pay/demo/')[1].split('?')[0];
  await page.click('.demo-approve');
  await page.waitForURL('**/orders/**paid=1');
  await page.waitForSelector('.order-thanks');
  await page.waitForSelector('.order-status[data-status=confirmed]');
  await shot(page, '24-order-confirmed');
  await page.waitForSelector('.cart-badge[data-count="0"]');
  await page.goto('/account/orders');
  await page.waitForSelector(`.orders-list :text("${number}")`);
  await shot(page, '25-account-orders');

  // Staff find the paid order by Budi's email in the orders table, start on it and ship it;
  // Budi follows it in his account.
  const admin = await newPage();
  await logIn(admin, ADMIN);
  await admin.goto('/admin/orders');
  await admin.waitForSelector('#orders-table');
  await admin.waitForSelector('.new-orders-count');
  await admin.fill('#order-search', 'budi@pasar.test');
  await admin.selectOption('select[name=status]', 'confirmed');
  await admin.click('.orders-filter button[type=submit]');
  await admin.waitForURL((url) => url.searchParams.get('q') === 'budi@pasar.test');
  await admin.waitForSelector(`.order-row[data-number="${number}"]`);
  await shot(admin, '29-admin-orders');
  await admin.click(`.order-row[data-number="${number}"] a`);
  await admin.waitForURL(`**/admin/orders/${number}`);
  await admin.waitForSelector('.admin-timeline');
  await admin.click('.move-button[data-to=processing]');
  await admin.waitForSelector('.admin-order-status [data-status=processing]');
  await admin.fill('#ship-carrier', 'JNE');
  await admin.fill('#ship-tracking', `JNE${unique}`);
  await admin.click('.ship-button');
  await admin.waitForSelector('.admin-order-status [data-status=shipped]');
  assert.equal(await admin.locator('.admin-tracking').textContent(), `JNE${unique}`);
  await shot(admin, '30-admin-order-shipped');
  // Staff print the invoice: a PDF, issued on the first print.
  const printHref = await admin.locator('.admin-invoice').getAttribute('href');
  const printed = await admin.request.get(printHref);
  assert.equal(printed.status(), 200);
  assert.equal(printed.headers()['content-type'], 'application/pdf');
  const printedBody = await printed.body();
  assert.deepEqual(admin.consoleErrors.filter((e) => !e.includes('status of 4')), [], 'admin pages: no console errors');
  await admin.context().close();
  await page.goto(`/orders/${number}`);
  await page.waitForSelector('.order-status[data-status=shipped]');
  assert.equal(await page.locator('.order-tracking').textContent(), `JNE${unique}`);
  assert.equal(await page.locator('.order-cancel').count(), 0, 'a shipped order cannot be cancelled');
  const steps = await page.locator('.timeline-entry').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-to')));
  assert.deepEqual(steps.filter((s) => ['confirmed', 'processing', 'shipped'].includes(s)), ['confirmed', 'processing', 'shipped']);
  await shot(page, '27-order-shipped');
  // Budi downloads the same invoice.
  const invoiceHref = await page.locator('.order-invoice').getAttribute('href');
  const invoice = await page.request.get(invoiceHref);
  assert.equal(invoice.status(), 200);
  assert.ok(invoice.headers()['content-disposition'].startsWith('attachment; filename="INV-'));
  assert.deepEqual(await invoice.body(), printedBody, 'the stored invoice, byte for byte');

  // Budi asks to return one unit (a plain form); staff approve it with a note; an admin makes an
  // API token for a script, which then reads the orders with it.
  await page.locator('.return-qty').first().selectOption('1');
  await page.fill('.return-reason', 'Too spicy for me');
  await page.click('.return-button');
  await page.waitForSelector('.return-entry[data-status=requested]');
  await page.waitForSelector('.form-success');
  await shot(page, '31-return-requested');
  const staff = await newPage();
  await logIn(staff, ADMIN);
  await staff.goto(`/admin/orders/${number}`);
  await staff.waitForSelector('.admin-return[data-status=requested]');
  await staff.fill('.return-decision input[name=note]', 'Send it back with JNE, we refund on arrival');
  await staff.click('.return-approve');
  await staff.waitForSelector('.admin-return[data-status=approved]');
  await shot(staff, '32-admin-return-approved');
  await staff.goto('/admin/settings');
  await staff.waitForSelector('.api-token-form');
  await settle(staff);
  await staff.fill('.api-token-name', `Warehouse sync ${unique}`);
  await staff.click('.api-token-create');
  await staff.waitForSelector('.api-token-value');
  const token = (await staff.locator('.api-token-value').textContent()).trim();
  assert.ok(token.startsWith('psr_'), token);
  await staff.waitForSelector('.api-token-row');
  await shot(staff, '33-admin-api-token');
  const viaToken = await staff.context().request.get('/api/v1/admin/orders', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(viaToken.status(), 200);
  assert.deepEqual(staff.consoleErrors.filter((e) => !e.includes('status of 4')), [], 'return and settings pages: no console errors');
  await staff.context().close();
  await page.goto(`/orders/${number}`);
  await page.waitForSelector('.return-entry[data-status=approved] .return-answer');
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes('status of 4')), []);
  await page.context().close();
});

await journey('a declined demo payment says so, keeps the order open, and a retry pays it, and the guest cancels it before it ships', async () => {
  const page = await newPage();
  const [first] = await twoProducts(page);
  await addToCart(page, first, 1);
  await page.goto('/checkout');
  await checkoutSteps(page, { guest: true });
  await page.click('.demo-decline');
  // Like a refused card: the same page says so and offers the buttons again.
  await page.waitForSelector('.payment-declined:has-text("was declined")');
  assert.ok(page.url().includes('/pay/demo/'), page.url());
  await shot(page, '26-declined');
  await page.click('.demo-approve');
  await page.waitForSelector('.order-status[data-status=confirmed]');
  await page.waitForSelector('.cart-badge[data-count="0"]');
  // Changed their mind before it shipped: the guest cancels on the order page (with its key).
  await page.fill('.order-cancel input[name=reason]', 'Salah pilih ukuran');
  await page.click('.order-cancel-button');
  await page.waitForSelector('.order-status[data-status=cancelled]');
  await page.waitForSelector('.order-timeline :text("Salah pilih ukuran")');
  await shot(page, '28-order-cancelled');
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes('status of 4')), [], 'no console errors (CSP included)');
  await page.context().close();
});

await journey('the dashboard draws its charts, and an order paid in another tab shows on it after the next counting round and refresh, without a reload', async () => {
  const refresh = Number(process.env.PASAR_ANALYTICS_REFRESH_SECS ?? 30);
  const staff = await newPage();
  await logIn(staff, ADMIN);
  await staff.goto('/admin/analytics?range=today');
  for (const id of ['chart-revenue', 'chart-top-products', 'chart-payment-methods', 'chart-customers']) {
    await staff.waitForSelector(`#${id} canvas`, { timeout: 20000 });
  }
  await settle(staff);
  const revenue = () => staff.locator('#kpi-revenue').textContent().then((t) => t.trim());
  const before = await revenue();
  assert.match(before, /^Rp [\d.]+$/, 'revenue in rupiah');
  // Marks this document: a reload would lose the mark.
  await staff.evaluate(() => { window.pasarDashboardMark = true; });
  await shot(staff, '37-admin-dashboard');

  const shopper = await newPage();
  const [first] = await twoProducts(shopper);
  await addToCart(shopper, first, 1);
  await shopper.goto('/checkout');
  await checkoutSteps(shopper, { guest: true });
  await shopper.click('.demo-approve');
  await shopper.waitForSelector('.order-status[data-status=confirmed]');
  const paid = Date.now();
  await shopper.context().close();

  // The payment is counted by the analytics worker's next round (every PASAR_MAIL_EVERY_SECS,
  // 5 s by default), then shown by the dashboard's next poll: both intervals, plus slack.
  const counting = Number(process.env.PASAR_MAIL_EVERY_SECS ?? 5);
  await staff.waitForFunction((b) => document.querySelector('#kpi-revenue')?.textContent.trim() !== b, before, { timeout: (counting + refresh + 5) * 1000 });
  console.log(`     revenue ${before} → ${await revenue()} after ${Date.now() - paid} ms (refresh every ${refresh} s)`);
  assert.equal(await staff.evaluate(() => window.pasarDashboardMark), true, 'the page was not reloaded');
  assert.ok(await staff.isVisible('#chart-revenue canvas'), 'the chart is still there (updated in place)');
  await shot(staff, '38-admin-dashboard-after-order');
  assert.deepEqual(staff.consoleErrors, [], 'dashboard: no console errors');
  await staff.context().close();
});

await journey('the cart works without JavaScript', async () => {
  const page = await newPage({ javaScript: false });
  const [first] = await twoProducts(page);
  await page.goto(`/p/${first}`);
  await page.click('.add-to-cart-button');
  await page.waitForURL('**/cart?added=1');
  await page.waitForSelector('.cart-line');
  await page.fill('.line-quantity', '2');
  await page.click('.cart-line button:has-text("Update")');
  await page.waitForURL('**/cart');
  assert.equal(await page.locator('.line-quantity').inputValue(), '2');
  await page.waitForSelector('.cart-badge:has-text("2")');
  await page.click('.remove-line');
  await page.waitForSelector('.empty-cart');
  await page.context().close();
});

await journey('pages fit a phone screen', async () => {
  const page = await newPage({ viewport: { width: 390, height: 844 } });
  await page.goto('/');
  await settle(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
  await shot(page, '08-home-mobile');
  const res = await page.goto('/no-such-page');
  assert.equal(res.status(), 404);
  await shot(page, '09-not-found');
  await page.context().close();
});

await browser.close();
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`\nbrowser: ${passed} passed, ${failed} failed`);
// A JOURNEY filter that matches nothing is a typo, not a pass.
process.exit(failed === 0 && passed > 0 ? 0 : 1);
