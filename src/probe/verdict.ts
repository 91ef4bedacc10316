import { E } from '../libc/errno';
import { sameEndpoint, type Endpoint } from '../net/endpoint';
import type { CallRecord } from './record';

export type VerdictKind =
  | 'connected'
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'unresolved'
  | 'local-error'
  | 'self-connect';

/** What a probe of one address concluded. */
export interface Verdict {
  readonly kind: VerdictKind;
  /** The errno name that decided it (`ECONNREFUSED`), when one did. */
  readonly errnoName: string | null;
  /** The libc call that failed, for local errors (`socket`). */
  readonly failedCall: string | null;
  /** The local end the kernel picked, once connected (from getsockname). */
  readonly local: Endpoint | null;
}

/** The documented exit code of each verdict; stable across releases and the same in every mode. */
export const EXIT_CODES: Readonly<Record<VerdictKind | 'usage', number>> = {
  connected: 0,
  refused: 1,
  usage: 2,
  timeout: 3,
  unreachable: 4,
  unresolved: 5,
  'local-error': 6,
  'self-connect': 7,
};

const UNREACHABLE = new Set<number>([E.ENETUNREACH, E.EHOSTUNREACH, E.EADDRNOTAVAIL]);
/** Answers that leave the question open: the handshake is still under way. */
const UNDECIDED = new Set<number>([E.EINPROGRESS, E.EALREADY]);

/**
 * What a connect() errno (or an SO_ERROR value) says: 0 and EISCONN mean connected; EINPROGRESS and EALREADY
 * settle nothing (undefined): the handshake is still under way.
 */
export function answerOf(errno: number): VerdictKind | undefined {
  if (errno === 0 || errno === E.EISCONN) return 'connected';
  if (errno === E.ECONNREFUSED) return 'refused';
  if (errno === E.ETIMEDOUT) return 'timeout';
  if (UNREACHABLE.has(errno)) return 'unreachable';
  if (UNDECIDED.has(errno)) return undefined;
  return 'local-error';
}

/**
 * The verdict of one attempt is a pure function of its calls: the first call whose answer settles the question
 * decides it. A connect() that returns 0 or EISCONN, or an SO_ERROR of 0 after poll said writable, means
 * connected; an errno (from connect or SO_ERROR) classifies the failure; if nothing settled it (EINPROGRESS,
 * EALREADY, polls that ended without the fd), the kernel had no answer in time: timeout.
 */
export function verdictOf(records: readonly CallRecord[]): Verdict {
  let peer: Endpoint | null = null;
  let decided: { kind: VerdictKind; errnoName: string | null; failedCall: string | null } | undefined;
  let local: Endpoint | null = null;
  for (const record of records) {
    if (record.call === 'getsockname' && record.local) local = record.local;
    if (decided) continue;
    switch (record.call) {
      case 'socket':
      case 'fcntl':
      case 'setsockopt':
        if (record.ret === -1) decided = { kind: 'local-error', errnoName: record.errnoName, failedCall: record.call };
        break;
      case 'connect': {
        peer = record.peer;
        const kind = answerOf(record.errno);
        if (kind) decided = { kind, errnoName: record.errnoName, failedCall: kind === 'local-error' ? 'connect' : null };
        break;
      }
      case 'getsockopt':
        if (record.option === 'SO_ERROR' && record.ret === 0) {
          const kind = answerOf(record.value) ?? 'timeout';
          decided = { kind, errnoName: record.valueErrnoName, failedCall: null };
        }
        break;
    }
  }
  const verdict = decided ?? { kind: 'timeout' as const, errnoName: null, failedCall: null };
  if (verdict.kind === 'connected' && peer && local && sameEndpoint(local, peer)) {
    return { ...verdict, kind: 'self-connect', local };
  }
  return { ...verdict, local: verdict.kind === 'connected' ? local : null };
}

const UNRESOLVED: Verdict = { kind: 'unresolved', errnoName: null, failedCall: null, local: null };

/**
 * A target's verdict from its addresses' verdicts: connected if any address connected (a client trying each
 * address in turn gets through); otherwise the first address whose verdict does not meet the expectation (so an
 * unmet address is never hidden behind a met one), or the first address's; unresolved when the name gave none.
 */
export function targetVerdict(
  addressVerdicts: readonly Verdict[],
  resolution: { error: string | null } | null,
  meets: (kind: VerdictKind) => boolean = (kind) => kind === 'connected',
): Verdict {
  if (resolution?.error || addressVerdicts.length === 0) return UNRESOLVED;
  return (
    addressVerdicts.find((v) => v.kind === 'connected') ?? addressVerdicts.find((v) => !meets(v.kind)) ?? addressVerdicts[0]
  );
}
