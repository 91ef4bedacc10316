/** Bad input from the user (or an API caller): reported as one line on stderr with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * User text made safe to echo in a one-line message: C0 and C1 controls and DEL are escaped (`\n`, `\x1b`), so
 * that an argument can neither split the message nor drive the terminal (colour, cursor). Backslashes are left as
 * they are: applying it twice changes nothing.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** User text quoted in a message: `'...'`, made printable. */
export function quote(text: string): string {
  return `'${printable(text)}'`;
}

/** `1 packet`, `2 packets`: a count and its noun, singular or plural. */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A count with thousands separators, as people read it: 65,532. */
export function thousands(n: number | bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
