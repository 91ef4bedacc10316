// Endurance: fresh mode, 100,000 attempts on a closed loopback port, no interval. Samples the process's fd count
// and resident memory while it runs, keyed by the attempt number it has printed, and compares the first 10,000
// attempts with the last 10,000: both must stay flat.
// Usage: node bench/endurance.js [ATTEMPTS]   (prints a Markdown table, one row per backend)
const { spawn } = require('node:child_process');
const { readFileSync, readdirSync } = require('node:fs');
const { createServer } = require('node:net');
const { join } = require('node:path');

const attempts = Number(process.argv[2] ?? 100_000);
const window = Math.max(1, Math.floor(attempts / 10));
const cli = join(__dirname, '..', 'bin', 'connprobe.js');

function closedPort() {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function sample(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    return { rssKb: rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined; // exited
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
};

async function run(backend, port) {
  const child = spawn(cli, ['127.0.0.1', String(port), '--mode', 'fresh', '--count', String(attempts), '--interval', '0', '--ffi', backend], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let attempt = 0;
  let tail = '';
  child.stdout.on('data', (chunk) => {
    const text = tail + chunk;
    const lines = text.split('\n');
    tail = lines.pop();
    for (const line of lines) {
      const m = /^attempt (\d+): /.exec(line);
      if (m) attempt = Number(m[1]);
    }
  });
  const samples = [];
  const started = Date.now();
  const timer = setInterval(() => {
    const s = sample(child.pid);
    if (s) samples.push({ attempt, ...s });
  }, 50);
  const code = await new Promise((done) => child.on('exit', done));
  clearInterval(timer);
  const seconds = (Date.now() - started) / 1000;
  const first = samples.filter((s) => s.attempt > 0 && s.attempt <= window);
  const last = samples.filter((s) => s.attempt > attempts - window);
  return { backend, code, seconds, attempt, first, last };
}

(async () => {
  const port = await closedPort();
  console.log(`### Endurance: ${attempts} fresh attempts, closed port, no interval`);
  console.log('| backend | attempts done | time | fds, first 10% / last 10% (max) | RSS, first 10% (median) | RSS, last 10% (median) | RSS growth |');
  console.log('|---|---|---|---|---|---|---|');
  for (const backend of ['ffi-napi', 'koffi']) {
    const r = await run(backend, port);
    const a = median(r.first.map((s) => s.rssKb)) / 1024;
    const b = median(r.last.map((s) => s.rssKb)) / 1024;
    const fds = (xs) => Math.max(...xs.map((s) => s.fds));
    console.log(`| ${backend} | ${r.attempt} | ${r.seconds.toFixed(1)} s | ${fds(r.first)} / ${fds(r.last)} | ${a.toFixed(1)} MB (${r.first.length} samples) | ${b.toFixed(1)} MB (${r.last.length} samples) | ${(((b - a) / a) * 100).toFixed(1)} % |`);
  }
})();
