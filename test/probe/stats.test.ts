import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatsAccumulator } from '../../src/probe/stats';

describe('ping-style statistics', () => {
  it('counts verdicts, and min/avg/max/population stddev over the answered attempts only', () => {
    const stats = new StatsAccumulator();
    for (const [kind, handshakeMs] of [['connected', 1], ['connected', 3], ['timeout', null], ['refused', 2]] as const) {
      stats.add({ verdict: { kind }, handshakeMs });
    }
    const r = stats.result();
    assert.equal(r.attempts, 4);
    assert.deepEqual(r.verdicts, { connected: 2, timeout: 1, refused: 1 });
    assert.deepEqual([r.minMs, r.avgMs, r.maxMs], [1, 2, 3]);
    assert.ok(Math.abs(r.stddevMs! - Math.sqrt(2 / 3)) < 1e-12);
  });
  it('no handshake figures when nothing answered', () => {
    const stats = new StatsAccumulator();
    stats.add({ verdict: { kind: 'timeout' }, handshakeMs: null });
    assert.equal(stats.result().minMs, null);
  });
});
