// Load generator for bench/analytics.sh: CLIENTS concurrent loops for SECONDS each, every loop
// sending its own requests one after another (keep-alive), latencies in milliseconds.
//   node bench/analytics-load.mjs <url> [header:value]...
// Prints one JSON line: requests, rps, p50/p95/p99/max and the status codes seen.
const [url, ...headerArgs] = process.argv.slice(2);
const clients = Number(process.env.CLIENTS ?? 16);
const seconds = Number(process.env.SECONDS ?? 20);
const headers = Object.fromEntries(headerArgs.map((h) => {
  const at = h.indexOf(':');
  return [h.slice(0, at), h.slice(at + 1).trim()];
}));
const latencies = [];
const statuses = {};
const until = performance.now() + seconds * 1000;

async function loop() {
  while (performance.now() < until) {
    const started = performance.now();
    const res = await fetch(url, { headers, redirect: 'manual' });
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
}

const began = performance.now();
await Promise.all(Array.from({ length: clients }, loop));
const elapsed = (performance.now() - began) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(JSON.stringify({
  url, clients, requests: latencies.length, rps: +(latencies.length / elapsed).toFixed(1),
  p50: +at(0.5).toFixed(2), p95: +at(0.95).toFixed(2), p99: +at(0.99).toFixed(2),
  max: +latencies[latencies.length - 1].toFixed(2), statuses,
}));
