import type { Endpoint } from '../net/endpoint';
import { constants } from 'node:os';
import { C } from './constants';
import type { Libc } from './libc';
import { decodeSockaddr, encodeSockaddrInto } from './sockaddr';
import { decodeTcpInfo } from './tcp-info';

/**
 * The C functions as an FFI exposes them: ints in, int out, pointers as Buffers the caller sized. Each backend
 * provides these and nothing more; the C layouts (pollfd, socklen_t, rlimit) are laid out once, here.
 */
export interface LibcSymbols {
  socket(domain: number, type: number, protocol: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  connect(fd: number, sockaddr: Buffer, length: number): number;
  bind(fd: number, sockaddr: Buffer, length: number): number;
  poll(fds: Buffer, count: number, timeoutMs: number): number;
  getsockopt(fd: number, level: number, option: number, value: Buffer, length: Buffer): number;
  setsockopt(fd: number, level: number, option: number, value: Buffer, length: number): number;
  getsockname(fd: number, sockaddr: Buffer, length: Buffer): number;
  getrlimit(resource: number, limits: Buffer): number;
  close(fd: number): number;
  strerror(errno: number): string | null;
  /** sigaction(signal, action, NULL). */
  sigaction(signal: number, action: Buffer): number;
  /** sigprocmask(how, set, NULL). */
  sigprocmask(how: number, set: Buffer): number;
  /** Throws if libc has no such symbol (glibc before 2.34). */
  close_range(first: number, last: number, flags: number): number;
  /** execvp(file, argv + NULL): the backend makes the C strings and the array, alive for the call. */
  execvp(file: string, argv: readonly string[]): number;
  /**
   * setsockopt(fd, level, option, &prog, sizeof prog) with a struct sock_fprog {count, instructions}: the struct
   * holds a pointer, so the backend lays it out (and keeps `instructions` alive for the call).
   */
  setsockopt_fprog(fd: number, level: number, option: number, instructions: Buffer, count: number): number;
  recvfrom(fd: number, into: Buffer, length: number, flags: number, from: Buffer, fromLength: Buffer): number;
  /** ioctl(fd, request, arg) with a pointer argument. */
  ioctl(fd: number, request: number, arg: Buffer): number;
  clock_gettime(clock: number, timespec: Buffer): number;
}

const ENOSYS = constants.errno.ENOSYS;

/**
 * A Libc over a backend's symbols. `errno` must read the calling thread's errno as the very next foreign call:
 * it is called right after a call returned -1 and only then (errno means nothing after a success), with nothing
 * in between that could overwrite it.
 */
export function libcFromSymbols(backend: string, lib: LibcSymbols, errno: () => number): Libc {
  const result = (ret: number) => ({ ret, errno: ret === -1 ? errno() : 0 });
  // buffers reused across calls: the calls are synchronous, and a sweep makes hundreds of thousands of them
  const socklen = Buffer.alloc(4);
  const intValue = Buffer.alloc(4);
  const storage = Buffer.alloc(C.SIZEOF_SOCKADDR_STORAGE);
  const peer = Buffer.alloc(C.SIZEOF_SOCKADDR_STORAGE);
  const local = Buffer.alloc(C.SIZEOF_SOCKADDR_IN6); // the larger of the two layouts encodeSockaddrInto writes
  const limits = Buffer.alloc(C.SIZEOF_RLIMIT);
  let pollfds = Buffer.alloc(64 * C.SIZEOF_POLLFD);
  const packetFrom = Buffer.alloc(C.SIZEOF_SOCKADDR_LL);
  const packetStats = Buffer.alloc(C.SIZEOF_TPACKET_STATS);
  const timespec = Buffer.alloc(C.SIZEOF_TIMESPEC);
  const timespecCall = (ret: number) => ({
    ret,
    errno: ret === -1 ? errno() : 0,
    ns: ret === -1 ? 0n : timespec.readBigInt64LE(0) * 1_000_000_000n + timespec.readBigInt64LE(8),
  });
  /** connect() or bind(): the endpoint encoded into `sockaddr`, and exactly its length passed. */
  const sockaddrCall = (call: (fd: number, sockaddr: Buffer, length: number) => number, sockaddr: Buffer) => (fd: number, endpoint: Endpoint) => {
    const addrlen = encodeSockaddrInto(sockaddr, endpoint);
    const ret = call(fd, sockaddr, addrlen);
    return { ret, errno: ret === -1 ? errno() : 0, addrlen };
  };
  return {
    backend,
    socket: (domain, type, protocol) => result(lib.socket(domain, type, protocol)),
    fcntl: (fd, cmd, arg) => result(lib.fcntl(fd, cmd, arg)),
    // one buffer for every connect (and one for every bind): an FFI that pins pointers re-pins only on change
    connect: sockaddrCall(lib.connect, peer),
    bind: sockaddrCall(lib.bind, local),
    poll(fds, events, timeoutMs) {
      if (pollfds.length < fds.length * C.SIZEOF_POLLFD) pollfds = Buffer.alloc(fds.length * 2 * C.SIZEOF_POLLFD);
      for (let i = 0; i < fds.length; i++) {
        const offset = i * C.SIZEOF_POLLFD;
        pollfds.writeInt32LE(fds[i], offset);
        pollfds.writeInt16LE(events, offset + 4);
        pollfds.writeInt16LE(0, offset + 6);
      }
      const ret = lib.poll(pollfds, fds.length, timeoutMs);
      const err = ret === -1 ? errno() : 0;
      const revents = new Array<number>(fds.length);
      for (let i = 0; i < fds.length; i++) revents[i] = pollfds.readUInt16LE(i * C.SIZEOF_POLLFD + 6);
      return { ret, errno: err, revents };
    },
    getsockoptInt(fd, level, option) {
      socklen.writeUInt32LE(intValue.length);
      const ret = lib.getsockopt(fd, level, option, intValue, socklen);
      return { ret, errno: ret === -1 ? errno() : 0, value: intValue.readInt32LE(0) };
    },
    getTcpInfo(fd) {
      const info = Buffer.alloc(C.SIZEOF_TCP_INFO);
      socklen.writeUInt32LE(info.length);
      const outcome = result(lib.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO, info, socklen));
      const optlen = socklen.readUInt32LE(0);
      return { ...outcome, optlen, info: outcome.ret === 0 ? decodeTcpInfo(info, Math.min(optlen, info.length)) : null };
    },
    setsockopt: (fd, level, option, value) => result(lib.setsockopt(fd, level, option, value, value.length)),
    getsockname(fd) {
      socklen.writeUInt32LE(storage.length);
      const outcome = result(lib.getsockname(fd, storage, socklen));
      return { ...outcome, endpoint: outcome.ret === 0 ? decodeSockaddr(storage, socklen.readUInt32LE(0)) : undefined };
    },
    getrlimit(resource) {
      const outcome = result(lib.getrlimit(resource, limits));
      // rlim_t is 64-bit; RLIM_INFINITY (all ones) becomes Infinity
      const read = (offset: number) => {
        const value = limits.readBigUInt64LE(offset);
        return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
      };
      return { ...outcome, soft: read(0), hard: read(8) };
    },
    close: (fd) => result(lib.close(fd)),
    strerror: (n) => lib.strerror(n) ?? `Unknown error ${n}`,
    // all zero: SIG_DFL, an empty sa_mask, no sa_flags
    sigactionDefault: (signal) => result(lib.sigaction(signal, Buffer.alloc(C.SIZEOF_SIGACTION))),
    sigprocmaskUnblockAll: () => result(lib.sigprocmask(C.SIG_SETMASK, Buffer.alloc(C.SIZEOF_SIGSET))),
    closeRange(first, last, flags) {
      let ret: number;
      try {
        ret = lib.close_range(first, last, flags);
      } catch {
        return { ret: -1, errno: ENOSYS }; // an older glibc: the symbol is missing, as the syscall would be
      }
      return result(ret);
    },
    execvp(file, argv) {
      if ([file, ...argv].some((s) => s.includes('\0'))) throw new RangeError('execvp: a C string cannot contain NUL');
      return result(lib.execvp(file, argv));
    },
    attachFilter(fd, program) {
      if (program.length === 0 || program.length % C.SIZEOF_SOCK_FILTER !== 0) throw new RangeError('attachFilter: a program is whole 8-byte instructions');
      return result(lib.setsockopt_fprog(fd, C.SOL_SOCKET, C.SO_ATTACH_FILTER, program, program.length / C.SIZEOF_SOCK_FILTER));
    },
    bindPacket(fd, protocol) {
      const sll = Buffer.alloc(C.SIZEOF_SOCKADDR_LL); // sll_ifindex 0: every interface
      sll.writeUInt16LE(C.AF_PACKET, 0);
      sll.writeUInt16BE(protocol, 2);
      return result(lib.bind(fd, sll, sll.length));
    },
    recvPacket(fd, into, flags) {
      socklen.writeUInt32LE(packetFrom.length);
      const ret = lib.recvfrom(fd, into, into.length, flags, packetFrom, socklen);
      // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, ...; one object per packet
      return { ret, errno: ret === -1 ? errno() : 0, protocol: packetFrom.readUInt16BE(2), ifindex: packetFrom.readInt32LE(4), packetType: packetFrom[10] };
    },
    lastPacketTime: (fd) => timespecCall(lib.ioctl(fd, C.SIOCGSTAMPNS, timespec)),
    interfaceName(fd, index) {
      const ifreq = Buffer.alloc(C.SIZEOF_IFREQ);
      ifreq.writeInt32LE(index, C.IFNAMSIZ);
      if (lib.ioctl(fd, C.SIOCGIFNAME, ifreq) === -1) return null;
      const name = ifreq.subarray(0, C.IFNAMSIZ);
      return name.subarray(0, name.indexOf(0) < 0 ? C.IFNAMSIZ : name.indexOf(0)).toString('latin1');
    },
    realtimeNs: () => timespecCall(lib.clock_gettime(C.CLOCK_REALTIME, timespec)),
    packetStatistics(fd) {
      socklen.writeUInt32LE(packetStats.length);
      const outcome = result(lib.getsockopt(fd, C.SOL_PACKET, C.PACKET_STATISTICS, packetStats, socklen));
      return { ...outcome, packets: packetStats.readUInt32LE(0), drops: packetStats.readUInt32LE(4) };
    },
  };
}
