import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS, resolveOptions } from '../src/options';
import { parseTargets } from '../src/target/parse';

const one = parseTargets(['127.0.0.1:9']);
const two = parseTargets(['127.0.0.1:9', '127.0.0.1:10']);

describe('options: every default and every check in one place', () => {
  it('defaults depend on the mode: repeat 3 connects, blocking 1; interval 1 s fresh, 250 ms waiting', () => {
    assert.equal(resolveOptions({ targets: one }).repeat, DEFAULTS.repeat.repeat);
    assert.equal(resolveOptions({ targets: one, mode: 'blocking' }).repeat, 1);
    assert.equal(resolveOptions({ targets: one, mode: 'fresh' }).intervalMs, 1000);
    assert.equal(resolveOptions({ targets: one, waitMs: 5000 }).intervalMs, 250);
    assert.equal(resolveOptions({ targets: one, expectSequence: ['EINPROGRESS', 'ECONNREFUSED'] }).repeat, 2);
  });

  it('a wait with no deadline is waitMs Infinity; zero is no wait the API takes', () => {
    assert.equal(resolveOptions({ targets: one, waitMs: Infinity }).waitMs, Infinity);
    assert.equal(resolveOptions({ targets: one, waitMs: Infinity }).scan, true);
    assert.throws(() => resolveOptions({ targets: one, waitMs: 0 }), /waitMs must be a whole number from 1/);
    assert.throws(() => resolveOptions({ targets: one, timeoutMs: Infinity }), /timeoutMs must be a whole number/);
  });

  it('several targets, or a wait, make a scan', () => {
    assert.equal(resolveOptions({ targets: one }).scan, false);
    assert.equal(resolveOptions({ targets: two }).scan, true);
    assert.equal(resolveOptions({ targets: one, waitMs: 100 }).scan, true);
  });

  it('an option that would do nothing in the chosen mode is refused, never ignored', () => {
    const refused: [Parameters<typeof resolveOptions>[0], RegExp][] = [
      [{ targets: one, count: 5 }, /count does nothing here/],
      [{ targets: one, mode: 'poll', repeat: 2 }, /repeat does nothing here/],
      [{ targets: one, waitMs: 100, repeat: 2 }, /repeat does nothing here/],
      [{ targets: one, intervalMs: 10 }, /intervalMs does nothing here/],
      [{ targets: one, format: 'classic', timeoutMs: 10 }, /timeoutMs does nothing here/],
      [{ targets: two, mode: 'fresh' }, /mode fresh probes one target/],
      [{ targets: one, source: { address: { family: 4, bytes: new Uint8Array(16), scopeId: 0 }, port: 0 } }, /source must be an IPv4 or IPv6 address and a port from 0 to 65535/],
      [{ targets: one, source: { address: { family: 4, bytes: new Uint8Array(4), scopeId: 0 }, port: 65536 } }, /source must be/],
      [{ targets: one, stableMs: 100 }, /stableMs does nothing here: it is a window within waitMs/],
      [{ targets: one, waitMs: 100, stableMs: 100 }, /stableMs must be shorter than waitMs/],
    ];
    for (const [input, message] of refused) assert.throws(() => resolveOptions(input), { name: 'UsageError', message });
  });

  it('an option that acts is accepted', () => {
    assert.doesNotThrow(() => resolveOptions({ targets: one, mode: 'fresh', count: 2, intervalMs: 0 }));
    assert.doesNotThrow(() => resolveOptions({ targets: one, waitMs: 100, intervalMs: 10 }));
    assert.doesNotThrow(() => resolveOptions({ targets: one, mode: 'poll', format: 'classic', timeoutMs: 10 }));
    assert.doesNotThrow(() => resolveOptions({ targets: one, waitMs: 100, stableMs: 99 }));
    const source = { address: { family: 4 as const, bytes: Uint8Array.of(127, 0, 0, 2), scopeId: 0 }, port: 5000 };
    assert.deepEqual([resolveOptions({ targets: two, source }).concurrency, resolveOptions({ targets: two, source }).family], [1, 4], 'a fixed source port: one at a time; its family');
    assert.equal(resolveOptions({ targets: one, waitMs: Infinity, stableMs: 60_000 }).stableMs, 60_000, 'any window fits in a wait with no deadline');
  });

  it('names the option as the caller spells it', () => {
    assert.throws(() => resolveOptions({ targets: one, count: 5 }, (n) => (n === 'count' ? '--count' : `--${n}`)), /^UsageError: --count does nothing/);
  });
});
