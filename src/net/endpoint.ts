import { formatAddress, type IpAddress } from './address';

/** An IP endpoint: what a sockaddr_in / sockaddr_in6 holds. */
export interface InetEndpoint {
  readonly address: IpAddress;
  readonly port: number;
}

/**
 * What a sockaddr_un holds, in the JSON wire form itself: `path` is sun_path as text (UTF-8), `@name` for a name
 * in the abstract namespace (sun_path starts with a NUL), "" for an unnamed socket (an unbound client).
 */
export interface UnixEndpoint {
  readonly family: 'unix';
  readonly path: string;
}

/** A socket address connprobe connects to or is told of: inet or unix. */
export type Endpoint = InetEndpoint | UnixEndpoint;

export function isUnix(endpoint: Endpoint): endpoint is UnixEndpoint {
  return 'path' in endpoint;
}

/** Same family, address bytes and port; for unix, the same path. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (isUnix(a) || isUnix(b)) return isUnix(a) && isUnix(b) && a.path === b.path;
  return a.port === b.port && sameAddress(a.address, b.address);
}

/** Same family, bytes and scope: one address, however it was written or found. */
export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.scopeId === b.scopeId && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/**
 * `127.0.0.1:80`, `[::1]:80`: the form users type and every tool prints; `unix:/run/x.sock`, `unix:@name` (the
 * target forms), `(unnamed)` for an unbound unix socket.
 */
export function formatEndpoint(endpoint: Endpoint): string {
  if (isUnix(endpoint)) return endpoint.path === '' ? '(unnamed)' : `unix:${endpoint.path}`;
  const text = formatAddress(endpoint.address);
  return endpoint.address.family === 6 ? `[${text}]:${endpoint.port}` : `${text}:${endpoint.port}`;
}

/** A target as the user names it: `db:5432`, `[::1]:80`; one without a port (a unix socket) is its text alone. */
export function formatHostPort(host: string, port: number | null): string {
  if (port === null) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host part alone: the address of an inet endpoint, the whole of a unix one. */
export function formatEndpointHost(endpoint: Endpoint): string {
  return isUnix(endpoint) ? formatEndpoint(endpoint) : formatAddress(endpoint.address);
}
