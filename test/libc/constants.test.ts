import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constantsFor, UnsupportedPlatformError } from '../../src/libc/constants';

describe('the per-platform constants table', () => {
  it('knows Linux on x86-64 and arm64, with the numbers <sys/socket.h>, <fcntl.h> and <poll.h> give', () => {
    for (const arch of ['x64', 'arm64']) {
      const c = constantsFor('linux', arch);
      assert.ok(!(c instanceof UnsupportedPlatformError));
      assert.deepEqual(
        [c.AF_INET, c.AF_INET6, c.SOCK_STREAM, c.SOCK_NONBLOCK, c.F_GETFL, c.F_SETFL, c.O_NONBLOCK, c.SOL_SOCKET, c.SO_ERROR],
        [2, 10, 1, 0o4000, 3, 4, 0o4000, 1, 4],
      );
      assert.deepEqual([c.POLLOUT, c.POLLERR, c.POLLHUP, c.SIZEOF_SOCKADDR_IN, c.SIZEOF_SOCKADDR_IN6], [4, 8, 16, 16, 28]);
    }
  });

  it('refuses any other platform with a clear message instead of guessing', () => {
    for (const [platform, arch] of [['darwin', 'arm64'], ['linux', 'ia32'], ['win32', 'x64'], ['linux', 'riscv64']]) {
      const error = constantsFor(platform, arch);
      assert.ok(error instanceof UnsupportedPlatformError, 'an error value, not a throw at import');
      assert.match(error.message, new RegExp(`only, not ${platform}-${arch}$`));
      assert.match(error.message, /linux-x64 and linux-arm64/);
    }
  });
});
