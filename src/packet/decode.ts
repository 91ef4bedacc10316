import type { IpAddress } from '../net/address';

/** Protocol numbers in the IP header (IPv4's protocol, IPv6's next header). */
export const IP_PROTOCOL = { TCP: 6, ICMP: 1, ICMPV6: 58 } as const;
const { TCP, ICMP, ICMPV6 } = IP_PROTOCOL;

/** The TCP flag bits, in the order tcpdump writes their letters (FIN SYN RST PSH ACK URG ECE CWR). */
const FLAG_LETTERS: readonly (readonly [number, string])[] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** A TCP header, as far as tcpdump shows it. */
export interface TcpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** The flag bits (TCP_SYN, TCP_ACK, ...). */
  readonly flags: number;
  readonly window: number;
  /** Each option as tcpdump writes it: `mss 65495`, `sackOK`, `TS val 1 ecr 0`, `nop`, `wscale 7`. */
  readonly options: readonly string[];
  /** Bytes of payload after the header. */
  readonly payloadLength: number;
}

/** The header of the segment an ICMP error is about, as the ICMP message quotes it (ports from its first 8 bytes). */
export interface QuotedSegment {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly srcPort: number;
  readonly dstPort: number;
}

export interface IcmpMessage {
  readonly type: number;
  readonly code: number;
  /** ICMP message length (header and body), tcpdump's `length`. */
  readonly length: number;
  /** For an error (destination unreachable, time exceeded, ...): the segment it is about; null otherwise. */
  readonly quoted: QuotedSegment | null;
}

/** One IP packet, decoded as far as connprobe reads it. */
export interface DecodedPacket {
  readonly family: 4 | 6;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly tcp: TcpHeader | null;
  readonly icmp: IcmpMessage | null;
}

/** tcpdump's letters for a set of TCP flags (`S`, `S.`, `R.`, `F.`, `.`); `none` when no flag is set. */
export function flagLetters(flags: number): string {
  let text = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) text += letter;
  return text || 'none';
}

const address = (bytes: Uint8Array, family: 4 | 6): IpAddress => ({ family, bytes: Uint8Array.from(bytes), scopeId: 0 });

/** The length each fixed-size option must have: mss, wscale, sackOK, TS. */
const OPTION_LENGTHS: Readonly<Record<number, number>> = { 2: 4, 3: 3, 4: 2, 8: 10 };

/** TCP options as tcpdump prints them; a malformed list ends with `bad opt`, as tcpdump's does. */
function tcpOptions(bytes: Uint8Array): string[] {
  const options: string[] = [];
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < bytes.length; ) {
    const kind = bytes[i];
    if (kind === 0) {
      options.push('eol');
      break;
    }
    if (kind === 1) {
      options.push('nop');
      i++;
      continue;
    }
    const length = bytes[i + 1];
    if (length === undefined || length < 2 || i + length > bytes.length) {
      options.push('bad opt');
      break;
    }
    const at = i + 2;
    if (OPTION_LENGTHS[kind] !== undefined && length !== OPTION_LENGTHS[kind]) {
      options.push('bad opt'); // tcpdump stops here too: what follows cannot be trusted
      break;
    }
    switch (kind) {
      case 2:
        options.push(`mss ${view.readUInt16BE(at)}`);
        break;
      case 3:
        options.push(`wscale ${bytes[at]}`);
        break;
      case 4:
        options.push('sackOK');
        break;
      case 5: {
        const blocks: string[] = [];
        for (let b = at; b + 8 <= i + length; b += 8) blocks.push(`{${view.readUInt32BE(b)}:${view.readUInt32BE(b + 4)}}`);
        options.push(`sack ${blocks.length} ${blocks.join('')}`);
        break;
      }
      case 8:
        options.push(`TS val ${view.readUInt32BE(at)} ecr ${view.readUInt32BE(at + 4)}`);
        break;
      default:
        options.push(`unknown-${kind}`);
    }
    i += length;
  }
  return options;
}

