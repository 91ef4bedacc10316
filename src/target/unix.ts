import { unixAddressProblem } from '../libc/sockaddr';
import type { UnixEndpoint } from '../net/endpoint';
import { quote, UsageError } from '../usage';

/** A unix socket target: `text` is its canonical form (`unix:/run/x.sock`, `unix:@name`), however it was spelt. */
export interface UnixHostSpec {
  readonly kind: 'unix';
  readonly text: string;
  readonly endpoint: UnixEndpoint;
}

/** A unix socket to connect to: it has no port, and no name to resolve. */
export interface UnixTargetSpec {
  readonly host: UnixHostSpec;
  readonly port: null;
}

/**
 * The spellings of a unix socket target: `unix:/path` (or a relative `unix:path`, taken as given, from the
 * current directory), `unix:@name` (the abstract namespace), dockerize's `unix:///path`, and wait-on's
 * `socket:/path`. A relative path that starts with `@` is written `unix:./@x`.
 */
const PREFIXES = ['unix://', 'unix:', 'socket:'] as const;

/** The prefix `text` starts with, in any case (a URL's scheme is case-insensitive, as `TCP://` is). */
const prefixOf = (text: string) => PREFIXES.find((p) => text.slice(0, p.length).toLowerCase() === p);

/** Whether an argument is meant as a unix socket target (checked before the HOST:PORTS forms). */
export function isUnixTarget(text: string): boolean {
  return prefixOf(text) !== undefined;
}

/**
 * A unix socket target, or undefined when `text` is not one. A name sun_path cannot hold (over 107 bytes, a NUL
 * inside, empty) is a usage error here, before any call.
 */
export function parseUnixTarget(text: string): UnixTargetSpec | undefined {
  const prefix = prefixOf(text);
  if (prefix === undefined) return undefined;
  const path = text.slice(prefix.length);
  if (prefix === 'unix://' && !path.startsWith('/')) {
    throw new UsageError(`${quote(text)}: unix:// takes an absolute path, unix:///run/x.sock (three slashes); a relative one is unix:run/x.sock`);
  }
  const endpoint: UnixEndpoint = { family: 'unix', path };
  const problem = unixAddressProblem(endpoint);
  if (problem) throw new UsageError(`unix socket ${quote(text)}: ${problem}`);
  return { host: { kind: 'unix', text: `unix:${path}`, endpoint }, port: null };
}
