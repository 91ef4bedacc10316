import { parseIPv4, parseIPv6, type IpAddress } from '../net/address';
import { sameAddress } from '../net/endpoint';

/** The resolution step, shown and timed like a call. */
export interface Resolution {
  readonly name: string;
  /** Every address in the resolver's order, each once. Empty when the name did not resolve. */
  readonly addresses: readonly IpAddress[];
  /** The resolver's error code (`ENOTFOUND`, `EAI_AGAIN`, ...) when it did not resolve. */
  readonly error: string | null;
  readonly startMs: number;
  readonly durationUs: number;
}

export type Family = 4 | 6;

/** Each address once, in the resolver's order (/etc/hosts may list one address twice for a name). */
function distinct(addresses: readonly IpAddress[]): IpAddress[] {
  return addresses.filter((a, i) => addresses.findIndex((b) => sameAddress(a, b)) === i);
}

/**
 * Resolves a name through the system resolver (getaddrinfo via Node's dns.lookup: /etc/hosts, then DNS, as
 * nsswitch says), keeping every address in the resolver's order.
 */
export async function resolveName(name: string, family: Family | null, origin: number): Promise<Resolution> {
  const start = performance.now();
  const timing = () => ({ startMs: start - origin, durationUs: (performance.now() - start) * 1000 });
  try {
    const { lookup } = require('node:dns/promises') as typeof import('node:dns/promises'); // only when a name is given
    const found = await lookup(name, { all: true, family: family ?? 0, verbatim: true });
    const addresses = found.map((a) => (a.family === 6 ? parseIPv6(a.address) : parseIPv4(a.address)));
    return { name, addresses: distinct(addresses.filter((a): a is IpAddress => a !== undefined)), error: null, ...timing() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EAI_FAIL';
    return { name, addresses: [], error: code, ...timing() };
  }
}

/**
 * A run's resolver: a name many targets share (`db 5432-5440`) is looked up once; a name that did not resolve is
 * looked up again when asked again (a compose service that appears while we wait).
 */
export class Resolver {
  private readonly answers = new Map<string, Promise<Resolution>>();

  constructor(private readonly family: Family | null, private readonly origin: number) {}

  resolve(name: string): Promise<Resolution> {
    let answer = this.answers.get(name);
    if (!answer) {
      answer = resolveName(name, this.family, this.origin);
      this.answers.set(name, answer);
      void answer.then((r) => {
        if (r.error || r.addresses.length === 0) this.answers.delete(name);
      });
    }
    return answer;
  }
}
