import type { VerdictKind } from './verdict';

/**
 * How many attempts one address gets, and when:
 * `once`: one attempt (repeat, poll and blocking modes; a sweep);
 * `times`: `count` attempts `intervalMs` apart, each on a fresh socket (fresh mode);
 * `until`: again and again, `intervalMs` apart, until the verdict is one the expectation accepts or the deadline
 *   (a Date.now() time) comes (--wait). With a window (`stableMs` > 0, --stable), accepted answers must follow
 *   each other for that long: a wait that ends on one lucky answer is what the window is for.
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
      /** The window: 0 ends the wait on the first accepted answer. */
      readonly stableMs: number;
    };

/** After an attempt: another one at `at` (a Date.now() time); or done, its verdict final; or gave up (the wait ran out). */
export type Next = { readonly kind: 'again'; readonly at: number } | { readonly kind: 'done' } | { readonly kind: 'gave-up' };

/** Where an address stands in its policy. */
export interface PolicyProgress {
  /** Attempts concluded so far, the one just concluded included. */
  readonly attemptsMade: number;
  /** The wait's last attempt (started so as to end by the deadline) has been made. */
  finalAttemptMade: boolean;
  /** When the current run of accepted answers began (the first one's conclusion); null after a miss. */
  stableSince: number | null;
}

/**
 * What follows an attempt. A wait never starts an attempt at or after its deadline: when the next slot would be
 * too late, one last attempt starts at max(now, deadline - timeout), the latest start that still gets its whole
 * timeout before the deadline; or, while a window is open and could still close before the deadline, no earlier
 * than the window's end, so that its answer can complete the window.
 */
export function nextAttempt(policy: Policy, progress: PolicyProgress, verdict: VerdictKind, now: number): Next {
  switch (policy.kind) {
    case 'once':
      return { kind: 'done' };
    case 'times':
      return progress.attemptsMade < policy.count ? { kind: 'again', at: now + policy.intervalMs } : { kind: 'done' };
    case 'until': {
      if (!policy.accepts(verdict)) {
        progress.stableSince = null; // a miss restarts the window
      } else {
        if (policy.stableMs === 0) return { kind: 'done' };
        progress.stableSince ??= now;
        if (now - progress.stableSince >= policy.stableMs) return { kind: 'done' };
      }
      const slot = now + policy.intervalMs;
      if (slot < policy.deadline) return { kind: 'again', at: slot };
      if (progress.finalAttemptMade || now >= policy.deadline) return { kind: 'gave-up' };
      progress.finalAttemptMade = true;
      const windowEnd = progress.stableSince === null ? -Infinity : progress.stableSince + policy.stableMs;
      const last = Math.max(now, policy.deadline - policy.timeoutMs);
      return { kind: 'again', at: windowEnd < policy.deadline ? Math.max(last, windowEnd) : last };
    }
  }
}

/** When an attempt started now stops waiting for its answer: after the timeout, and never past a wait's deadline. */
export function attemptDeadline(policy: Policy, now: number, timeoutMs: number): number {
  const end = now + timeoutMs;
  return policy.kind === 'until' ? Math.min(end, policy.deadline) : end;
}
