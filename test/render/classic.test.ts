import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRecord } from '../../src/probe/record';
import { classicLines } from '../../src/render/classic';
import { parseIPv4 } from '../../src/target/address';

const peer = { address: parseIPv4('127.0.0.1')!, port: 9 };
const timing = { startMs: 0, durationUs: 1 };
const connect = (ret: number, errno: number, errnoName: string | null, strerror: string): CallRecord => ({
  call: 'connect', fd: 3, peer, addrlen: 16, ret, errno, errnoName, strerror, ...timing,
});

describe('classic format replays C\'s errno rule', () => {
  it('a success keeps the errno of the last failing call, as C\'s global errno does', () => {
    const lines = classicLines([
      connect(-1, 115, 'EINPROGRESS', 'Operation now in progress'),
      connect(0, 0, null, 'Success'),
    ]);
    assert.deepEqual(lines, [
      'ret = -1, errno is 115, error:Operation now in progress\n',
      'ret = 0, errno is 115, error:Operation now in progress\n',
    ]);
  });

  it('a success before any failure prints errno 0 and strerror(0)', () => {
    assert.deepEqual(classicLines([connect(0, 0, null, 'Success')]), ['ret = 0, errno is 0, error:Success\n']);
  });

  it('prints one line per connect() only', () => {
    const close: CallRecord = { call: 'close', fd: 3, ret: 0, errno: 0, errnoName: null, strerror: 'Success', ...timing };
    assert.equal(classicLines([connect(-1, 111, 'ECONNREFUSED', 'Connection refused'), close]).length, 1);
  });
});
