import type { CallRecord } from '../probe/record';
import type { Mode } from '../probe/strategies';

/**
 * The lines the C reference program (test/fixtures/connect_ref.c) prints, byte for byte. After each connect():
 * `printf("ret = %d, errno is %d, error:%s\n", ret, errno, strerror(errno))`, the seed's line. In the modes that
 * wait as `man 2 connect` says (poll, fresh), also `poll = %d, revents = 0x%x` and
 * `so_error = %d, error:%s`; repeat mode's own wait for an unsettled answer is not part of the seed's program.
 *
 * C's errno is not reset by a successful call, so after a success it still holds the last failure's value (0 if
 * nothing failed yet); connprobe records errno only for failures, and this is where C's stale-errno rule is
 * replayed.
 */
export function classicPrinter(mode: Mode): (record: CallRecord) => string | undefined {
  let lastFailure: { errno: number; strerror: string } | undefined;
  const waits = mode === 'poll' || mode === 'fresh';
  return (record) => {
    if (record.ret === -1) lastFailure = record;
    if (record.call === 'connect') {
      const errno = lastFailure ?? record; // before any failure errno is 0, and record.strerror is strerror(0)
      return `ret = ${record.ret}, errno is ${errno.errno}, error:${errno.strerror}\n`;
    }
    if (waits && record.call === 'poll') return `poll = ${record.ret}, revents = 0x${record.fds[0].revents.toString(16)}\n`;
    if (waits && record.call === 'getsockopt') return `so_error = ${record.value}, error:${record.valueStrerror}\n`;
    return undefined;
  };
}

/** The classic lines of a whole trace. */
export function classicLines(records: readonly CallRecord[], mode: Mode): string[] {
  const print = classicPrinter(mode);
  return records.map(print).filter((line): line is string => line !== undefined);
}
