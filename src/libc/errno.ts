import { constants } from 'node:os';

/** errno number → symbolic name, from Node's table of this platform's errno values (first name wins for aliases). */
const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!NAMES.has(value)) NAMES.set(value, name);
}

/** The symbolic name of an errno value (`ECONNREFUSED`), or `E?<n>` for a number the table lacks. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E?${errno}`;
}

/** The errno values connprobe reasons about, named once. */
export const E = {
  EINPROGRESS: constants.errno.EINPROGRESS,
  EALREADY: constants.errno.EALREADY,
  EISCONN: constants.errno.EISCONN,
  ECONNREFUSED: constants.errno.ECONNREFUSED,
  ETIMEDOUT: constants.errno.ETIMEDOUT,
  ENETUNREACH: constants.errno.ENETUNREACH,
  EHOSTUNREACH: constants.errno.EHOSTUNREACH,
  EADDRNOTAVAIL: constants.errno.EADDRNOTAVAIL,
  EADDRINUSE: constants.errno.EADDRINUSE,
  EACCES: constants.errno.EACCES,
  EPERM: constants.errno.EPERM,
  EMFILE: constants.errno.EMFILE,
  ENFILE: constants.errno.ENFILE,
  EINTR: constants.errno.EINTR,
  ENOENT: constants.errno.ENOENT,
  EAGAIN: constants.errno.EAGAIN,
  EPROTOTYPE: constants.errno.EPROTOTYPE,
} as const;
