// Prints raw and brotli (quality 11) sizes of the built site bundle.
// Usage: cargo leptos build --release && node bench/bundle-size.mjs
import { readFileSync, readdirSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';

const dir = process.argv[2] ?? 'target/site/pkg';
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log('| file | raw | brotli |\n| --- | --- | --- |');
for (const name of readdirSync(dir).filter((f) => /\.(wasm|js|css)$/.test(f)).sort()) {
  const data = readFileSync(`${dir}/${name}`);
  const br = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  console.log(`| \`${name}\` | ${kb(data.length)} (${data.length} B) | ${kb(br.length)} (${br.length} B) |`);
}
