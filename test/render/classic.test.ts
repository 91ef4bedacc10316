import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRecord } from '../../src/probe/record';
import { classicLines } from '../../src/render/classic';
import { parseIPv4 } from '../../src/net/address';

const peer = { address: parseIPv4('127.0.0.1')!, port: 9 };
const common = { attempt: 1, startMs: 0, durationUs: 1, errno: 0, errnoName: null, strerror: 'Success' };
const connect = (ret: number, errno: number, errnoName: string | null, strerror: string): CallRecord => ({
  ...common, call: 'connect', fd: 3, peer, addrlen: 16, ret, errno, errnoName, strerror,
});
const poll: CallRecord = { ...common, call: 'poll', fds: [{ fd: 3, events: 'POLLOUT', revents: 0x1c }], timeoutMs: 1000, ret: 1 };
const soError: CallRecord = {
  ...common, call: 'getsockopt', fd: 3, level: 'SOL_SOCKET', option: 'SO_ERROR', ret: 0,
  value: 111, valueErrnoName: 'ECONNREFUSED', valueStrerror: 'Connection refused',
};
const close: CallRecord = { ...common, call: 'close', fd: 3, ret: 0 };
const inProgress = connect(-1, 115, 'EINPROGRESS', 'Operation now in progress');

describe('classic format: the C reference program\'s lines', () => {
  it('a success keeps the errno of the last failing call, as C\'s global errno does', () => {
    assert.deepEqual(classicLines([inProgress, connect(0, 0, null, 'Success')], 'repeat'), [
      'ret = -1, errno is 115, error:Operation now in progress\n',
      'ret = 0, errno is 115, error:Operation now in progress\n',
    ]);
  });

  it('a success before any failure prints errno 0 and strerror(0)', () => {
    assert.deepEqual(classicLines([connect(0, 0, null, 'Success')], 'blocking'), ['ret = 0, errno is 0, error:Success\n']);
  });

  it('poll mode adds the poll and SO_ERROR lines', () => {
    assert.deepEqual(classicLines([inProgress, poll, soError, close], 'poll'), [
      'ret = -1, errno is 115, error:Operation now in progress\n',
      'poll = 1, revents = 0x1c\n',
      'so_error = 111, error:Connection refused\n',
    ]);
  });

  it('repeat mode prints one line per connect() only: its wait for an unsettled answer is not the seed\'s', () => {
    assert.deepEqual(classicLines([inProgress, poll, soError, close], 'repeat'), [
      'ret = -1, errno is 115, error:Operation now in progress\n',
    ]);
  });
});
