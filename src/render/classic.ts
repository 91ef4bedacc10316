import type { Mode } from '../options';
import type { CallRecord } from '../probe/record';
import type { Output, Sink } from './sink';

/**
 * The lines the C reference program (test/fixtures/connect_ref.c) prints, byte for byte. After each connect():
 * `printf("ret = %d, errno is %d, error:%s\n", ret, errno, strerror(errno))`, the seed's line. In the modes that
 * wait as `man 2 connect` says (poll, fresh), also `poll = %d, revents = 0x%x` and `so_error = %d, error:%s`.
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
    if (waits && record.call === 'getsockopt' && record.option === 'SO_ERROR') return `so_error = ${record.value}, error:${record.valueStrerror}\n`;
    return undefined;
  };
}

/** The classic lines of a whole trace. */
export function classicLines(records: readonly CallRecord[], mode: Mode): string[] {
  const print = classicPrinter(mode);
  return records.map(print).filter((line): line is string => line !== undefined);
}

/**
 * --format classic: what the C program prints, where it prints it. Each address is a run of the program of its
 * own; a socket() that fails is reported on stderr as the program's `perror`-like line, and stdout stays as the
 * program leaves it.
 */
export function classicSink(out: Output, mode: Mode): Sink {
  let print = classicPrinter(mode);
  return {
    needs: { records: false, calls: true },
    start() {},
    onEvent(event) {
      if (event.type === 'address') print = classicPrinter(mode);
      if (event.type !== 'call') return;
      const { record } = event;
      if (record.call === 'socket' && record.ret === -1) out.writeError(`socket: ${record.strerror}`);
      const line = print(record);
      if (line !== undefined) out.write(line);
    },
    end() {},
  };
}
