import type { TcpInfo } from '../libc/tcp-info';
import type { IpAddress } from '../net/address';
import type { Endpoint, InetEndpoint } from '../net/endpoint';

/** How one libc call ended, shared by every record. */
export interface CallResult {
  /**
   * The attempt (one socket's life) the call was made for, from 1; 0 for a poll() that waited on the sockets of
   * several attempts at once.
   */
  readonly attempt: number;
  readonly ret: number;
  /** errno read right after the call: non-zero only when ret is -1. */
  readonly errno: number;
  /** Symbolic name of errno (`ECONNREFUSED`), null when errno is 0. */
  readonly errnoName: string | null;
  /** strerror(errno) as libc says it (for errno 0, libc's text for success). */
  readonly strerror: string;
  /** When the call started, in milliseconds since the probe started. */
  readonly startMs: number;
  /** How long the call took, in microseconds (FFI overhead included: it is what the caller waited). */
  readonly durationUs: number;
}

export interface SocketCall {
  readonly call: 'socket';
  readonly family: 'AF_INET' | 'AF_INET6' | 'AF_UNIX';
  /** e.g. `SOCK_STREAM` or `SOCK_STREAM|SOCK_NONBLOCK` */
  readonly type: string;
  readonly protocol: number;
}

export interface FcntlCall {
  readonly call: 'fcntl';
  readonly fd: number;
  readonly cmd: 'F_GETFL' | 'F_SETFL';
  /** F_SETFL's argument, decoded (`O_RDWR|O_NONBLOCK`). */
  readonly flags?: string;
  /** F_GETFL's answer, decoded. */
  readonly returnedFlags?: string;
}

export interface ConnectCall {
  readonly call: 'connect';
  readonly fd: number;
  readonly peer: Endpoint;
  readonly addrlen: number;
}

/** bind(): the local end the socket will connect from (--source); port 0 lets the kernel pick one. */
export interface BindCall {
  readonly call: 'bind';
  readonly fd: number;
  readonly local: InetEndpoint;
  readonly addrlen: number;
}

export interface PollCall {
  readonly call: 'poll';
  readonly fds: readonly { readonly fd: number; readonly events: string; readonly revents: number }[];
  readonly timeoutMs: number;
}

export interface GetsockoptCall {
  readonly call: 'getsockopt';
  readonly fd: number;
  readonly level: string;
  readonly option: 'SO_ERROR';
  readonly value: number;
  /** For SO_ERROR, the value is an errno: its name (null for 0) and strerror text. */
  readonly valueErrnoName: string | null;
  readonly valueStrerror: string;
}

/** getsockopt(TCP_INFO): the kernel's own account of the connection, a struct decoded field by field. */
export interface TcpInfoCall {
  readonly call: 'getsockopt';
  readonly fd: number;
  readonly level: 'IPPROTO_TCP';
  readonly option: 'TCP_INFO';
  /** null when the call failed. */
  readonly value: Partial<TcpInfo> | null;
  /** The bytes the kernel wrote (optlen after the call). */
  readonly optlen: number;
}

export interface SetsockoptCall {
  readonly call: 'setsockopt';
  readonly fd: number;
  readonly level: string;
  readonly option: string;
  /** The value as C would write it (`5`, `{tv_sec=2, tv_usec=0}`). */
  readonly value: string;
}

export interface GetsocknameCall {
  readonly call: 'getsockname';
  readonly fd: number;
  readonly local: Endpoint | undefined;
}

export interface CloseCall {
  readonly call: 'close';
  readonly fd: number;
}

/** One libc call as connprobe made it: what was asked, what the kernel answered, and how long it took. */
export type CallRecord = CallResult &
  (SocketCall | FcntlCall | ConnectCall | BindCall | PollCall | GetsockoptCall | TcpInfoCall | SetsockoptCall | GetsocknameCall | CloseCall);

/** An end of a captured packet: an address, and a port for TCP (ICMP has none). */
export interface PacketEnd {
  readonly address: IpAddress;
  readonly port?: number;
}

/**
 * One packet of a probe's, as --packets saw it on the wire: a TCP segment of one of its sockets, or an ICMP error
 * about one. Seen once (lo's second copy is dropped).
 */
export interface PacketRecord {
  /** The attempt whose socket it belongs to. */
  readonly attempt: number;
  /** `out`: sent by the probe's socket; `in`: to it. */
  readonly direction: 'out' | 'in';
  /** When the kernel stamped it, in ms since the probe started (the time base of records' startMs). */
  readonly timeMs: number;
  /**
   * How far timeMs may be off against a call's times: the error of relating the kernel's clock (CLOCK_REALTIME)
   * to the records' (monotonic), plus one FFI call's overhead. An order closer than this is not claimed.
   */
  readonly timeErrorUs: number;
  /** The interface it was seen on (`lo`). */
  readonly interface: string;
  readonly protocol: 'tcp' | 'icmp' | 'icmp6';
  readonly src: PacketEnd;
  readonly dst: PacketEnd;
  /** TCP flags in tcpdump's letters (`S`, `S.`, `R.`, `.`, `F.`); empty for ICMP. */
  readonly flags: string;
  /** TCP: sequence and acknowledgement numbers as on the wire (ack only with the ACK flag), window, options. */
  readonly seq?: number;
  readonly ack?: number;
  readonly window?: number;
  /** TCP options as tcpdump writes them (`mss 65495`, `sackOK`, `TS val 1 ecr 0`, `nop`, `wscale 7`). */
  readonly options?: readonly string[];
  /** tcpdump's `length`: TCP payload bytes, or the ICMP message's length. */
  readonly length: number;
  /** ICMP: type, code, and the probe's segment it is about. */
  readonly icmp?: { readonly type: number; readonly code: number; readonly about: { readonly src: InetEndpoint; readonly dst: InetEndpoint } };
}
