import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIPv4, parseIPv6 } from '../../src/net/address';
import type { AddressResult, TargetResult } from '../../src/probe/result';
import { StatsAccumulator } from '../../src/probe/stats';
import type { Verdict, VerdictKind } from '../../src/probe/verdict';
import { formatTargetLine } from '../../src/render/lines';
import { PLAIN } from '../../src/render/palette';

const v = (kind: VerdictKind, errnoName: string | null = null): Verdict => ({ kind, errnoName, failedCall: null, local: null });
function address(ip: string, status: AddressResult['status'], verdict: Verdict | null, lastAnswer: Verdict | null, attempts: number, handshakeMs: number | null): AddressResult {
  const stats = new StatsAccumulator();
  for (let i = 0; i < attempts; i++) stats.add({ verdict: lastAnswer ?? v('timeout'), handshakeMs });
  const parsed = ip.includes(':') ? parseIPv6(ip)! : parseIPv4(ip)!;
  return { peer: { address: parsed, port: 7000 }, status, verdict, lastAnswer, handshakeMs, stats: stats.result(), attempts: [], records: [], packets: [] };
}
const resolution = { name: 'localhost', addresses: [], error: null, startMs: 0, durationUs: 1 };
const target = (addresses: AddressResult[], verdict: Verdict | null): TargetResult => ({ index: 0, host: 'localhost', port: 7000, resolution, verdict, addresses });

describe('one line per target', () => {
  it('connected via one address; the other abandoned, with the last answer it was told', () => {
    const connected = v('connected');
    const line = formatTargetLine(target([address('::1', 'abandoned', null, v('refused', 'ECONNREFUSED'), 2, 0.05), address('127.0.0.1', 'done', connected, connected, 1, 0.2)], connected), PLAIN, 14);
    assert.equal(line, 'localhost:7000  connected    via 127.0.0.1  0.200 ms  (::1 abandoned, last refused)');
  });
  it('a wait that ran out: timed out, naming the last errno and the attempts', () => {
    const out = v('timeout', 'ECONNREFUSED');
    const line = formatTargetLine(target([address('127.0.0.1', 'done', out, v('refused', 'ECONNREFUSED'), 5, null)], out), PLAIN, 14);
    assert.equal(line, 'localhost:7000  timed out    via 127.0.0.1  last ECONNREFUSED  after 5 attempts');
  });
  it('interrupted: what was seen so far', () => {
    const line = formatTargetLine(target([address('127.0.0.1', 'interrupted', null, v('refused', 'ECONNREFUSED'), 3, 0.1)], null), PLAIN, 14);
    assert.equal(line, 'localhost:7000  interrupted  after 3 attempts, last ECONNREFUSED');
  });
});
