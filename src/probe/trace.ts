import { C } from '../libc/constants';
import { errnoName } from '../libc/errno';
import type { Libc, SysResult } from '../libc/libc';
import type { Endpoint } from '../libc/sockaddr';
import type { CallRecord, Outcome } from './record';

export type RecordSink = (record: CallRecord) => void;

type Detail = CallRecord extends infer R ? (R extends Outcome ? Omit<R, keyof Outcome> : never) : never;

/** Decodes open-file flags the way strace does: access mode first, then O_NONBLOCK, then any rest in hex. */
export function describeFileFlags(flags: number): string {
  const accessMode = flags & C.O_ACCMODE;
  const names = [accessMode === C.O_RDWR ? 'O_RDWR' : accessMode === C.O_WRONLY ? 'O_WRONLY' : 'O_RDONLY'];
  let rest = flags & ~C.O_ACCMODE;
  if (rest & C.O_NONBLOCK) {
    names.push('O_NONBLOCK');
    rest &= ~C.O_NONBLOCK;
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.join('|');
}

/** Decodes poll event bits (`POLLOUT|POLLERR|POLLHUP`); `0` for none. */
export function describePollEvents(events: number): string {
  const bits: [number, string][] = [
    [C.POLLIN, 'POLLIN'],
    [C.POLLOUT, 'POLLOUT'],
    [C.POLLERR, 'POLLERR'],
    [C.POLLHUP, 'POLLHUP'],
    [C.POLLNVAL, 'POLLNVAL'],
  ];
  const names = bits.filter(([bit]) => events & bit).map(([, name]) => name);
  return names.length ? names.join('|') : '0';
}

export function familyName(endpoint: Endpoint): 'AF_INET' | 'AF_INET6' {
  return endpoint.address.family === 4 ? 'AF_INET' : 'AF_INET6';
}

/**
 * The libc calls a probe makes, each one turned into a CallRecord handed to the sink as soon as it returns.
 * Strategies call these and never print; the records are the single source of truth for every renderer.
 */
export class TracedLibc {
  private readonly messages = new Map<number, string>();
  /** Stamped on every record: strategies that open a fresh socket per attempt advance it. */
  attempt = 1;

  constructor(
    readonly libc: Libc,
    private readonly sink: RecordSink,
    /** performance.now() when the probe started: every record's startMs counts from it. */
    private readonly origin: number = performance.now(),
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

  private trace<R extends SysResult>(invoke: () => R, describe: (result: R) => Detail): R {
    const start = performance.now();
    const result = invoke();
    const end = performance.now();
    // filled in place rather than spread: this runs for every call of a 65,535-port sweep
    const record = describe(result) as Detail & { -readonly [K in keyof Outcome]: Outcome[K] };
    record.attempt = this.attempt;
    record.ret = result.ret;
    record.errno = result.errno;
    record.errnoName = result.errno ? errnoName(result.errno) : null;
    record.strerror = this.strerror(result.errno);
    record.startMs = start - this.origin;
    record.durationUs = (end - start) * 1000;
    this.sink(record as CallRecord);
    return result;
  }

  /** socket(family, SOCK_STREAM[|SOCK_NONBLOCK], 0) */
  socket(endpoint: Endpoint, nonblocking: boolean): SysResult {
    const domain = endpoint.address.family === 4 ? C.AF_INET : C.AF_INET6;
    const type = C.SOCK_STREAM | (nonblocking ? C.SOCK_NONBLOCK : 0);
    return this.trace(
      () => this.libc.socket(domain, type, 0),
      () => ({
        call: 'socket',
        family: familyName(endpoint),
        type: nonblocking ? 'SOCK_STREAM|SOCK_NONBLOCK' : 'SOCK_STREAM',
        protocol: 0,
      }),
    );
  }

  fcntlGetFlags(fd: number): SysResult {
    return this.trace(
      () => this.libc.fcntl(fd, C.F_GETFL, 0),
      (r) => ({
        call: 'fcntl',
        fd,
        cmd: 'F_GETFL',
        ...(r.ret >= 0 ? { returnedFlags: describeFileFlags(r.ret) } : {}),
      }),
    );
  }

  fcntlSetFlags(fd: number, flags: number): SysResult {
    return this.trace(
      () => this.libc.fcntl(fd, C.F_SETFL, flags),
      () => ({ call: 'fcntl', fd, cmd: 'F_SETFL', flags: describeFileFlags(flags) }),
    );
  }

  connect(fd: number, peer: Endpoint): SysResult {
    return this.trace(
      () => this.libc.connect(fd, peer),
      (r) => ({ call: 'connect', fd, peer, addrlen: r.addrlen }),
    );
  }

  close(fd: number): SysResult {
    return this.trace(
      () => this.libc.close(fd),
      () => ({ call: 'close', fd }),
    );
  }

  /** poll() on fds for POLLOUT: writable means the handshake finished, one way or the other. */
  poll(fds: readonly number[], timeoutMs: number): { ret: number; errno: number; revents: readonly number[] } {
    return this.trace(
      () => this.libc.poll(fds, C.POLLOUT, timeoutMs),
      (r) => ({ call: 'poll', fds: fds.map((fd, i) => ({ fd, events: 'POLLOUT', revents: r.revents[i] })), timeoutMs }),
    );
  }

  /** getsockopt(SOL_SOCKET, SO_ERROR): the pending error of the socket, which reading also clears. */
  socketError(fd: number): { ret: number; errno: number; value: number } {
    return this.trace(
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
  setSynCount(fd: number, count: number): SysResult {
    const value = Buffer.alloc(4);
    value.writeInt32LE(count);
    return this.trace(
      () => this.libc.setsockopt(fd, C.IPPROTO_TCP, C.TCP_SYNCNT, value),
      () => ({ call: 'setsockopt', fd, level: 'IPPROTO_TCP', option: 'TCP_SYNCNT', value: String(count) }),
    );
  }

  /** setsockopt(SOL_SOCKET, SO_SNDTIMEO): bounds a blocking connect(), which then fails with EINPROGRESS. */
  setSendTimeout(fd: number, timeoutMs: number): SysResult {
    const timeval = Buffer.alloc(C.SIZEOF_TIMEVAL);
    const seconds = Math.floor(timeoutMs / 1000);
    const micros = (timeoutMs % 1000) * 1000;
    timeval.writeBigInt64LE(BigInt(seconds), 0);
    timeval.writeBigInt64LE(BigInt(micros), 8);
    return this.trace(
      () => this.libc.setsockopt(fd, C.SOL_SOCKET, C.SO_SNDTIMEO, timeval),
      () => ({
        call: 'setsockopt',
        fd,
        level: 'SOL_SOCKET',
        option: 'SO_SNDTIMEO',
        value: `{tv_sec=${seconds}, tv_usec=${micros}}`,
      }),
    );
  }

  getsockname(fd: number): Endpoint | undefined {
    let local: Endpoint | undefined;
    this.trace(
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
