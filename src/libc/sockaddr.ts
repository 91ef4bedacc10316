import { isUnix, type Endpoint, type UnixEndpoint } from '../net/endpoint';
import { C } from './constants';

/**
 * Encodes a sockaddr_in (16 bytes), sockaddr_in6 (28 bytes) or sockaddr_un into the start of `buf`, byte for byte
 * as <netinet/in.h> and <sys/un.h> lay them out: sa_family in host order, port in network order, then the address
 * (IPv6: flowinfo before it, scope id after). Returns the length to pass with it.
 */
export function encodeSockaddrInto(buf: Buffer, endpoint: Endpoint): number {
  if (isUnix(endpoint)) return encodeSockaddrUnInto(buf, endpoint);
  const { address, port } = endpoint;
  const length = address.family === 4 ? C.SIZEOF_SOCKADDR_IN : C.SIZEOF_SOCKADDR_IN6;
  buf.fill(0, 0, length);
  // sa_family_t is host order; both supported platforms are little-endian
  buf.writeUInt16LE(address.family === 4 ? C.AF_INET : C.AF_INET6, 0);
  buf.writeUInt16BE(port, 2);
  if (address.family === 4) {
    buf.set(address.bytes, 4); // bytes 8..15 (sin_zero) stay 0
  } else {
    buf.set(address.bytes, 8); // after sin6_flowinfo (0)
    buf.writeUInt32LE(address.scopeId, 24); // sin6_scope_id, host order
  }
  return length;
}

/** The bytes of a unix endpoint's name in sun_path: the path, or the abstract name without its `@`. */
function unixNameBytes({ path }: UnixEndpoint): { abstract: boolean; name: Buffer } {
  const abstract = path.startsWith('@');
  return { abstract, name: Buffer.from(abstract ? path.slice(1) : path, 'utf8') };
}

/**
 * Why a unix endpoint cannot be put in a sockaddr_un, or undefined if it can: a pathname needs room for its NUL
 * (107 bytes at most), an abstract name fills sun_path after the leading NUL exactly (107 bytes at most), and
 * a NUL inside would cut a pathname short. Checked before any call (target parsing), and again when encoding.
 */
export function unixAddressProblem(endpoint: UnixEndpoint): string | undefined {
  const { abstract, name } = unixNameBytes(endpoint);
  const room = C.SIZEOF_SUN_PATH - 1;
  if (name.length === 0) return abstract ? 'an abstract name needs at least one byte after @' : 'a path is needed';
  if (name.includes(0)) return 'a unix socket name cannot contain a NUL byte';
  if (name.length > room) {
    return `${abstract ? 'an abstract name' : 'a path'} fits sun_path in ${room} bytes at most${abstract ? '' : ' (plus its NUL)'}, not ${name.length}`;
  }
  return undefined;
}

/**
 * sockaddr_un. A pathname's length is offsetof(sun_path) + strlen + 1, with its NUL: what the kernel itself
 * reports for a bound pathname (getsockname, getpeername) and what Python and Go pass. An abstract name's is
 * offsetof(sun_path) + 1 + its length exactly: the leading NUL, and no trailing one (a NUL there would be part of
 * the name).
 */
function encodeSockaddrUnInto(buf: Buffer, endpoint: UnixEndpoint): number {
  const problem = unixAddressProblem(endpoint);
  if (problem) throw new RangeError(problem); // the parser refused it already: this is a bug, not a crash
  const { abstract, name } = unixNameBytes(endpoint);
  const start = C.OFFSETOF_SUN_PATH + (abstract ? 1 : 0);
  const length = start + name.length + (abstract ? 0 : 1);
  buf.fill(0, 0, length);
  buf.writeUInt16LE(C.AF_UNIX, 0);
  name.copy(buf, start);
  return length;
}

/** Decodes what getsockname() wrote; undefined for an unknown family or a short length. */
export function decodeSockaddr(buf: Buffer, length: number): Endpoint | undefined {
  if (length < 2) return undefined;
  const family = buf.readUInt16LE(0);
  if (family === C.AF_INET && length >= C.SIZEOF_SOCKADDR_IN) {
    return {
      address: { family: 4, bytes: Uint8Array.from(buf.subarray(4, 8)), scopeId: 0 },
      port: buf.readUInt16BE(2),
    };
  }
  if (family === C.AF_INET6 && length >= C.SIZEOF_SOCKADDR_IN6) {
    return {
      address: { family: 6, bytes: Uint8Array.from(buf.subarray(8, 24)), scopeId: buf.readUInt32LE(24) },
      port: buf.readUInt16BE(2),
    };
  }
  if (family === C.AF_UNIX) return decodeSockaddrUn(buf, Math.min(length, C.OFFSETOF_SUN_PATH + C.SIZEOF_SUN_PATH));
  return undefined;
}

/**
 * sockaddr_un as the kernel reports it: length 2 is an unnamed socket; a leading NUL is an abstract name, every
 * byte up to the length (NULs included); otherwise a pathname up to its NUL.
 */
function decodeSockaddrUn(buf: Buffer, length: number): UnixEndpoint {
  const sunPath = buf.subarray(C.OFFSETOF_SUN_PATH, length);
  if (sunPath.length === 0) return { family: 'unix', path: '' };
  if (sunPath[0] === 0) return { family: 'unix', path: `@${sunPath.subarray(1).toString('utf8')}` };
  const end = sunPath.indexOf(0);
  return { family: 'unix', path: sunPath.subarray(0, end < 0 ? sunPath.length : end).toString('utf8') };
}
