import { formatAddress, parseIPv4, parseIPv6 } from '../net/address';
import { formatEndpoint, type InetEndpoint } from '../net/endpoint';
import { quote, UsageError } from '../usage';
import { parseHost, parseWholeNumber } from './parse';

const BRACKETED = /^\[([^\]]*)\](?::(.*))?$/;

/**
 * --source ADDR[:PORT], nc's -s and -p in one: `127.0.0.2`, `127.0.0.2:5000`, `::1`, `[::1]:5000`,
 * `[fe80::1%eth0]:5000`. A bare IPv6 address takes no port (`::1:5000` is itself an address): brackets give it
 * one. An address, never a name: the socket binds to exactly what was written. Port 0 (left out): the kernel picks.
 */
export function parseSource(text: string, what = '--source'): InetEndpoint {
  const bracketed = BRACKETED.exec(text);
  const colons = text.split(':').length - 1;
  const [hostText, portText] = bracketed ? [bracketed[1], bracketed[2]] : colons === 1 ? text.split(':') : [text, undefined];
  const malformed = () => new UsageError(`${what} must be ADDR, ADDR:PORT or [IPV6]:PORT, an IP address, not ${quote(text)}`);
  if (hostText === '') throw new UsageError(`${what} needs an address: ${quote(text)} has none (0.0.0.0:PORT or [::]:PORT binds any)`);
  let address;
  if (hostText.includes(':')) {
    try {
      const host = parseHost(hostText); // IPv6, with its %scope: a link-local address needs one
      if (host.kind === 'address') address = host.address;
    } catch (error) {
      if (parseIPv6(hostText.split('%')[0])) throw error; // the address is fine, its scope is not: say which
    }
  } else if (/[A-Za-z]/.test(hostText) && !bracketed) {
    throw new UsageError(`${what} takes an IP address, not a name: ${quote(hostText)}`);
  } else if (!bracketed) {
    address = parseIPv4(hostText);
  }
  if (!address) throw malformed();
  const port = portText === undefined ? 0 : parseWholeNumber(portText, `${what} port`, 1, 65535);
  return { address, port };
}

/** The source as the user wrote it, in messages: `127.0.0.2`, or `127.0.0.2:5000` with a port. */
export function formatSource(source: InetEndpoint): string {
  return source.port ? formatEndpoint(source) : formatAddress(source.address);
}
