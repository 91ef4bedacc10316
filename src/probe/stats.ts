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

export function attemptStats(attempts: readonly { verdict: { kind: VerdictKind }; handshakeMs: number | null }[]): AttemptStats {
  const verdicts: Partial<Record<VerdictKind, number>> = {};
  const times: number[] = [];
  for (const { verdict, handshakeMs } of attempts) {
    verdicts[verdict.kind] = (verdicts[verdict.kind] ?? 0) + 1;
    if (handshakeMs !== null) times.push(handshakeMs);
  }
  if (times.length === 0) {
    return { attempts: attempts.length, verdicts, minMs: null, avgMs: null, maxMs: null, stddevMs: null };
  }
  const avg = times.reduce((a, b) => a + b, 0) / times.length;
  const variance = times.reduce((sum, t) => sum + (t - avg) ** 2, 0) / times.length;
  return {
    attempts: attempts.length,
    verdicts,
    minMs: Math.min(...times),
    avgMs: avg,
    maxMs: Math.max(...times),
    stddevMs: Math.sqrt(variance),
  };
}
