import type { Endpoint } from '../libc/sockaddr';
import { formatAddress } from '../target/address';

/** `127.0.0.1:80`, `[::1]:80`: the form users type and every tool prints. */
export function formatEndpoint({ address, port }: Endpoint): string {
  const text = formatAddress(address);
  return address.family === 6 ? `[${text}]:${port}` : `${text}:${port}`;
}
