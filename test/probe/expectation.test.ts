import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsVerdict, ExitCodeTally, EXPECTATION_NOT_MET } from '../../src/probe/expectation';
import type { Verdict, VerdictKind } from '../../src/probe/verdict';

const v = (kind: VerdictKind): Verdict => ({ kind, errnoName: null, failedCall: null, local: null });

describe('expectations and the exit code', () => {
  it('by default only connected is accepted; --expect names the accepted verdicts', () => {
    assert.equal(acceptsVerdict({}, 'connected'), true);
    assert.equal(acceptsVerdict({}, 'refused'), false);
    assert.equal(acceptsVerdict({ verdicts: new Set<VerdictKind>(['refused']) }, 'refused'), true);
    assert.equal(acceptsVerdict({ verdicts: new Set<VerdictKind>(['refused']) }, 'connected'), false);
  });

  it('without --expect: 0 if all met, else the first failure\'s own code', () => {
    const tally = new ExitCodeTally({});
    tally.add({ verdict: v('connected'), met: true });
    tally.add({ verdict: v('timeout'), met: false });
    tally.add({ verdict: v('refused'), met: false });
    assert.equal(tally.code(), 3);
  });

  it('with --expect: 8 when any target did not meet it; with --any, one is enough', () => {
    const expectation = { verdicts: new Set<VerdictKind>(['refused']) };
    const all = new ExitCodeTally(expectation);
    all.add({ verdict: v('refused'), met: true });
    all.add({ verdict: v('connected'), met: false });
    assert.equal(all.code(), EXPECTATION_NOT_MET);
    const any = new ExitCodeTally({ ...expectation, any: true });
    any.add({ verdict: v('connected'), met: false });
    any.add({ verdict: v('refused'), met: true });
    assert.equal(any.code(), 0);
  });

  it('an interrupted target (no verdict) never counts as met, and exits as timed out without --expect', () => {
    const tally = new ExitCodeTally({});
    tally.add({ verdict: null, met: false });
    assert.equal(tally.code(), 3);
  });
});
