import { C } from '../libc/constants';
import { describeFileFlags, familyName } from '../libc/decode';
import { errnoName } from '../libc/errno';
import type { Libc, SysResult } from '../libc/libc';
import type { Endpoint } from '../net/endpoint';
import type { CallRecord, CallResult } from './record';

type Detail = CallRecord extends infer R ? (R extends CallResult ? Omit<R, keyof CallResult> : never) : never;

/** Whom a call is made for: an attempt (its number is stamped on the record), or null for the shared poll. */
export interface CallOwner {
  readonly number: number;
}

/** Receives each record as soon as its call returns, with the attempt it belongs to (null: the shared poll). */
export type RecordSink<O extends CallOwner> = (owner: O | null, record: CallRecord) => void;

/**
 * The libc calls a probe makes, each one turned into a CallRecord handed to the sink as soon as it returns, with
 * the attempt it was made for: there is no "current attempt" to set or forget. Nothing here prints; the records
 * are the single source of truth for every verdict and every output.
 */
export class Tracer<O extends CallOwner> {
  private readonly messages = new Map<number, string>();

  constructor(
    readonly libc: Libc,
    private readonly sink: RecordSink<O>,
    /** performance.now() when the run started: every record's startMs counts from it. */
    private readonly origin: number,
  ) {}

  /** Milliseconds since the origin, the time base of every record's startMs. */
  elapsedMs(): number {
    return performance.now() - this.origin;
  }

  /** strerror() text, cached: glibc's messages do not change while the process runs. */
  strerror(errno: number): string {
    let text = this.messages.get(errno);
    if (text === undefined) {
      text = this.libc.strerror(errno);
      this.messages.set(errno, text);
    }
    return text;
  }

  private trace<R extends SysResult>(owner: O | null, invoke: () => R, describe: (result: R) => Detail): R {
    const start = performance.now();
    const result = invoke();
    const end = performance.now();
    // filled in place rather than spread: this runs for every call of a 65,535-port sweep
    const record = describe(result) as Detail & { -readonly [K in keyof CallResult]: CallResult[K] };
    record.attempt = owner === null ? 0 : owner.number;
    record.ret = result.ret;
    record.errno = result.errno;
    record.errnoName = result.errno ? errnoName(result.errno) : null;
    record.strerror = this.strerror(result.errno);
    record.startMs = start - this.origin;
    record.durationUs = (end - start) * 1000;
    this.sink(owner, record as CallRecord);
    return result;
  }

  /** socket(family, SOCK_STREAM[|SOCK_NONBLOCK], 0) */
  socket(owner: O, endpoint: Endpoint, nonblocking: boolean): SysResult {
    const domain = endpoint.address.family === 4 ? C.AF_INET : C.AF_INET6;
    const type = C.SOCK_STREAM | (nonblocking ? C.SOCK_NONBLOCK : 0);
    return this.trace(
      owner,
      () => this.libc.socket(domain, type, 0),
      () => ({
        call: 'socket',
        family: familyName(endpoint.address.family),
        type: nonblocking ? 'SOCK_STREAM|SOCK_NONBLOCK' : 'SOCK_STREAM',
        protocol: 0,
      }),
    );
  }

  fcntlGetFlags(owner: O, fd: number): SysResult {
    return this.trace(
      owner,
      () => this.libc.fcntl(fd, C.F_GETFL, 0),
      (r) => ({ call: 'fcntl', fd, cmd: 'F_GETFL', ...(r.ret >= 0 ? { returnedFlags: describeFileFlags(r.ret) } : {}) }),
    );
  }

  fcntlSetFlags(owner: O, fd: number, flags: number): SysResult {
    return this.trace(
      owner,
      () => this.libc.fcntl(fd, C.F_SETFL, flags),
      () => ({ call: 'fcntl', fd, cmd: 'F_SETFL', flags: describeFileFlags(flags) }),
    );
  }

  connect(owner: O, fd: number, peer: Endpoint): SysResult {
    return this.trace(
      owner,
      () => this.libc.connect(fd, peer),
      (r) => ({ call: 'connect', fd, peer, addrlen: r.addrlen }),
    );
  }

  close(owner: O, fd: number): SysResult {
    return this.trace(owner, () => this.libc.close(fd), () => ({ call: 'close', fd }));
  }

  /** poll() on fds for POLLOUT: writable means the handshake finished, one way or the other. */
  poll(owner: O | null, fds: readonly number[], timeoutMs: number): { ret: number; errno: number; revents: readonly number[] } {
    return this.trace(
      owner,
      () => this.libc.poll(fds, C.POLLOUT, timeoutMs),
      (r) => ({ call: 'poll', fds: fds.map((fd, i) => ({ fd, events: 'POLLOUT', revents: r.revents[i] })), timeoutMs }),
    );
  }

  /** getsockopt(SOL_SOCKET, SO_ERROR): the pending error of the socket, which reading also clears. */
  socketError(owner: O, fd: number): { ret: number; errno: number; value: number } {
    return this.trace(
      owner,
      () => this.libc.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ERROR),
      (r) => ({
        call: 'getsockopt',
        fd,
        level: 'SOL_SOCKET',
        option: 'SO_ERROR',
        value: r.value,
        valueErrnoName: r.value ? errnoName(r.value) : null,
        valueStrerror: this.strerror(r.value),
      }),
    );
  }

  /** setsockopt(IPPROTO_TCP, TCP_SYNCNT): how many times the kernel retransmits the SYN before ETIMEDOUT. */
  setSynCount(owner: O, fd: number, count: number): SysResult {
    const value = Buffer.alloc(4);
    value.writeInt32LE(count);
    return this.trace(
      owner,
      () => this.libc.setsockopt(fd, C.IPPROTO_TCP, C.TCP_SYNCNT, value),
      () => ({ call: 'setsockopt', fd, level: 'IPPROTO_TCP', option: 'TCP_SYNCNT', value: String(count) }),
    );
  }

  /** setsockopt(SOL_SOCKET, SO_SNDTIMEO): bounds a blocking connect(), which then fails with EINPROGRESS. */
  setSendTimeout(owner: O, fd: number, timeoutMs: number): SysResult {
    const timeval = Buffer.alloc(C.SIZEOF_TIMEVAL);
    const seconds = Math.floor(timeoutMs / 1000);
    const micros = (timeoutMs % 1000) * 1000;
    timeval.writeBigInt64LE(BigInt(seconds), 0);
    timeval.writeBigInt64LE(BigInt(micros), 8);
    return this.trace(
      owner,
      () => this.libc.setsockopt(fd, C.SOL_SOCKET, C.SO_SNDTIMEO, timeval),
      () => ({ call: 'setsockopt', fd, level: 'SOL_SOCKET', option: 'SO_SNDTIMEO', value: `{tv_sec=${seconds}, tv_usec=${micros}}` }),
    );
  }

  getsockname(owner: O, fd: number): Endpoint | undefined {
    let local: Endpoint | undefined;
    this.trace(
      owner,
      () => {
        const r = this.libc.getsockname(fd);
        local = r.endpoint;
        return r;
      },
      () => ({ call: 'getsockname', fd, local }),
    );
    return local;
  }
}
