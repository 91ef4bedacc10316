import { formatHostPort } from '../net/endpoint';
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

/** A target as a message names it: `127.0.0.1:80`, `[::1]:80`, `db:5432`, `unix:/run/x.sock`. */
function targetLabel(target: { host: string; port: number | null }): string {
  return formatHostPort(target.host, target.port);
}

/** What the first unmet target showed, kept to say what was expected and what was seen. */
interface Unmet {
  readonly label: string;
  readonly verdict: Verdict | null;
  /** Its connect() answers, when an --expect-sequence was not matched by them; else null. */
  readonly sequence: readonly string[] | null;
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
  private firstUnmet: Unmet | null = null;
  private targets = 0;
  private unmet = 0;

  constructor(private readonly expectation: Expectation) {}

  /** One target, in the user's order, and whether it met the expectation (targetMeets). */
  add(target: { host: string; port: number | null; verdict: Verdict | null; addresses: readonly { records: readonly CallRecord[] }[] }, met: boolean): void {
    this.targets++;
    this.all &&= met;
    this.some ||= met;
    if (met) return;
    this.unmet++;
    if (!this.firstFailure && target.verdict) this.firstFailure = target.verdict;
    if (!this.firstUnmet) {
      const seen = this.expectation.sequence ? connectSequence(target.addresses[0]?.records ?? []) : null;
      const matched = seen === null || seen.join(',') === this.expectation.sequence!.join(',');
      this.firstUnmet = { label: targetLabel(target), verdict: target.verdict, sequence: matched ? null : seen };
    }
  }

  code(): number {
    if (this.expectation.any ? this.some : this.all) return 0;
    if (this.expectation.verdicts || this.expectation.sequence) return EXPECTATION_NOT_MET;
    return this.firstFailure ? EXIT_CODES[this.firstFailure.kind] : EXIT_CODES.timeout;
  }

  /**
   * When the code is not 0, what the first unmet target got, and how many of several were unmet:
   * `127.0.0.1:5432 refused`, `db:5432 timed out (2 of 3 targets unmet)`.
   */
  failureSummary(): string | undefined {
    const first = this.firstUnmet;
    if (this.code() === 0 || !first) return undefined;
    const kind = first.verdict?.kind;
    const got = first.sequence ? `answered ${first.sequence.join(',') || 'no connect()'}` : kind === 'timeout' ? 'timed out' : (kind ?? 'unfinished');
    const many = this.targets < 2 ? '' : this.expectation.any ? ` (none of ${this.targets} targets met it)` : ` (${this.unmet} of ${this.targets} targets unmet)`;
    return `${first.label} ${got}${many}`;
  }

  /**
   * When the code is 8, one line on what was expected and what was seen: the first unmet target's, and how many
   * of several were unmet. `expected refused, got connected (127.0.0.1:6379)`.
   */
  unmetMessage(): string | undefined {
    const first = this.firstUnmet;
    if (this.code() !== EXPECTATION_NOT_MET || !first) return undefined;
    const { verdicts, sequence } = this.expectation;
    const told = first.sequence
      ? `expected connect() to answer ${sequence!.join(',')}, got ${first.sequence.join(',') || 'no connect()'}`
      : `expected ${verdicts ? [...verdicts].join(' or ') : 'connected'}, got ${first.verdict?.kind ?? 'no verdict'}`;
    const many = this.targets < 2 ? '' : this.expectation.any ? `; none of ${this.targets} targets met it` : `; ${this.unmet} of ${this.targets} targets unmet`;
    return `${told} (${first.label})${many}`;
  }
}
