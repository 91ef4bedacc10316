import type { CallRecord } from '../probe/record';

/**
 * The lines the classic C reproduction prints, one per connect():
 * `printf("ret = %d, errno is %d, error:%s\n", ret, errno, strerror(errno))`.
 * C's errno is not reset by a successful call, so after a success it still holds the last failure's value (0 if
 * nothing failed yet); connprobe records errno only for failures, and this is where C's stale-errno rule is
 * replayed.
 */
export function classicLines(records: readonly CallRecord[]): string[] {
  const lines: string[] = [];
  let lastFailure: { errno: number; strerror: string } | undefined;
  for (const record of records) {
    if (record.ret === -1) lastFailure = record;
    if (record.call !== 'connect') continue;
    const errno = lastFailure ?? record; // before any failure errno is 0, and record.strerror is strerror(0)
    lines.push(`ret = ${record.ret}, errno is ${errno.errno}, error:${errno.strerror}\n`);
  }
  return lines;
}
