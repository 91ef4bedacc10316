import type { Endpoint } from '../net/endpoint';
import type { TcpInfo } from './tcp-info';

/**
 * What one libc call answered. `errno` is read right after the call returned, and only when it returned -1
 * (errno is meaningless after a success); it is 0 otherwise.
 */
export interface SysResult {
  readonly ret: number;
  readonly errno: number;
}

export interface PollResult extends SysResult {
  /** revents per requested fd, in request order (all 0 when poll failed or timed out). */
  readonly revents: readonly number[];
}

/** What connect() or bind() answered, with the sockaddr length passed. */
export interface ConnectResult extends SysResult {
  /** The sockaddr length passed: 16 for sockaddr_in, 28 for sockaddr_in6. */
  readonly addrlen: number;
}

export interface IntOptionResult extends SysResult {
  readonly value: number;
}

export interface TcpInfoResult extends SysResult {
  /** The fields the kernel filled in (all of them unless it wrote fewer bytes than asked); null when the call failed. */
  readonly info: Partial<TcpInfo> | null;
  /** optlen as the kernel left it: the bytes it wrote. */
  readonly optlen: number;
}

export interface SockaddrResult extends SysResult {
  readonly endpoint: Endpoint | undefined;
}

export interface LimitResult extends SysResult {
  readonly soft: number;
  readonly hard: number;
}

/** What recvfrom() on a packet socket answered: ret is the packet's whole length (MSG_TRUNC), or -1. */
export interface PacketReadResult extends SysResult {
  /** From the sockaddr_ll the kernel filled in: the interface, the packet type (PACKET_HOST, ...), the ethertype. */
  readonly ifindex: number;
  readonly packetType: number;
  readonly protocol: number;
}

export interface TimestampResult extends SysResult {
  /** Nanoseconds since the epoch (CLOCK_REALTIME, the clock packet timestamps use). */
  readonly ns: bigint;
}

export interface PacketStatistics extends SysResult {
  /** Since the last read (the kernel resets both on each read). */
  readonly packets: number;
  readonly drops: number;
}

/**
 * The slice of libc connprobe calls, typed. One implementation per FFI backend; nothing outside src/libc/ knows
 * how the calls are made.
 */
export interface Libc {
  readonly backend: string;
  socket(domain: number, type: number, protocol: number): SysResult;
  /** fcntl with an int argument (F_GETFL ignores it, as the C prototype allows). */
  fcntl(fd: number, cmd: number, arg: number): SysResult;
  /** connect(fd, sockaddr, length): the sockaddr is encoded from the endpoint, and the length is its size. */
  connect(fd: number, peer: Endpoint): ConnectResult;
  /** bind(fd, sockaddr, length): the local end, encoded as connect's peer is. */
  bind(fd: number, local: Endpoint): ConnectResult;
  /** poll() on fds, all for the same events. */
  poll(fds: readonly number[], events: number, timeoutMs: number): PollResult;
  getsockoptInt(fd: number, level: number, option: number): IntOptionResult;
  /** getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &optlen), with optlen = sizeof(struct tcp_info) as glibc has it. */
  getTcpInfo(fd: number): TcpInfoResult;
  setsockopt(fd: number, level: number, option: number, value: Buffer): SysResult;
  getsockname(fd: number): SockaddrResult;
  getrlimit(resource: number): LimitResult;
  close(fd: number): SysResult;
  strerror(errno: number): string;
  /** sigaction(signal, {SIG_DFL, empty mask, no flags}, NULL): the disposition a freshly started program has. */
  sigactionDefault(signal: number): SysResult;
  /** sigprocmask(SIG_SETMASK, {}, NULL): no signal blocked. */
  sigprocmaskUnblockAll(): SysResult;
  /** close_range(first, last, flags) (glibc 2.34+; without it, -1 ENOSYS). */
  closeRange(first: number, last: number, flags: number): SysResult;
  /**
   * execvp(file, argv): replaces the process, so it returns only on failure (-1 and errno). Every string is
   * passed as a NUL-terminated C string and argv as a NULL-terminated array: none may contain a NUL itself.
   */
  execvp(file: string, argv: readonly string[]): SysResult;
  // --- packet capture (--packets), bound on first use ---
  /** setsockopt(SOL_SOCKET, SO_ATTACH_FILTER, {count, instructions}): a classic BPF program, 8 bytes per instruction. */
  attachFilter(fd: number, program: Buffer): SysResult;
  /** bind(fd, sockaddr_ll{AF_PACKET, htons(protocol), any interface}). */
  bindPacket(fd: number, protocol: number): SysResult;
  /** recvfrom(fd, into, into.length, flags, &sockaddr_ll, &len): one packet, cut to `into` (MSG_TRUNC: ret is its length). */
  recvPacket(fd: number, into: Buffer, flags: number): PacketReadResult;
  /** ioctl(fd, SIOCGSTAMPNS, &timespec): when the kernel stamped the last packet read. */
  lastPacketTime(fd: number): TimestampResult;
  /** getsockopt(SOL_PACKET, PACKET_STATISTICS): packets queued and dropped since the last read. */
  packetStatistics(fd: number): PacketStatistics;
  /** ioctl(fd, SIOCGIFNAME, &ifreq): the name of interface `index` in the socket's network namespace; null if none. */
  interfaceName(fd: number, index: number): string | null;
  /** clock_gettime(CLOCK_REALTIME): packet timestamps' clock, read to relate them to the monotonic one. */
  realtimeNs(): TimestampResult;
}
