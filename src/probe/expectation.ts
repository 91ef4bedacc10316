import type { CallRecord } from './record';
import { EXIT_CODES, type Verdict, type VerdictKind } from './verdict';

/** What a run must find for exit code 0. */
export interface Expectation {
  /** Verdicts that count as met (default: connected only). */
  readonly verdicts?: ReadonlySet<VerdictKind>;
  /** The exact errno names of the connect() calls (`0` for a success), e.g. EINPROGRESS,ECONNREFUSED,EINPROGRESS. */
  readonly sequence?: readonly string[];
  /** One target meeting it is enough (default: every target must). */
  readonly any?: boolean;
}

/** Exit code when an --expect / --expect-sequence was not met. */
export const EXPECTATION_NOT_MET = 8;

/** The errno name of each connect() call, `0` for one that succeeded. */
export function connectSequence(records: readonly CallRecord[]): string[] {
  return records.filter((r) => r.call === 'connect').map((r) => r.errnoName ?? String(r.ret));
}

/** One target's outcome, as the exit code rules see it: its verdict (null if unfinished) and its calls. */
export interface TargetOutcome {
  readonly verdict: Verdict | null;
  readonly records: readonly CallRecord[];
}

/** Whether a verdict of this kind meets the expectation: one of --expect's verdicts; by default, connected. */
export function acceptsVerdict(expectation: Expectation, kind: VerdictKind): boolean {
  if (expectation.verdicts) return expectation.verdicts.has(kind);
  return expectation.sequence !== undefined || kind === 'connected'; // a sequence alone says nothing of verdicts
}

export function meets(target: TargetOutcome, expectation: Expectation): boolean {
  if (!target.verdict) return false;
  if (expectation.sequence) {
    const seen = connectSequence(target.records);
    if (seen.length !== expectation.sequence.length || seen.some((name, i) => name !== expectation.sequence![i])) {
      return false;
    }
  }
  return acceptsVerdict(expectation, target.verdict.kind);
}

/** Whether a target met the expectation: its verdict, and (for --expect-sequence) its first address's calls. */
export function targetMeets(target: { verdict: Verdict | null; addresses: readonly { records: readonly CallRecord[] }[] }, expectation: Expectation): boolean {
  return meets({ verdict: target.verdict, records: target.addresses[0]?.records ?? [] }, expectation);
}

/**
 * The run's exit code, tallied target by target (a sweep need not keep its targets). 0 when every target met the
 * expectation (with `any`, at least one). Otherwise: 8 when an --expect or --expect-sequence was given; else the
 * code of the first target (in the user's order) that did not connect, so a single target exits with its own
 * verdict's code.
 */
export class ExitCodeTally {
  private all = true;
  private some = false;
  private firstFailure: Verdict | null = null;

  constructor(private readonly expectation: Expectation) {}

  add(target: { verdict: Verdict | null; met: boolean }): void {
    this.all &&= target.met;
    this.some ||= target.met;
    if (!target.met && !this.firstFailure && target.verdict) this.firstFailure = target.verdict;
  }

  code(): number {
    if (this.expectation.any ? this.some : this.all) return 0;
    if (this.expectation.verdicts || this.expectation.sequence) return EXPECTATION_NOT_MET;
    return this.firstFailure ? EXIT_CODES[this.firstFailure.kind] : EXIT_CODES.timeout;
  }
}
