import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRecord } from '../../src/probe/record';
import { formatCall, quoteSunPath } from '../../src/render/human';

describe('a unix sockaddr, strace-style', () => {
  const common = { attempt: 1, startMs: 0, durationUs: 1, errno: 0, errnoName: null, strerror: 'Success', ret: 0 };
  const connect = (path: string, addrlen: number): CallRecord => ({ ...common, call: 'connect', fd: 3, peer: { family: 'unix', path }, addrlen });

  it('{AF_UNIX, "/path"}, {AF_UNIX, @"name"}, and {AF_UNIX} for an unnamed socket (strace: {sa_family=AF_UNIX})', () => {
    assert.equal(formatCall(connect('/run/x.sock', 14)), 'connect(3, {AF_UNIX, "/run/x.sock"}, 14)');
    assert.equal(formatCall(connect('@name', 7)), 'connect(3, {AF_UNIX, @"name"}, 7)');
    assert.equal(formatCall({ ...common, call: 'getsockname', fd: 3, local: { family: 'unix', path: '' } }), 'getsockname(3, {AF_UNIX})');
  });

  it('sun_path quoted as strace quotes it (strace 6 output for the same bytes)', () => {
    assert.equal(quoteSunPath('/tmp/we"ird\\x'), '"/tmp/we\\"ird\\\\x"');
    assert.equal(quoteSunPath('/tmp/a\x01b\tcé'), '"/tmp/a\\1b\\tc\\303\\251"');
    assert.equal(quoteSunPath('a\x017'), '"a\\0017"', 'three octal digits before a digit');
  });
});
