import type { Endpoint } from '../net/endpoint';
import { C } from './constants';

/**
 * Encodes a sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) into the start of `buf`, byte for byte as
 * <netinet/in.h> lays them out: sa_family in host order, port in network order, then the address (IPv6: flowinfo
 * before it, scope id after). Returns the length to pass with it.
 */
export function encodeSockaddrInto(buf: Buffer, { address, port }: Endpoint): number {
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

/** Decodes what getsockname() wrote; undefined for a family other than AF_INET / AF_INET6 or a short length. */
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
  return undefined;
}
