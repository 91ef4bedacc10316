import { parseIPv4, parseIPv6, type IpAddress } from './address';

/** The resolution step, shown and timed like a call. */
export interface Resolution {
  readonly name: string;
  /** Every address in the resolver's order. Empty when the name did not resolve. */
  readonly addresses: readonly IpAddress[];
  /** The resolver's error code (`ENOTFOUND`, `EAI_AGAIN`, ...) when it did not resolve. */
  readonly error: string | null;
  readonly startMs: number;
  readonly durationUs: number;
}

export type Family = 4 | 6;

/**
 * Resolves a name once, through the system resolver (getaddrinfo via Node's dns.lookup: /etc/hosts, then DNS, as
 * nsswitch says), keeping every address in the resolver's order.
 */
export async function resolveName(name: string, family: Family | undefined, origin: number): Promise<Resolution> {
  const start = performance.now();
  const timing = () => ({ startMs: start - origin, durationUs: (performance.now() - start) * 1000 });
  try {
    const { lookup } = require('node:dns/promises') as typeof import('node:dns/promises'); // only when a name is given
    const found = await lookup(name, { all: true, family: family ?? 0, verbatim: true });
    const addresses = found.map((a) => (a.family === 6 ? parseIPv6(a.address) : parseIPv4(a.address)));
    return { name, addresses: addresses.filter((a): a is IpAddress => a !== undefined), error: null, ...timing() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EAI_FAIL';
    return { name, addresses: [], error: code, ...timing() };
  }
}
