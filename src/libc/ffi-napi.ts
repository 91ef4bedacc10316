import ffi = require('ffi-napi');
import { C } from './constants';
import type { Libc, LimitResult, PollRequest, PollResult, SysResult } from './libc';
import { decodeSockaddr } from './sockaddr';

/*
 * The ffi-napi backend. Every wrapper reads errno with ffi.errno() as the very next foreign call after the call
 * itself, and only when that call returned -1: anything in between (another libc call, logging) could overwrite it.
 */
/** The C prototypes as JS sees them through ffi-napi: pointers are Buffers sized by the caller. */
interface LibcSymbols {
  socket(domain: number, type: number, protocol: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  connect(fd: number, sockaddr: Buffer, length: number): number;
  poll(fds: Buffer, count: number, timeoutMs: number): number;
  getsockopt(fd: number, level: number, option: number, value: Buffer, length: Buffer): number;
  setsockopt(fd: number, level: number, option: number, value: Buffer, length: number): number;
  getsockname(fd: number, sockaddr: Buffer, length: Buffer): number;
  getrlimit(resource: number, limits: Buffer): number;
  close(fd: number): number;
  strerror(errno: number): string | null;
}

const lib: LibcSymbols = ffi.Library(null, {
  socket: ['int', ['int', 'int', 'int']],
  fcntl: ['int', ['int', 'int', 'int']],
  connect: ['int', ['int', 'pointer', 'uint32']],
  poll: ['int', ['pointer', 'ulong', 'int']],
  getsockopt: ['int', ['int', 'int', 'int', 'pointer', 'pointer']],
  setsockopt: ['int', ['int', 'int', 'int', 'pointer', 'uint32']],
  getsockname: ['int', ['int', 'pointer', 'pointer']],
  getrlimit: ['int', ['int', 'pointer']],
  close: ['int', ['int']],
  strerror: ['string', ['int']],
}) as unknown as LibcSymbols;

function result(ret: number): SysResult {
  return { ret, errno: ret === -1 ? ffi.errno() : 0 };
}

export const ffiNapiLibc: Libc = {
  backend: 'ffi-napi',
  socket: (domain, type, protocol) => result(lib.socket(domain, type, protocol)),
  fcntl: (fd, cmd, arg) => result(lib.fcntl(fd, cmd, arg)),
  connect: (fd, sockaddr) => result(lib.connect(fd, sockaddr, sockaddr.length)),
  poll(fds: readonly PollRequest[], timeoutMs: number): PollResult {
    const buf = Buffer.alloc(fds.length * C.SIZEOF_POLLFD);
    fds.forEach(({ fd, events }, i) => {
      buf.writeInt32LE(fd, i * C.SIZEOF_POLLFD);
      buf.writeInt16LE(events, i * C.SIZEOF_POLLFD + 4);
    });
    const outcome = result(lib.poll(buf, fds.length, timeoutMs));
    const revents = fds.map((_, i) => buf.readUInt16LE(i * C.SIZEOF_POLLFD + 6));
    return { ...outcome, revents };
  },
  getsockoptInt(fd, level, option) {
    const value = Buffer.alloc(4);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(value.length);
    const outcome = result(lib.getsockopt(fd, level, option, value, length));
    return { ...outcome, value: value.readInt32LE(0) };
  },
  setsockopt: (fd, level, option, value) => result(lib.setsockopt(fd, level, option, value, value.length)),
  getsockname(fd) {
    const storage = Buffer.alloc(C.SIZEOF_SOCKADDR_STORAGE);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(storage.length);
    const outcome = result(lib.getsockname(fd, storage, length));
    const endpoint = outcome.ret === 0 ? decodeSockaddr(storage, length.readUInt32LE(0)) : undefined;
    return { ...outcome, endpoint };
  },
  getrlimit(resource): LimitResult {
    const limits = Buffer.alloc(C.SIZEOF_RLIMIT);
    const outcome = result(lib.getrlimit(resource, limits));
    // rlim_t is 64-bit; RLIM_INFINITY (all ones) becomes Infinity
    const read = (offset: number) => {
      const v = limits.readBigUInt64LE(offset);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
    };
    return { ...outcome, soft: read(0), hard: read(8) };
  },
  close: (fd) => result(lib.close(fd)),
  strerror: (errno) => lib.strerror(errno) ?? `Unknown error ${errno}`,
};
