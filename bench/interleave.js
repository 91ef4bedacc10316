// Times whole commands side by side, interleaved: every round runs each command once, in a shuffled order, so
// that a machine whose load drifts (a shared CI host) weighs on all of them alike. Prints medians and each
// median's ratio to the first command's, as a Markdown table.
// Usage: node bench/interleave.js ROUNDS 'name=command args...' 'name=command args...' ...
const { spawnSync } = require('node:child_process');

const [rounds, ...specs] = process.argv.slice(2);
const commands = specs.map((spec) => {
  const at = spec.indexOf('=');
  return { name: spec.slice(0, at), argv: spec.slice(at + 1).split(' ').filter(Boolean), times: [] };
});
const run = ({ argv }) => {
  const started = process.hrtime.bigint();
  spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
};
commands.forEach(run); // warm-up: page cache, first-run effects
for (let r = 0; r < Number(rounds); r++) {
  const order = commands.map((c, i) => [Math.random(), i]).sort((a, b) => a[0] - b[0]).map(([, i]) => commands[i]);
  for (const command of order) command.times.push(run(command));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const base = median(commands[0].times);
console.log(`| command | median | ratio to ${commands[0].name} |`);
console.log('|---|---|---|');
for (const c of commands) {
  const m = median(c.times);
  const shown = m >= 1000 ? `${(m / 1000).toFixed(2)} s` : `${m.toFixed(1)} ms`;
  console.log(`| ${c.name} | ${shown} | ${(m / base).toFixed(2)} x |`);
}
