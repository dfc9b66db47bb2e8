// Load generator for bench/analytics.sh and bench/listing-cold.sh, latencies in milliseconds.
//   node bench/analytics-load.mjs <url | @file of urls, one a line> [header:value]...
// Several URLs are taken in turn.
// Closed loop (default): CLIENTS concurrent loops for SECONDS, each sending its requests one
// after another (keep-alive); this finds the throughput, and latency at saturation.
// Fixed rate (RATE=n per second): requests start on a fixed schedule whatever the answers do,
// and a latency counts from the scheduled start (no coordinated omission); below saturation
// this shows what one request costs, which is how the tracking overhead is compared.
// Prints one JSON line: requests, rps, p50/p95/p99/max and the status codes seen.
import { readFileSync } from 'node:fs';

const [target, ...headerArgs] = process.argv.slice(2);
const urls = target.startsWith('@')
  ? readFileSync(target.slice(1), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)
  : [target];
const url = urls.length > 1 ? `${urls[0]} … (${urls.length} URLs)` : urls[0];
let turn = 0;
const clients = Number(process.env.CLIENTS ?? 16);
const seconds = Number(process.env.SECONDS ?? 20);
const rate = Number(process.env.RATE ?? 0);
const headers = Object.fromEntries(headerArgs.map((h) => {
  const at = h.indexOf(':');
  return [h.slice(0, at), h.slice(at + 1).trim()];
}));
const latencies = [];
const statuses = {};
const began = performance.now();
const until = began + seconds * 1000;

async function send(started) {
  try {
    const res = await fetch(urls[turn++ % urls.length], { headers, redirect: 'manual' });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  } catch (e) {
    statuses[e.cause?.code ?? 'error'] = (statuses[e.cause?.code ?? 'error'] ?? 0) + 1;
  }
  latencies.push(performance.now() - started);
}

async function loop() {
  while (performance.now() < until) await send(performance.now());
}

async function fixedRate() {
  const gap = 1000 / rate;
  const pending = [];
  for (let n = 0; ; n += 1) {
    const due = began + n * gap;
    if (due >= until) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(due));
  }
  await Promise.all(pending);
}

await (rate > 0 ? fixedRate() : Promise.all(Array.from({ length: clients }, loop)));
const elapsed = (performance.now() - began) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(JSON.stringify({
  url, mode: rate > 0 ? `${rate}/s fixed` : `${clients} clients`, requests: latencies.length,
  rps: +(latencies.length / elapsed).toFixed(1),
  p50: +at(0.5).toFixed(2), p95: +at(0.95).toFixed(2), p99: +at(0.99).toFixed(2),
  max: +latencies[latencies.length - 1].toFixed(2), statuses,
}));
