import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsVerdict, ExitCodeTally, EXPECTATION_NOT_MET } from '../../src/probe/expectation';
import type { CallRecord } from '../../src/probe/record';
import type { Verdict, VerdictKind } from '../../src/probe/verdict';

const v = (kind: VerdictKind): Verdict => ({ kind, errnoName: null, failedCall: null, local: null });
/** A target as the tally sees it: where, its verdict, and (for --expect-sequence) its connect() answers. */
const target = (verdict: Verdict | null, host = '127.0.0.1', port = 9, connects: string[] = []) => ({
  host, port, verdict,
  addresses: [{ records: connects.map((name) => ({ call: 'connect', ret: name === '0' ? 0 : -1, errnoName: name === '0' ? null : name }) as unknown as CallRecord) }],
});

describe('expectations and the exit code', () => {
  it('by default only connected is accepted; --expect names the accepted verdicts', () => {
    assert.equal(acceptsVerdict({}, 'connected'), true);
    assert.equal(acceptsVerdict({}, 'refused'), false);
    assert.equal(acceptsVerdict({ verdicts: new Set<VerdictKind>(['refused']) }, 'refused'), true);
    assert.equal(acceptsVerdict({ verdicts: new Set<VerdictKind>(['refused']) }, 'connected'), false);
  });

  it('without --expect: 0 if all met, else the first failure\'s own code', () => {
    const tally = new ExitCodeTally({});
    tally.add(target(v('connected')), true);
    tally.add(target(v('timeout')), false);
    tally.add(target(v('refused')), false);
    assert.equal(tally.code(), 3);
  });

  it('with --expect: 8 when any target did not meet it; with --any, one is enough', () => {
    const expectation = { verdicts: new Set<VerdictKind>(['refused']) };
    const all = new ExitCodeTally(expectation);
    all.add(target(v('refused')), true);
    all.add(target(v('connected')), false);
    assert.equal(all.code(), EXPECTATION_NOT_MET);
    const any = new ExitCodeTally({ ...expectation, any: true });
    any.add(target(v('connected')), false);
    any.add(target(v('refused')), true);
    assert.equal(any.code(), 0);
  });

  it('an interrupted target (no verdict) never counts as met, and exits as timed out without --expect', () => {
    const tally = new ExitCodeTally({});
    tally.add(target(null), false);
    assert.equal(tally.code(), 3);
  });

  describe('an unmet expectation says, in one line, what was expected and what was seen', () => {
    const refused = { verdicts: new Set<VerdictKind>(['refused']) };
    it('one target', () => {
      const tally = new ExitCodeTally(refused);
      tally.add(target(v('connected'), '127.0.0.1', 6379), false);
      assert.equal(tally.unmetMessage(), 'expected refused, got connected (127.0.0.1:6379)');
    });
    it('several: the first unmet, and how many were', () => {
      const tally = new ExitCodeTally({ verdicts: new Set<VerdictKind>(['refused', 'timeout']) });
      tally.add(target(v('refused')), true);
      tally.add(target(v('connected'), '::1', 80), false);
      tally.add(target(v('self-connect'), 'db', 5432), false);
      assert.equal(tally.unmetMessage(), 'expected refused or timeout, got connected ([::1]:80); 2 of 3 targets unmet');
    });
    it('--any: none met it', () => {
      const tally = new ExitCodeTally({ ...refused, any: true });
      tally.add(target(v('connected'), 'db', 1), false);
      tally.add(target(null, 'db', 2), false);
      assert.equal(tally.unmetMessage(), 'expected refused, got connected (db:1); none of 2 targets met it');
    });
    it('--expect-sequence: the errno names expected and seen', () => {
      const tally = new ExitCodeTally({ sequence: ['EINPROGRESS', 'EINPROGRESS'] });
      tally.add(target(v('refused'), '127.0.0.1', 9, ['EINPROGRESS', 'ECONNREFUSED', 'EINPROGRESS']), false);
      assert.equal(tally.unmetMessage(), 'expected connect() to answer EINPROGRESS,EINPROGRESS, got EINPROGRESS,ECONNREFUSED,EINPROGRESS (127.0.0.1:9)');
    });
    it('a sequence met with a verdict that is not: the verdict', () => {
      const tally = new ExitCodeTally({ sequence: ['0'], verdicts: new Set<VerdictKind>(['refused']) });
      tally.add(target(v('connected'), '127.0.0.1', 9, ['0']), false);
      assert.equal(tally.unmetMessage(), 'expected refused, got connected (127.0.0.1:9)');
    });
    it('nothing when met, or when the code is not 8', () => {
      const met = new ExitCodeTally(refused);
      met.add(target(v('refused')), true);
      assert.equal(met.unmetMessage(), undefined);
      const plain = new ExitCodeTally({});
      plain.add(target(v('refused')), false);
      assert.equal(plain.code(), 1);
      assert.equal(plain.unmetMessage(), undefined);
    });
  });
});
