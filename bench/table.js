// Prints a hyperfine JSON export as a Markdown table: median, and the ratio of each median to the baseline's.
// Usage: node bench/table.js RESULTS.json "BASELINE NAME"
const { readFileSync } = require('node:fs');
const [file, baselineName] = process.argv.slice(2);
const { results } = JSON.parse(readFileSync(file, 'utf8'));
const median = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const baseline = results.find((r) => r.command === baselineName);
const base = baseline ? median(baseline.times) : undefined;
console.log(`| command | median | ratio to ${baselineName} | runs |`);
console.log('|---|---|---|---|');
for (const r of results) {
  const m = median(r.times);
  const shown = m >= 1 ? `${m.toFixed(2)} s` : `${(m * 1000).toFixed(1)} ms`;
  console.log(`| ${r.command} | ${shown} | ${base ? (m / base).toFixed(2) + ' x' : '-'} | ${r.times.length} |`);
}
