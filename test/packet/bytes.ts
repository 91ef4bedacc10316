import { parseIPv4, parseIPv6 } from '../../src/net/address';

/**
 * Hand-made packets, from the network header on (what a cooked AF_PACKET socket reads), for the decoder's, the
 * filter's and the formatter's tests. Checksums stay 0: nothing here reads them.
 */

export interface TcpSpec {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly seq?: number;
  readonly ack?: number;
  /** The flag byte (0x02 SYN, 0x12 SYN-ACK, 0x14 RST-ACK, 0x10 ACK, 0x11 FIN-ACK). */
  readonly flags: number;
  readonly window?: number;
  /** Raw option bytes (padded to a multiple of 4 here). */
  readonly options?: readonly number[];
  readonly payload?: number;
}

const v4 = (text: string) => parseIPv4(text)!.bytes;
const v6 = (text: string) => parseIPv6(text)!.bytes;

export function tcpSegment(spec: TcpSpec): Buffer {
  const options = [...(spec.options ?? [])];
  while (options.length % 4) options.push(0);
  const header = Buffer.alloc(20 + options.length + (spec.payload ?? 0));
  header.writeUInt16BE(spec.sport, 0);
  header.writeUInt16BE(spec.dport, 2);
  header.writeUInt32BE((spec.seq ?? 0) >>> 0, 4);
  header.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  header[12] = ((20 + options.length) / 4) << 4;
  header[13] = spec.flags;
  header.writeUInt16BE(spec.window ?? 65495, 14);
  Buffer.from(options).copy(header, 20);
  return header;
}

/** An IPv4 packet around `payload` (protocol 6 TCP, 1 ICMP, 17 UDP); `ihl` in 32-bit words (5: no options). */
export function ipv4(src: string, dst: string, protocol: number, payload: Buffer, ihl = 5): Buffer {
  const header = Buffer.alloc(ihl * 4);
  header[0] = 0x40 | ihl;
  header.writeUInt16BE(header.length + payload.length, 2);
  header[8] = 64;
  header[9] = protocol;
  Buffer.from(v4(src)).copy(header, 12);
  Buffer.from(v4(dst)).copy(header, 16);
  for (let i = 20; i < header.length; i++) header[i] = 1; // IP options: NOPs
  return Buffer.concat([header, payload]);
}

export function ipv6(src: string, dst: string, nextHeader: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(payload.length, 4);
  header[6] = nextHeader;
  header[7] = 64;
  Buffer.from(v6(src)).copy(header, 8);
  Buffer.from(v6(dst)).copy(header, 24);
  return Buffer.concat([header, payload]);
}

export const tcp4 = (spec: TcpSpec) => ipv4(spec.src, spec.dst, 6, tcpSegment(spec));
export const tcp6 = (spec: TcpSpec) => ipv6(spec.src, spec.dst, 6, tcpSegment(spec));

/** An ICMP (v4) error of `type`/`code` quoting `about` (an IPv4 packet) as a router does: its header and 8 bytes. */
export function icmp4Error(src: string, dst: string, type: number, code: number, about: Buffer): Buffer {
  const ihl = (about[0] & 0x0f) * 4;
  const body = Buffer.concat([Buffer.from([type, code, 0, 0, 0, 0, 0, 0]), about.subarray(0, ihl + 8)]);
  return ipv4(src, dst, 1, body);
}

export function icmp6Error(src: string, dst: string, type: number, code: number, about: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([type, code, 0, 0, 0, 0, 0, 0]), about]);
  return ipv6(src, dst, 58, body);
}

/** The options a Linux SYN carries: mss 65495, sackOK, TS val/ecr, nop, wscale 10. */
export const SYN_OPTIONS = [2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 10];