function tcpHeader(bytes: Buffer, at: number, end: number, withOptions: boolean): TcpHeader | null {
  if (at + 20 > bytes.length) return null;
  const headerLength = (bytes[at + 12] >> 4) * 4;
  const optionsEnd = Math.min(at + headerLength, bytes.length);
  return {
    srcPort: bytes.readUInt16BE(at),
    dstPort: bytes.readUInt16BE(at + 2),
    seq: bytes.readUInt32BE(at + 4),
    ack: bytes.readUInt32BE(at + 8),
    flags: bytes[at + 13],
    window: bytes.readUInt16BE(at + 14),
    options: withOptions ? tcpOptions(bytes.subarray(at + 20, optionsEnd)) : NO_OPTIONS,
    payloadLength: Math.max(0, end - at - headerLength),
  };
}

/** The IP header at `at`: addresses, protocol, where the payload starts and ends (from the header's own length). */
function ipHeader(bytes: Buffer, at: number): { family: 4 | 6; src: IpAddress; dst: IpAddress; protocol: number; payload: number; end: number } | null {
  const version = bytes[at] >> 4;
  if (version === 4 && at + 20 <= bytes.length) {
    const headerLength = (bytes[at] & 0x0f) * 4;
    return {
      family: 4,
      src: address(bytes.subarray(at + 12, at + 16), 4),
      dst: address(bytes.subarray(at + 16, at + 20), 4),
      protocol: bytes[at + 9],
      payload: at + headerLength,
      end: at + bytes.readUInt16BE(at + 2),
    };
  }
  if (version === 6 && at + 40 <= bytes.length) {
    return {
      family: 6,
      src: address(bytes.subarray(at + 8, at + 24), 6),
      dst: address(bytes.subarray(at + 24, at + 40), 6),
      protocol: bytes[at + 6], // extension headers are not followed: a probe's segments carry none
      payload: at + 40,
      end: at + 40 + bytes.readUInt16BE(at + 4),
    };
  }
  return null;
}

/**
 * ICMP types that quote the packet they are about: v4 destination unreachable, source quench, redirect, time
 * exceeded, parameter problem; v6 destination unreachable, packet too big, time exceeded, parameter problem.
 */
export const ICMP_ERRORS: Readonly<Record<4 | 6, readonly number[]>> = { 4: [3, 4, 5, 11, 12], 6: [1, 2, 3, 4] };

function icmpMessage(bytes: Buffer, family: 4 | 6, at: number, end: number): IcmpMessage | null {
  if (at + 8 > bytes.length) return null;
  const type = bytes[at];
  let quoted: QuotedSegment | null = null;
  if (ICMP_ERRORS[family].includes(type)) {
    const inner = ipHeader(bytes, at + 8);
    if (inner && inner.payload + 4 <= bytes.length) {
      quoted = { src: inner.src, dst: inner.dst, protocol: inner.protocol, srcPort: bytes.readUInt16BE(inner.payload), dstPort: bytes.readUInt16BE(inner.payload + 2) };
    }
  }
  return { type, code: bytes[at + 1], length: end - at, quoted };
}

const NO_OPTIONS: readonly string[] = [];

/**
 * Decodes a packet from its network header on (what a cooked AF_PACKET socket reads); null for what connprobe
 * does not read (neither TCP nor ICMP, or cut short). `bytes` may be cut to a snap length; lengths come from the
 * headers. Without `withOptions`, TCP options are not decoded (none are shown).
 */
export function decodePacket(bytes: Buffer, withOptions = true): DecodedPacket | null {
  const ip = ipHeader(bytes, 0);
  if (!ip) return null;
  const { family, src, dst } = ip;
  if (ip.protocol === TCP) {
    const tcp = tcpHeader(bytes, ip.payload, ip.end, withOptions);
    return tcp && { family, src, dst, tcp, icmp: null };
  }
  if (ip.protocol === (family === 4 ? ICMP : ICMPV6)) {
    const icmp = icmpMessage(bytes, family, ip.payload, ip.end);
    return icmp && { family, src, dst, tcp: null, icmp };
  }
  return null;
}
