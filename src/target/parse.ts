import { readFileSync } from 'node:fs';
import { formatAddress, isLinkLocal, parseIPv4, parseIPv6, type IpAddress } from '../net/address';
import { quote, UsageError } from '../usage';
import { cidrRange, isOctetRange, MAX_TARGETS, parseOctetRange, tooMany, type AddressRange } from './range';
import { serviceTable } from './services';
import { isUnixTarget, parseUnixTarget, type UnixHostSpec, type UnixTargetSpec } from './unix';

const DIGITS = /^[0-9]+$/;

/** A whole number in [min, max] written in plain decimal digits (no sign, exponent, hex or spaces). */
export function parseWholeNumber(text: string, what: string, min: number, max: number): number {
  const value = DIGITS.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not ${quote(text)}`);
  }
  return value;
}

export function parsePort(text: string): number {
  return parseWholeNumber(text, 'port', 1, 65535);
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** poll() takes an int of milliseconds. */
const MAX_DURATION_MS = 2 ** 31 - 1;
const BARE_NUMBER = /^[0-9]+(?:\.[0-9]+)?$/;

/**
 * `250ms`, `2s`, `1.5s`, `1m`, `1h`; a bare number is seconds (`30`, `0.5`), as in timeout(1), nc -w, ping -W and
 * curl --max-time. Whole milliseconds within [minMs, 2^31-1].
 */
export function parseDuration(text: string, what: string, minMs: number): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(text);
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']) : NaN;
  if (!(ms >= minMs && ms <= MAX_DURATION_MS)) {
    throw new UsageError(
      `${what} must be a duration like 250ms, 2s, 1.5m or 1h (a bare number is seconds), at least ${minMs}ms, not ${quote(text)}`,
    );
  }
  return ms;
}

/** --wait: a duration, or `inf` or zero (as wait-for-it's `-t 0`) for no deadline at all: Infinity. */
export function parseWait(text: string, what: string): number {
  if (text === 'inf' || /^0+(?:\.0+)?(?:ms|s|m|h)?$/.test(text)) return Infinity;
  return parseDuration(text, what, 1);
}

/**
 * A bare number meant milliseconds before it meant seconds: from 100 up, a command line written then (`-t 500`)
 * most likely still means milliseconds, so it is said once (the run goes on, in seconds).
 */
export function bareSecondsWarning(text: string, what: string): string | undefined {
  if (!BARE_NUMBER.test(text) || Number(text) < 100) return undefined;
  return `${what} ${text} is ${text} seconds; did you mean ${text}ms?`;
}

/** What the user named as a host: an address to use as it is, or a name to resolve. */
export type HostSpec =
  | { readonly kind: 'address'; readonly text: string; readonly address: IpAddress }
  | { readonly kind: 'name'; readonly text: string };

// underscores too: docker-compose v1 names its containers project_db_1, and resolvers take them
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}\\.?$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/** The index of a network interface, as the kernel numbers it (what if_nametoindex returns). */
function interfaceIndex(name: string): number | undefined {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(name)) return undefined;
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** sin6_scope_id is a uint32; 0 means no scope. */
const MAX_SCOPE_ID = 2 ** 32 - 1;

function parseScopedIPv6(text: string): IpAddress | undefined {
  const [bare, scope, ...rest] = text.split('%');
  const address = parseIPv6(bare);
  if (!address || rest.length) return undefined;
  if (scope === undefined) {
    // the kernel would refuse it (EINVAL) once the FFI is loaded; said here, before any call
    if (isLinkLocal(address)) throw new UsageError(`link-local address ${quote(text)} needs a scope, the interface to use: e.g. ${bare}%eth0`);
    return address;
  }
  if (DIGITS.test(scope)) {
    const scopeId = Number(scope);
    if (!(scopeId >= 1 && scopeId <= MAX_SCOPE_ID)) {
      throw new UsageError(`the scope of ${quote(text)} must be an interface name or index from 1 to ${MAX_SCOPE_ID}, not ${quote(scope)}`);
    }
    return { ...address, scopeId };
  }
  const index = interfaceIndex(scope);
  if (index === undefined) throw new UsageError(`no network interface ${quote(scope)} for the scope of ${quote(text)}`);
  return { ...address, scopeId: index, scopeName: scope };
}

/** An international name in the ASCII form the resolver is asked for (`bücher.example` -> `xn--bcher-kva.example`). */
function internationalName(name: string, text: string): string {
  const { domainToASCII } = require('node:url') as typeof import('node:url'); // only when such a name is given
  const ascii = domainToASCII(name);
  // full-width digits map to an IPv4 address: a name must stay a name
  if (!HOST_NAME.test(ascii) || /^[0-9.]+$/.test(ascii)) throw new UsageError(`host ${quote(text)} is not a valid international domain name`);
  return ascii;
}

/**
 * A host: dotted-quad IPv4, IPv6 (brackets allowed, `%scope` for link-local), or a DNS name (an international one
 * in its ASCII form; underscores allowed). Text made of digits and dots only is an IPv4 address or an error, never
 * a name (`127.1`, `256.0.0.1` are typos, not names).
 */
export function parseHost(text: string): HostSpec {
  const bracketed = text.startsWith('[') && text.endsWith(']');
  const bare = bracketed ? text.slice(1, -1) : text;
  let address: IpAddress | undefined;
  if (bracketed || bare.includes(':')) address = parseScopedIPv6(bare);
  else if (/^[0-9.]+$/.test(bare)) address = parseIPv4(bare);
  else if (/[^\x00-\x7f]/.test(bare)) return { kind: 'name', text: internationalName(bare, text) };
  else if (HOST_NAME.test(bare)) return { kind: 'name', text: bare };
  if (!address) throw new UsageError(`host must be an IPv4 or IPv6 address or a host name, not ${quote(text)}`);
  return { kind: 'address', text: bare, address };
}

/** One thing to probe: a host and a port, or a unix socket (src/target/unix.ts). */
export type TargetSpec = InetTargetSpec | UnixTargetSpec;

export interface InetTargetSpec {
  readonly host: HostSpec;
  readonly port: number;
}

/** What HOST named: one host (an address or a name), or a range of addresses; or a unix socket, with no HOST. */
export type HostPattern = HostSpec | AddressRange | UnixHostSpec;

/**
 * One HOST PORTS expression: each port of each address, addresses outer and ports inner. A unix socket is a group
 * of one target, whose one port is null.
 */
export type TargetGroup =
  | { readonly host: HostSpec | AddressRange; readonly ports: readonly number[] }
  | { readonly host: UnixHostSpec; readonly ports: readonly [null] };

/**
 * A host, or several addresses: a CIDR block (`192.0.2.0/24`, `fd00::/120`, `[fd00::]/120`) or IPv4 octet
 * ranges and lists (`127.0.0.1-4`, `127.0.1,2.1`).
 */
export function parseHostPattern(text: string): HostSpec | AddressRange {
  const bracketed = /^\[([^\]]*)\](\/[^/]*)?$/.exec(text);
  const bare = bracketed ? bracketed[1] + (bracketed[2] ?? '') : text;
  const slash = bare.lastIndexOf('/');
  if (slash >= 0) {
    const base = bare.slice(0, slash);
    const address = base.includes(':') ? parseScopedIPv6(base) : parseIPv4(base);
    if (!address) throw new UsageError(`a CIDR block is ADDRESS/PREFIX (192.0.2.0/24, fd00::/120), not ${quote(text)}`);
    return cidrRange(bare, address, bare.slice(slash + 1));
  }
  if (!bracketed && isOctetRange(text)) return parseOctetRange(text);
  return parseHost(text);
}

/** How many addresses a host pattern stands for. */
export const addressCount = (host: HostPattern): bigint => (host.kind === 'range' ? host.size : 1n);

// a service name as /etc/services writes them: http, http-alt, ms-sql-s, whois++
const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9._+-]*$/;

/** A port number, or a TCP service name looked up as nc does (/etc/services; a built-in table where it is missing). */
function parsePortOrService(text: string): number {
  if (!SERVICE_NAME.test(text)) return parsePort(text);
  const table = serviceTable();
  const port = table.ports.get(text);
  if (port === undefined) throw new UsageError(`port must be a number from 1 to 65535 or a TCP service name (${table.source}), not ${quote(text)}`);
  return port;
}

/**
 * Ports: `80`, `8000-8010`, `80,443,8000-8010`, service names (`http`, `ssh`); in the order given, each once.
 */
export function parsePorts(text: string): number[] {
  const ports = new Set<number>();
  for (const part of text.split(',')) {
    const range = /^([0-9]+)-([0-9]+)$/.exec(part);
    if (!range) {
      ports.add(parsePortOrService(part));
      continue;
    }
    const [first, last] = [parsePort(range[1]), parsePort(range[2])];
    if (first > last) throw new UsageError(`port range must go up, not ${quote(part)}`);
    for (let port = first; port <= last; port++) ports.add(port);
  }
  return [...ports];
}

const HOST_PORTS = /^(\[[^\]]*\](?:\/[0-9]*)?|[^:[\]]+):([^:]*)$/;
/** `scheme://` makes any argument a URL; `tcp:` and `unix:` are schemes even without the slashes (wait-on). */
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const BARE_SCHEME = /^(tcp|unix):/i;

/**
 * A URL target's `HOST:PORTS`: `tcp://HOST:PORT`, `tcp://[V6]:PORT` (dockerize), `tcp:HOST:PORT` and `tcp:PORT`,
 * which is localhost (wait-on); undefined when `text` is not a URL. Other schemes are refused: only a TCP
 * connect() is probed.
 */
function urlTarget(text: string): string | undefined {
  const withSlashes = URL_SCHEME.exec(text);
  const scheme = (withSlashes ?? BARE_SCHEME.exec(text))?.[1].toLowerCase();
  if (scheme === undefined) return undefined;
  if (scheme !== 'tcp') {
    throw new UsageError(`${quote(text)} is a ${scheme} URL, but connprobe probes only a TCP or unix socket connect(): write tcp://HOST:PORT or unix:PATH`);
  }
  const rest = text.slice(withSlashes ? withSlashes[0].length : 4);
  if (!withSlashes && !rest.includes(':') && !rest.startsWith('[')) return `localhost:${rest}`;
  if (!HOST_PORTS.test(rest)) throw new UsageError(`a URL target is tcp://HOST:PORT, tcp://[IPV6]:PORT, tcp:HOST:PORT or tcp:PORT, not ${quote(text)}`);
  return rest;
}

/** `HOST:PORTS`, `[IPV6]:PORTS`, a URL (`tcp://HOST:PORT`) or a unix socket (`unix:/path`) in one argument. */
export function parseHostPorts(text: string): TargetGroup {
  const unix = parseUnixTarget(text);
  if (unix) return { host: unix.host, ports: [null] };
  const match = HOST_PORTS.exec(urlTarget(text) ?? text);
  if (!match) throw new UsageError(`target must be HOST PORT, HOST:PORT or [IPV6]:PORT, not ${quote(text)}`);
  return { host: parseHostPattern(match[1]), ports: parsePorts(match[2]) };
}

const MIX = 'HOST PORTS... and HOST:PORTS... do not mix';
const isWholeTarget = (arg: string) => HOST_PORTS.test(arg) || URL_SCHEME.test(arg) || BARE_SCHEME.test(arg) || isUnixTarget(arg);

/**
 * The positional arguments, in one of two forms that do not mix: `HOST PORTS...` (the first argument is not a
 * HOST:PORTS target or URL, so it is the host, bare IPv6 and address ranges included, and every later one is
 * ports: a number, range, list or service name, as `nc -z host 80 443`), or any number of `HOST:PORTS`,
 * `[IPV6]:PORTS` and `tcp://` URLs. Groups keep the order the user gave, each port of a host once. Errors name the
 * most specific problem; more than MAX_TARGETS targets in all is one.
 */
export function parseTargetGroups(args: readonly string[]): TargetGroup[] {
  if (args.length === 0) throw new UsageError('missing target: give HOST PORT or HOST:PORT');
  let groups: TargetGroup[];
  if (args.length === 1 || isWholeTarget(args[0])) {
    const loose = args.find((arg) => !arg.includes(':'));
    if (loose !== undefined && args.length > 1) throw new UsageError(`${quote(loose)} is not a HOST:PORTS target: ${MIX}`);
    groups = args.map(parseHostPorts);
  } else {
    const host = parseHostPattern(args[0]);
    const whole = args.find((arg, i) => i > 0 && arg.includes(':'));
    if (whole !== undefined) throw new UsageError(`${quote(whole)} is a whole target, after HOST ${quote(args[0])}: ${MIX}`);
    groups = [{ host, ports: parsePorts(args.slice(1).join(',')) }];
  }
  const total = groups.reduce((n, g) => n + addressCount(g.host) * BigInt(g.ports.length), 0n);
  if (total > BigInt(MAX_TARGETS)) throw tooMany(args.join(' '), total);
  return groups;
}

/** Every target of the groups, one at a time: addresses outer, ports inner, as nc and the command line read. */
export function* expandGroups(groups: Iterable<TargetGroup>): Generator<TargetSpec> {
  for (const group of groups) {
    if (group.host.kind === 'unix') {
      yield { host: group.host, port: null };
      continue;
    }
    const { host, ports } = group as Exclude<TargetGroup, { host: UnixHostSpec }>;
    if (host.kind !== 'range') {
      for (const port of ports) yield { host, port };
      continue;
    }
    const addresses = host.addresses();
    for (let next = addresses.next(); !next.done; next = addresses.next()) {
      const spec: HostSpec = { kind: 'address', text: formatAddress(next.value), address: next.value };
      for (const port of ports) yield { host: spec, port };
    }
  }
}

/**
 * The positional arguments' targets, every one made (see parseTargetGroups for the grammar): for address ranges, a
 * TargetSource (src/target/source.ts) makes them one at a time instead.
 */
export function parseTargets(args: readonly string[]): TargetSpec[] {
  return [...expandGroups(parseTargetGroups(args))];
}
