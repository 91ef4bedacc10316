import { C } from '../libc/constants';
import { describeFileFlags, endpointFamily, familyName } from '../libc/decode';
import { errnoName } from '../libc/errno';
import type { Libc, SysResult } from '../libc/libc';
import { isUnix, type Endpoint, type InetEndpoint } from '../net/endpoint';
import type { Capture, CapturedPacket } from '../packet/capture';
import type { CallRecord, CallResult } from './record';
import type { VerdictFold } from './verdict';

type Detail = CallRecord extends infer R ? (R extends CallResult ? Omit<R, keyof CallResult> : never) : never;

/** An int option's value 1, as setsockopt() reads it (never written). */
const ONE = Buffer.from([1, 0, 0, 0]);

/** Whom a call is made for: an attempt (its number is stamped on the record, its verdict folds the answer). */
export interface CallOwner {
  readonly number: number;
  readonly verdict: VerdictFold;
}

/**
 * Receives each record as soon as its call returns, with the attempt it belongs to (null: the shared poll), and
 * the probe's packets read as it returned (--packets; stamped during the call, or since the last one).
 */
export type RecordSink<O extends CallOwner> = (owner: O | null, record: CallRecord, packets: readonly CapturedPacket<O>[]) => void;

const NO_PACKETS: readonly never[] = [];

/**
 * The libc calls a probe makes. Each answer is folded into its attempt's verdict as the call returns, and, when
 * records are wanted, turned into a CallRecord handed to the sink with the attempt it was made for: there is no
 * "current attempt" to set or forget. Without a sink (a quiet sweep, one line per target) no record is made at all.
 * Nothing here prints.
 */
export class Tracer<O extends CallOwner> {
  private readonly messages = new Map<number, string>();
  /** When the last call started, in ms since the origin, and how long it took, in us: handshakes are timed by them. */
  lastStartMs = 0;
  lastDurationUs = 0;
  private readonly recording: boolean;

  constructor(
    readonly libc: Libc,
    /** null: no records are wanted. */
    private readonly sink: RecordSink<O> | null,
    /** performance.now() when the run started: every record's startMs counts from it. */
    private readonly origin: number,
    /** --packets: read after each call, so that each packet is told with the call it came during. */
    private readonly capture: Capture<O> | null = null,
  ) {
    this.recording = sink !== null;
  }

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

  /**
   * Notes a call's times and, if records are wanted, makes its record (`detail` is null when they are not). With
   * --packets, reads the capture: after every call when records are wanted (each packet is told with the call it
   * came during), else only after a poll() (to count them, and keep the kernel's queue short).
   */
  private finish(owner: O | null, start: number, result: SysResult, detail: Detail | null, polled = false): void {
    const end = performance.now();
    this.lastStartMs = start - this.origin;
    this.lastDurationUs = (end - start) * 1000;
    const packets = this.capture && (this.recording || polled) ? this.capture.drain() : NO_PACKETS;
    if (detail === null || this.sink === null) return;
    // filled in place rather than spread: this runs for every call of a 65,535-port sweep
    const record = detail as Detail & { -readonly [K in keyof CallResult]: CallResult[K] };
    record.attempt = owner === null ? 0 : owner.number;
    record.ret = result.ret;
    record.errno = result.errno;
    record.errnoName = result.errno ? errnoName(result.errno) : null;
    record.strerror = this.strerror(result.errno);
    record.startMs = this.lastStartMs;
    record.durationUs = this.lastDurationUs;
    this.sink(owner, record as CallRecord, packets);
  }

  /** socket(family, SOCK_STREAM[|SOCK_NONBLOCK], 0): AF_INET, AF_INET6 or AF_UNIX, as the peer is. */
  socket(owner: O, endpoint: Endpoint, nonblocking: boolean): SysResult {
    const family = endpointFamily(endpoint);
    const domain = family === 4 ? C.AF_INET : family === 6 ? C.AF_INET6 : C.AF_UNIX;
    const start = performance.now();
    const r = this.libc.socket(domain, C.SOCK_STREAM | (nonblocking ? C.SOCK_NONBLOCK : 0), 0);
    owner.verdict.setUpCall('socket', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? {
      call: 'socket',
      family: familyName(family),
      type: nonblocking ? 'SOCK_STREAM|SOCK_NONBLOCK' : 'SOCK_STREAM',
      protocol: 0,
    } : null);
    return r;
  }

  fcntlGetFlags(owner: O, fd: number): SysResult {
    const start = performance.now();
    const r = this.libc.fcntl(fd, C.F_GETFL, 0);
    owner.verdict.setUpCall('fcntl', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? { call: 'fcntl', fd, cmd: 'F_GETFL', ...(r.ret >= 0 ? { returnedFlags: describeFileFlags(r.ret) } : {}) } : null);
    return r;
  }

  fcntlSetFlags(owner: O, fd: number, flags: number): SysResult {
    const start = performance.now();
    const r = this.libc.fcntl(fd, C.F_SETFL, flags);
    owner.verdict.setUpCall('fcntl', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? { call: 'fcntl', fd, cmd: 'F_SETFL', flags: describeFileFlags(flags) } : null);
    return r;
  }

