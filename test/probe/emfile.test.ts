import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCommand } from '../helpers';

const FILL_FDS = join(ROOT, 'dist', 'test', 'fixtures', 'fill-fds.js');

/** connprobe with its fd table full: `ulimit -n 64`, every free fd then taken by the fill-fds fixture. */
function withFullFdTable(args: readonly string[]) {
  return runCommand('sh', ['-c', 'ulimit -n 64 && exec "$@"', 'sh', process.execPath, FILL_FDS, ...args]);
}

describe('no fd left for a new socket', () => {
  for (const mode of ['repeat', 'poll', 'fresh', 'blocking']) {
    it(`${mode} mode: socket() = -1 EMFILE is shown, exit 6 (local error), no socket left open`, async () => {
      const fresh = mode === 'fresh' ? ['--count', '2', '--interval', '0'] : [];
      const r = await withFullFdTable(['127.0.0.1', '9', '--mode', mode, ...fresh, '--explain']);
      assert.match(r.stdout, /^socket\(AF_INET, SOCK_STREAM, 0\) = -1 EMFILE \(Too many open files\) errno=24 /m);
      assert.match(r.stdout, /RLIMIT_NOFILE \(ulimit -n\)/, 'explained');
      assert.match(r.stdout, /^local error: socket\(\) failed with EMFILE$/m);
      assert.doesNotMatch(r.stdout, /^connect\(/m, 'no connect without a socket');
      assert.match(r.stderr, /fill-fds: [1-9]\d* fds filled; sockets open at exit: 0\n/);
      assert.equal(r.code, 6);
    });
  }

  it('--format classic says what the C program says, where it says it: the failing socket() on stderr, nothing on stdout', async () => {
    const r = await withFullFdTable(['127.0.0.1', '9', '--format', 'classic']);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^socket: Too many open files\n/);
    assert.equal(r.code, 6);
  });
});
