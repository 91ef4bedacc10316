import { isUnix, type Endpoint } from '../net/endpoint';
import { C } from './constants';

/**
 * Flag decoders in strace's xlat style: a table of known bits, printed by name in table order, and whatever bits
 * are left printed in hex, never dropped.
 */
type FlagTable = readonly (readonly [bit: number, name: string])[];

function printFlags(value: number, table: FlagTable, none: string): string {
  const names: string[] = [];
  let rest = value;
  for (const [bit, name] of table) {
    if (rest & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join('|') : none;
}

const pollEvents = (): FlagTable => [
  [C.POLLIN, 'POLLIN'],
  [C.POLLOUT, 'POLLOUT'],
  [C.POLLERR, 'POLLERR'],
  [C.POLLHUP, 'POLLHUP'],
  [C.POLLNVAL, 'POLLNVAL'],
];

/** Poll event bits (`POLLOUT|POLLERR|POLLHUP`); `0` for none. */
export function describePollEvents(events: number): string {
  return printFlags(events, pollEvents(), '0');
}

/** Open-file flags as strace prints them: the access mode first (a value, not a bit), then O_NONBLOCK, then the rest in hex. */
export function describeFileFlags(flags: number): string {
  const accessMode = flags & C.O_ACCMODE;
  const mode = accessMode === C.O_RDWR ? 'O_RDWR' : accessMode === C.O_WRONLY ? 'O_WRONLY' : 'O_RDONLY';
  const rest = printFlags(flags & ~C.O_ACCMODE, [[C.O_NONBLOCK, 'O_NONBLOCK']], '');
  return rest ? `${mode}|${rest}` : mode;
}

/** The address family's C name. */
export function familyName(family: 4 | 6 | 'unix'): 'AF_INET' | 'AF_INET6' | 'AF_UNIX' {
  return family === 4 ? 'AF_INET' : family === 6 ? 'AF_INET6' : 'AF_UNIX';
}

/** An endpoint's address family, as familyName() takes it. */
export function endpointFamily(endpoint: Endpoint): 4 | 6 | 'unix' {
  return isUnix(endpoint) ? 'unix' : endpoint.address.family;
}
