import type { VerdictKind } from './verdict';

/**
 * How many attempts one address gets, and when:
 * `once`: one attempt (repeat, poll and blocking modes; a sweep);
 * `times`: `count` attempts `intervalMs` apart, each on a fresh socket (fresh mode);
 * `until`: again and again, `intervalMs` apart, until the verdict is one the expectation accepts or the deadline
 *   (a Date.now() time) comes (--wait).
 */
export type Policy =
  | { readonly kind: 'once' }
  | { readonly kind: 'times'; readonly count: number; readonly intervalMs: number }
  | {
      readonly kind: 'until';
      readonly accepts: (kind: VerdictKind) => boolean;
      readonly deadline: number;
      readonly intervalMs: number;
      readonly timeoutMs: number;
    };

/** After an attempt: another one at `at` (a Date.now() time); or done, its verdict final; or gave up (the wait ran out). */
export type Next = { readonly kind: 'again'; readonly at: number } | { readonly kind: 'done' } | { readonly kind: 'gave-up' };

/** Where an address stands in its policy. */
export interface PolicyProgress {
  /** Attempts concluded so far, the one just concluded included. */
  readonly attemptsMade: number;
  /** The wait's last attempt (started so as to end by the deadline) has been made. */
  finalAttemptMade: boolean;
}

/**
 * What follows an attempt. A wait never starts an attempt at or after its deadline: when the next slot would be
 * too late, one last attempt starts at max(now, deadline - timeout), the latest start that still gets its whole
 * timeout before the deadline.
 */
export function nextAttempt(policy: Policy, progress: PolicyProgress, verdict: VerdictKind, now: number): Next {
  switch (policy.kind) {
    case 'once':
      return { kind: 'done' };
    case 'times':
      return progress.attemptsMade < policy.count ? { kind: 'again', at: now + policy.intervalMs } : { kind: 'done' };
    case 'until': {
      if (policy.accepts(verdict)) return { kind: 'done' };
      const slot = now + policy.intervalMs;
      if (slot < policy.deadline) return { kind: 'again', at: slot };
      if (progress.finalAttemptMade || now >= policy.deadline) return { kind: 'gave-up' };
      progress.finalAttemptMade = true;
      return { kind: 'again', at: Math.max(now, policy.deadline - policy.timeoutMs) };
    }
  }
}

/** When an attempt started now stops waiting for its answer: after the timeout, and never past a wait's deadline. */
export function attemptDeadline(policy: Policy, now: number, timeoutMs: number): number {
  const end = now + timeoutMs;
  return policy.kind === 'until' ? Math.min(end, policy.deadline) : end;
}
