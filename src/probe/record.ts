import type { TcpInfo } from '../libc/tcp-info';
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
