import { formatAddress, type IpAddress } from './address';

/** An IP endpoint: what a sockaddr_in / sockaddr_in6 holds. */
export interface Endpoint {
  readonly address: IpAddress;
  readonly port: number;
}

/** Same family, address bytes and port. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && sameAddress(a.address, b.address);
}

/** Same family, bytes and scope: one address, however it was written or found. */
export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.scopeId === b.scopeId && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** `127.0.0.1:80`, `[::1]:80`: the form users type and every tool prints. */
export function formatEndpoint({ address, port }: Endpoint): string {
  const text = formatAddress(address);
  return address.family === 6 ? `[${text}]:${port}` : `${text}:${port}`;
}
