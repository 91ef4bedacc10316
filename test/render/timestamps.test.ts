import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PLAIN } from '../../src/render/palette';
import { formatClock, timestamped } from '../../src/render/timestamps';
import { closedPort, runCli, serverForSuite, startListener } from '../helpers';

const STAMP = /^(\d\d):(\d\d):(\d\d)\.(\d{6}) /;

/** A stamp's time of day, in microseconds since midnight. */
const timeOfDay = (line: string) => {
  const [, h, m, s, us] = STAMP.exec(line)!.map(Number);
  return ((h * 60 + m) * 60 + s) * 1e6 + us;
};

describe('--timestamps: each human line starts with the wall-clock time, strace -tt style', () => {
  it('writes HH:MM:SS.uuuuuu in local time, the microsecond truncated', () => {
    // mid-microsecond fractions: a double near 2^40 ms holds them to about 0.1 us
    assert.equal(formatClock(new Date(2026, 10, 26, 3, 4, 5, 6).getTime() + 0.7895), '03:04:05.006789');
    assert.equal(formatClock(new Date(2026, 10, 26, 23, 59, 59, 999).getTime() + 0.9995), '23:59:59.999999');
  });

  it('stamps a call\'s line with the time the call started, any other line with the time it is written', () => {
    const written: string[] = [];
    const at = new Date(2026, 10, 26, 12, 0, 1, 500).getTime();
    const out = timestamped({ write: (text) => written.push(text), writeError: () => {}, palette: PLAIN }, () => at);
    out.write('connect(3, ...) = 0 <0.250000>\n', 250_000);
    out.write('connected\nsecond line\n');
    assert.deepEqual(written, ['12:00:01.250000 connect(3, ...) = 0 <0.250000>\n', '12:00:01.500000 connected\n12:00:01.500000 second line\n']);
  });

  const listener = serverForSuite(() => startListener());

  it('stamps every line of a trace, in order, at about now', async () => {
    const before = Date.now();
    const { code, stdout } = await runCli(['127.0.0.1', String(await closedPort()), '--timestamps', '--explain']);
    assert.equal(code, 1);
    const lines = stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 8);
    for (const line of lines) assert.match(line, STAMP, line);
    assert.match(lines.at(-1)!, /^\S+ refused: nothing listens on/);
    const times = lines.map(timeOfDay);
    assert.deepEqual([...times].sort((a, b) => a - b), times, 'never goes back');
    const midnight = new Date(before).setHours(0, 0, 0, 0);
    assert.ok(Math.abs(times[0] / 1000 - (before - midnight)) < 10_000, 'wall-clock time, local');
  });

  it('stamps each target line of a scan', async () => {
    const closed = await closedPort();
    const { stdout } = await runCli([`127.0.0.1:${listener.port}`, `127.0.0.1:${closed}`, '--timestamps']);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0], new RegExp(`${STAMP.source}127\\.0\\.0\\.1:${listener.port} +connected`));
    assert.match(lines[1], new RegExp(`${STAMP.source}127\\.0\\.0\\.1:${closed} +refused`));
    assert.match(lines[2], new RegExp(`${STAMP.source}2 targets: `));
  });
});
