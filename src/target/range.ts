import { addressWord, type IpAddress } from '../net/address';
import { quote, thousands, UsageError } from '../usage';

/** At most this many targets (addresses x ports) in one run: 2^24, a /8 on one port. */
export const MAX_TARGETS = 2 ** 24;

/**
 * Several addresses written as one HOST: a CIDR block (`192.0.2.0/24`, `fd00::/120`) or nmap-style octet ranges
 * and lists (`127.0.0.1-4`, `127.0.1,2.1`). Its addresses are made one at a time, in ascending order for CIDR
 * and in the order written for octets; never all at once.
 */
export interface AddressRange {
  readonly kind: 'range';
  readonly text: string;
  readonly family: 4 | 6;
  /** How many addresses, exactly (an IPv6 prefix may hold 2^128: counted, never expanded). */
  readonly size: bigint;
  /** At least as long as the text of any address in it, as formatAddress writes it. */
  readonly width: number;
  addresses(): Iterator<IpAddress>;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function octet(text: string, whole: string): number {
  if (!OCTET.test(text)) throw new UsageError(`octet ranges of ${quote(whole)} take numbers from 0 to 255, not ${quote(text)}`);
  return Number(text);
}

/** One octet as written: `7`, `1-4`, `1,2`, `1-3,7`; each value once, in the order written. */
function octetValues(text: string, whole: string): number[] {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [first, last, ...rest] = part.split('-');
    if (rest.length) throw new UsageError(`octet range must be FIRST-LAST, not ${quote(part)} in ${quote(whole)}`);
    const [from, to] = [octet(first, whole), last === undefined ? octet(first, whole) : octet(last, whole)];
    if (from > to) throw new UsageError(`octet range must go up, not ${quote(part)} in ${quote(whole)}`);
    for (let value = from; value <= to; value++) values.add(value);
  }
  return [...values];
}

function* ipv4Product(octets: readonly (readonly number[])[]): Generator<IpAddress> {
  const [a, b, c, d] = octets;
  for (const w of a) for (const x of b) for (const y of c) for (const z of d) yield { family: 4, bytes: Uint8Array.of(w, x, y, z), scopeId: 0 };
}

/** A product of per-octet values: octet ranges, and every IPv4 CIDR block (its prefix is octet ranges too). */
function ipv4Range(text: string, octets: readonly (readonly number[])[]): AddressRange {
  return {
    kind: 'range',
    text,
    family: 4,
    size: octets.reduce((n, values) => n * BigInt(values.length), 1n),
    width: octets.reduce((n, values) => n + String(Math.max(...values)).length, 3),
    addresses: () => ipv4Product(octets),
  };
}

/** True for what looks like IPv4 octet ranges or lists: digits, dots, and at least one `-` or `,`. */
export function isOctetRange(text: string): boolean {
  return /^[0-9.,-]+$/.test(text) && /[-,]/.test(text);
}

/** `127.0.0.1-4`, `10.0.1,2.1-254`: four octets, each a number, range or list. */
export function parseOctetRange(text: string): AddressRange {
  const parts = text.split('.');
  if (parts.length !== 4) throw new UsageError(`an IPv4 range has four octets, each a number, range or list (127.0.0.1-4), not ${quote(text)}`);
  return ipv4Range(text, parts.map((part) => octetValues(part, text)));
}

/**
 * A CIDR block around `base` (its host bits are ignored, as nmap does). Every address in it is probed, the network
 * and broadcast addresses included, as nmap scans them. IPv6 blocks larger than MAX_TARGETS are refused by their
 * prefix length alone.
 */
export function cidrRange(text: string, base: IpAddress, prefixText: string): AddressRange {
  const bits = base.family === 4 ? 32 : 128;
  const prefix = /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) throw new UsageError(`the prefix length of ${quote(text)} must be from 0 to ${bits}, not ${quote(prefixText)}`);
  const hostBits = bits - prefix;
  if (hostBits > Math.log2(MAX_TARGETS)) throw tooMany(text, 2n ** BigInt(hostBits));
  const bytes = Uint8Array.from(base.bytes, (byte, i) => byte & maskByte(i, prefix));
  if (base.family === 4) {
    const octets = Array.from(bytes, (byte, i) => {
      const free = 0xff & ~maskByte(i, prefix);
      return Array.from({ length: free + 1 }, (_, k) => byte + k);
    });
    return ipv4Range(text, octets);
  }
  // at most 24 host bits: the last four bytes, read as a number, carry every address of the block
  const low = addressWord(bytes, 12);
  const size = 2 ** hostBits;
  const last = Uint8Array.from(bytes, (byte, i) => byte | (0xff & ~maskByte(i, prefix)));
  let width = 7;
  for (let i = 0; i < 16; i += 2) width += ((last[i] << 8) | last[i + 1]).toString(16).length;
  if (base.scopeId) width += 1 + (base.scopeName ?? String(base.scopeId)).length;
  return {
    kind: 'range',
    text,
    family: 6,
    size: BigInt(size),
    width,
    *addresses() {
      for (let k = 0; k < size; k++) {
        const address = bytes.slice();
        const value = (low + k) >>> 0;
        address[12] = value >>> 24;
        address[13] = (value >>> 16) & 0xff;
        address[14] = (value >>> 8) & 0xff;
        address[15] = value & 0xff;
        yield { ...base, bytes: address };
      }
    },
  };
}

/** The mask of byte `i` under a prefix of `prefix` bits. */
function maskByte(i: number, prefix: number): number {
  const bits = Math.min(8, Math.max(0, prefix - 8 * i));
  return (0xff00 >> bits) & 0xff;
}

/** The usage error for a run that would probe more than MAX_TARGETS targets. */
export function tooMany(text: string, targets: bigint): UsageError {
  return new UsageError(`${quote(text)} makes ${thousands(targets)} targets; at most ${thousands(BigInt(MAX_TARGETS))} (2^24) in one run`);
}
