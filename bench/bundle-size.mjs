// Prints raw and brotli (quality 11) sizes of the built site bundle, chunk by chunk, and what a
// shopper's first load of a storefront page costs (the main WASM + its JS + the split loader).
// Usage: cargo xtask build && node bench/bundle-size.mjs [target/site/pkg]
import { readFileSync, readdirSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';

const dir = process.argv[2] ?? 'target/site/pkg';
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const brotli = (data) =>
  brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

// Hashed names look like `pasar.3f2a….wasm`; the role is what matters here.
function role(name) {
  if (/^pasar(\.[\w-]+)?\.wasm$/.test(name)) return 'main WASM (first load)';
  if (/^pasar(\.[\w-]+)?\.js$/.test(name)) return 'main JS (first load)';
  if (name.startsWith('__wasm_split') && name.endsWith('.js')) return 'split loader (first load)';
  if (name.startsWith('__wasm_split') && name.endsWith('.json')) return 'split manifest (first load)';
  if (name.endsWith('.css')) return 'stylesheet';
  if (name.startsWith('split_')) return 'lazy route / function';
  if (name.startsWith('chunk_')) return 'shared lazy chunk';
  return 'other';
}

const files = readdirSync(dir)
  .filter((f) => /\.(wasm|js|css|json)$/.test(f))
  .map((name) => {
    const data = readFileSync(`${dir}/${name}`);
    return { name, role: role(name), raw: data.length, br: brotli(data) };
  })
  .sort((a, b) => a.role.localeCompare(b.role) || b.br - a.br);

console.log('| file | what | raw | brotli (q11) |\n| --- | --- | --- | --- |');
for (const f of files) {
  console.log(`| \`${f.name}\` | ${f.role} | ${kib(f.raw)} | ${kib(f.br)} |`);
}
const first = files.filter((f) => f.role.endsWith('(first load)'));
const lazy = files.filter((f) => f.role.startsWith('lazy') || f.role.startsWith('shared lazy'));
const sum = (list, key) => list.reduce((n, f) => n + f[key], 0);
console.log(
  `\nstorefront first load (WASM + JS): ${kib(sum(first, 'raw'))} raw, ${kib(sum(first, 'br'))} brotli` +
    ` (${sum(first, 'br')} B)`,
);
console.log(
  `lazy chunks: ${lazy.length} files, ${kib(sum(lazy, 'raw'))} raw, ${kib(sum(lazy, 'br'))} brotli in all`,
);

// What opening each lazy route adds: its own file and the shared chunks it needs, from the
// splitter's manifest (`{ "__<route>_view_<n>": ["chunk_3.<hash>", …, "split___<route>…"] }`).
const manifestFile = files.find((f) => f.role.startsWith('split manifest'));
if (manifestFile) {
  const manifest = JSON.parse(readFileSync(`${dir}/${manifestFile.name}`, 'utf8'));
  const byStem = new Map(files.map((f) => [f.name.replace(/\.wasm$/, ''), f]));
  const rows = Object.entries(manifest).map(([name, parts]) => {
    const found = parts.map((p) => byStem.get(p)).filter(Boolean);
    const route = name.replace(/^__/, '').replace(/_view_\d+$/, '');
    return { route, files: found.length, br: sum(found, 'br') };
  });
  rows.sort((a, b) => b.br - a.br);
  console.log('\n| lazy route | files | adds (brotli) |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| \`${r.route}\` | ${r.files} | ${kib(r.br)} |`);
}
