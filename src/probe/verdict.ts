import { E, errnoName as errnoNameOf } from '../libc/errno';
import { isUnix, sameEndpoint, type Endpoint } from '../net/endpoint';
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
 * What an AF_UNIX connect() says beyond what answerOf() reads the same for every family (settled in the call:
 * never EINPROGRESS). ENOENT: no socket file, nothing listens (TCP's connect() never says it); EAGAIN: the
 * listener's backlog is full, the answer a full TCP accept queue gives by silence (timeout; for TCP, EAGAIN would
 * be a local shortage). EACCES, EPERM, EPROTOTYPE and the rest stay local errors.
 */
export function unixAnswerOf(errno: number): VerdictKind | undefined {
  if (errno === E.ENOENT) return 'refused';
  if (errno === E.EAGAIN) return 'timeout';
  return answerOf(errno);
}

/**
 * The verdict of one attempt, folded call by call as the calls return: the first call whose answer settles the
 * question decides it. A connect() that returns 0 or EISCONN, or an SO_ERROR of 0 after poll said writable, means
 * connected; an errno (from connect or SO_ERROR) classifies the failure; if nothing settled it (EINPROGRESS,
 * EALREADY, polls that ended without the fd), the kernel had no answer in time: timeout. Folded rather than read
 * back from records, so that a run that keeps no records makes none.
 */
export class VerdictFold {
  /** The settled answer so far, if any, and the errno and call that gave it. */
  answer: VerdictKind | undefined = undefined;
  private errno = 0;
  private failedCall: string | null = null;
  private peer: Endpoint | null = null;
  private local: Endpoint | null = null;

  /**
   * socket(), fcntl(), setsockopt() or bind(): only a failure settles anything, and it is a local error (bind()'s
   * EADDRNOTAVAIL too: the source address is not this machine's, whereas connect()'s means unreachable).
   */
  setUpCall(call: 'socket' | 'fcntl' | 'setsockopt' | 'bind', ret: number, errno: number): void {
    if (this.answer === undefined && ret === -1) this.settle('local-error', errno, call);
  }

  connect(peer: Endpoint, errno: number): void {
    if (this.answer !== undefined) return;
    this.peer = peer;
    let kind = answerOf(errno);
    if (kind === 'local-error' && isUnix(peer)) kind = unixAnswerOf(errno); // only on a failure: TCP pays nothing
    if (kind) this.settle(kind, errno, kind === 'local-error' ? 'connect' : null);
  }

  /** getsockopt(SO_ERROR) after poll() said the handshake ended: its value is the answer (0 is success). */
  pendingError(ret: number, value: number): void {
    if (this.answer === undefined && ret === 0) this.settle(answerOf(value) ?? 'timeout', value, null);
  }

  /** getsockname() of a connected socket: the local end, which tells a connection from a self-connect. */
  localEnd(local: Endpoint | undefined): void {
    if (local) this.local = local;
  }

  verdict(): Verdict {
    const kind = this.answer ?? 'timeout';
    const errnoName = this.answer === undefined || this.errno === 0 ? null : errnoNameOf(this.errno);
    const connected = kind === 'connected';
    // a TCP self-connect: the SYN met itself. A unix socket has no ephemeral port to pick: never one
    if (connected && this.peer && this.local && !isUnix(this.peer) && sameEndpoint(this.local, this.peer)) {
      return { kind: 'self-connect', errnoName, failedCall: null, local: this.local };
    }
    return { kind, errnoName, failedCall: this.failedCall, local: connected ? this.local : null };
  }

  private settle(kind: VerdictKind, errno: number, failedCall: string | null): void {
    this.answer = kind;
    this.errno = errno;
    this.failedCall = failedCall;
  }
}

/** The verdict of an attempt from its records: the same fold, fed from what was kept. */
export function verdictOf(records: readonly CallRecord[]): Verdict {
  const fold = new VerdictFold();
  for (const record of records) {
    switch (record.call) {
      case 'socket':
      case 'fcntl':
      case 'setsockopt':
      case 'bind':
        fold.setUpCall(record.call, record.ret, record.errno);
        break;
      case 'connect':
        fold.connect(record.peer, record.errno);
        break;
      case 'getsockopt':
        if (record.option === 'SO_ERROR') fold.pendingError(record.ret, record.value);
        break;
      case 'getsockname':
        fold.localEnd(record.local);
        break;
    }
  }
  return fold.verdict();
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
