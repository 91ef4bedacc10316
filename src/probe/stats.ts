import type { VerdictKind } from './verdict';

/** ping-style statistics over fresh-socket attempts. */
export interface AttemptStats {
  readonly attempts: number;
  /** How many attempts ended in each verdict. */
  readonly verdicts: Readonly<Partial<Record<VerdictKind, number>>>;
  /** Handshake times (ms) of the attempts that got an answer; null when none did. */
  readonly minMs: number | null;
  readonly avgMs: number | null;
  readonly maxMs: number | null;
  /** Population standard deviation, as ping prints it (mdev). */
  readonly stddevMs: number | null;
}

/** ping-style statistics, accumulated attempt by attempt (Welford's method: no list of times is kept). */
export class StatsAccumulator {
  private attempts = 0;
  private readonly verdicts: Partial<Record<VerdictKind, number>> = {};
  private answered = 0;
  private mean = 0;
  private squares = 0;
  private min = Infinity;
  private max = -Infinity;

  add({ verdict, handshakeMs }: { verdict: { kind: VerdictKind }; handshakeMs: number | null }): void {
    this.attempts++;
    this.verdicts[verdict.kind] = (this.verdicts[verdict.kind] ?? 0) + 1;
    if (handshakeMs === null) return;
    this.answered++;
    const delta = handshakeMs - this.mean;
    this.mean += delta / this.answered;
    this.squares += delta * (handshakeMs - this.mean);
    this.min = Math.min(this.min, handshakeMs);
    this.max = Math.max(this.max, handshakeMs);
  }

  result(): AttemptStats {
    const none = this.answered === 0;
    return {
      attempts: this.attempts,
      verdicts: { ...this.verdicts },
      minMs: none ? null : this.min,
      avgMs: none ? null : this.mean,
      maxMs: none ? null : this.max,
      stddevMs: none ? null : Math.sqrt(this.squares / this.answered), // population, as ping's mdev
    };
  }
}