  connect(owner: O, fd: number, peer: Endpoint): SysResult {
    const watched = this.capture && !isUnix(peer) ? peer : null; // a unix socket sends no packets
    if (watched) this.capture!.cover(watched);
    const start = performance.now();
    const r = this.libc.connect(fd, peer);
    owner.verdict.connect(peer, r.errno);
    if (watched) this.capture!.connecting(owner, watched, start - this.origin);
    this.finish(owner, start, r, this.recording ? { call: 'connect', fd, peer, addrlen: r.addrlen } : null);
    return r;
  }

  /** bind(fd, local): where the SYN will leave from (--source); a failure is a local error. */
  bind(owner: O, fd: number, local: InetEndpoint): SysResult {
    const start = performance.now();
    const r = this.libc.bind(fd, local);
    owner.verdict.setUpCall('bind', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? { call: 'bind', fd, local, addrlen: r.addrlen } : null);
    return r;
  }

  /** setsockopt(SOL_SOCKET, SO_REUSEADDR, 1): a fixed source port may be bound again while an earlier connection from it is in TIME_WAIT. */
  setReuseAddress(owner: O, fd: number): SysResult {
    const start = performance.now();
    const r = this.libc.setsockopt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, ONE);
    owner.verdict.setUpCall('setsockopt', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? { call: 'setsockopt', fd, level: 'SOL_SOCKET', option: 'SO_REUSEADDR', value: '1' } : null);
    return r;
  }

  close(owner: O, fd: number): SysResult {
    const start = performance.now();
    const r = this.libc.close(fd);
    this.finish(owner, start, r, this.recording ? { call: 'close', fd } : null);
    this.capture?.closed(owner);
    return r;
  }

  /** poll() on fds for POLLOUT: writable means the handshake finished, one way or the other. */
  poll(owner: O | null, fds: readonly number[], timeoutMs: number): { ret: number; errno: number; revents: readonly number[] } {
    const start = performance.now();
    const r = this.libc.poll(fds, C.POLLOUT, timeoutMs);
    this.finish(owner, start, r, this.recording ? { call: 'poll', fds: fds.map((fd, i) => ({ fd, events: 'POLLOUT', revents: r.revents[i] })), timeoutMs } : null, true);
    return r;
  }

  /** getsockopt(SOL_SOCKET, SO_ERROR): the pending error of the socket, which reading also clears. */
  socketError(owner: O, fd: number): { ret: number; errno: number; value: number } {
    const start = performance.now();
    const r = this.libc.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ERROR);
    owner.verdict.pendingError(r.ret, r.value);
    this.finish(owner, start, r, this.recording ? {
      call: 'getsockopt',
      fd,
      level: 'SOL_SOCKET',
      option: 'SO_ERROR',
      value: r.value,
      valueErrnoName: r.value ? errnoName(r.value) : null,
      valueStrerror: this.strerror(r.value),
    } : null);
    return r;
  }

  /** getsockopt(IPPROTO_TCP, TCP_INFO): the kernel's account of the handshake (state, retransmissions, RTT). */
  tcpInfo(owner: O, fd: number): void {
    const start = performance.now();
    const r = this.libc.getTcpInfo(fd);
    this.finish(owner, start, r, this.recording ? { call: 'getsockopt', fd, level: 'IPPROTO_TCP', option: 'TCP_INFO', value: r.info, optlen: r.optlen } : null);
  }

  /** setsockopt(IPPROTO_TCP, TCP_SYNCNT): how many times the kernel retransmits the SYN before ETIMEDOUT. */
  setSynCount(owner: O, fd: number, count: number): SysResult {
    const value = Buffer.alloc(4);
    value.writeInt32LE(count);
    const start = performance.now();
    const r = this.libc.setsockopt(fd, C.IPPROTO_TCP, C.TCP_SYNCNT, value);
    owner.verdict.setUpCall('setsockopt', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? { call: 'setsockopt', fd, level: 'IPPROTO_TCP', option: 'TCP_SYNCNT', value: String(count) } : null);
    return r;
  }

  /** setsockopt(SOL_SOCKET, SO_SNDTIMEO): bounds a blocking connect(), which then fails with EINPROGRESS. */
  setSendTimeout(owner: O, fd: number, timeoutMs: number): SysResult {
    const timeval = Buffer.alloc(C.SIZEOF_TIMEVAL);
    const seconds = Math.floor(timeoutMs / 1000);
    const micros = (timeoutMs % 1000) * 1000;
    timeval.writeBigInt64LE(BigInt(seconds), 0);
    timeval.writeBigInt64LE(BigInt(micros), 8);
    const start = performance.now();
    const r = this.libc.setsockopt(fd, C.SOL_SOCKET, C.SO_SNDTIMEO, timeval);
    owner.verdict.setUpCall('setsockopt', r.ret, r.errno);
    this.finish(owner, start, r, this.recording ? { call: 'setsockopt', fd, level: 'SOL_SOCKET', option: 'SO_SNDTIMEO', value: `{tv_sec=${seconds}, tv_usec=${micros}}` } : null);
    return r;
  }

  getsockname(owner: O, fd: number): Endpoint | undefined {
    const start = performance.now();
    const r = this.libc.getsockname(fd);
    owner.verdict.localEnd(r.endpoint);
    this.finish(owner, start, r, this.recording ? { call: 'getsockname', fd, local: r.endpoint } : null);
    return r.endpoint;
  }
}
