import type { Output } from './sink';

const two = (n: number) => String(n).padStart(2, '0');

/** strace -tt's `HH:MM:SS.uuuuuu`, in local time, of a moment in milliseconds since the epoch (with a fraction). */
export function formatClock(epochMs: number): string {
  const us = Math.floor(epochMs * 1000);
  const at = new Date(Math.floor(us / 1000));
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(us % 1_000_000).padStart(6, '0')}`;
}

/** Now, to the microsecond, in milliseconds since the epoch. */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * --timestamps: every line written starts with the wall-clock time, as strace -tt prints it. A line about a call
 * is written as the call returns and says how long it took (`agoUs`): its time is when the call started, as
 * strace's; any other line's is when it is written.
 */
export function timestamped(out: Output, now: () => number = wallClock): Output {
  return {
    ...out,
    write(text, agoUs = 0) {
      const stamp = `${formatClock(now() - agoUs / 1000)} `;
      out.write(text.replace(/^(?=.)/gm, stamp));
    },
  };
}
