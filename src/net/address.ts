/** A numeric IP address, as bytes in network order plus the text the user should see. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  /** IPv6 scope (interface index) for link-local addresses; 0 when none. */
  readonly scopeId: number;
  /** The interface name the scope came from, when the user gave a name (`fe80::1%lo`). */
  readonly scopeName?: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses a dotted-quad IPv4 address strictly (no octal, no shorthand like `127.1`). */
export function parseIPv4(text: string): IpAddress | undefined {
  if (!IPV4.test(text)) return undefined;
  return { family: 4, bytes: Uint8Array.from(text.split('.').map(Number)), scopeId: 0 };
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses an IPv6 address (RFC 4291 text forms, including `::` and an embedded IPv4 tail) into 16 bytes.
 * The scope suffix (`%lo`, `%1`) is split off by the caller, which knows how to resolve interface names.
 */
export function parseIPv6(text: string): IpAddress | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (!v4) return undefined;
        out.push((v4.bytes[0] << 8) | v4.bytes[1], (v4.bytes[2] << 8) | v4.bytes[3]);
      } else if (HEXTET.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return { family: 6, bytes, scopeId: 0 };
}

/** The 32-bit number at `offset` of an address's bytes, in network order (an IPv4 address is one). */
export function addressWord(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

/** fe80::/10: an address that means something only on one link, so a connect() must say which (the scope). */
export function isLinkLocal(address: IpAddress): boolean {
  return address.family === 6 && address.bytes[0] === 0xfe && (address.bytes[1] & 0xc0) === 0x80;
}

/** Formats an address the way `inet_ntop` does (RFC 5952 for IPv6: lower case, longest zero run as `::`). */
export function formatAddress(address: IpAddress): string {
  const { bytes } = address;
  if (address.family === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  let text =
    bestStart < 0 ? hex(0, 8) : `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
  if (address.scopeId !== 0) text += `%${address.scopeName ?? address.scopeId}`;
  return text;
}
