import { parseIPv4, parseIPv6, type IpAddress } from './address';

/** Bad input from the user: reported as one line on stderr with exit code 2. */
export class UsageError extends Error {}

const DIGITS = /^[0-9]+$/;

/** A whole number in [min, max] written in plain decimal digits (no sign, exponent, hex or spaces). */
export function parseWholeNumber(text: string, what: string, min: number, max: number): number {
  const value = DIGITS.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

export function parsePort(text: string): number {
  return parseWholeNumber(text, 'port', 1, 65535);
}

/**
 * A numeric host: dotted-quad IPv4 or IPv6 (brackets allowed). Names are not accepted yet; anything that is
 * neither is a usage error naming what was given.
 */
export function parseNumericHost(text: string): IpAddress {
  const unbracketed = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const address = parseIPv4(unbracketed) ?? (unbracketed.includes(':') ? parseIPv6(unbracketed) : undefined);
  if (!address) throw new UsageError(`host must be a numeric IPv4 or IPv6 address, not '${text}'`);
  return address;
}
