import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { describe, it } from 'node:test';
import { parseIPv4 } from '../../src/net/address';
import type { CallRecord } from '../../src/probe/record';
import { answerOf, targetVerdict, verdictOf, type Verdict, type VerdictKind } from '../../src/probe/verdict';

const e = constants.errno;
const peer = { address: parseIPv4('127.0.0.1')!, port: 9 };
const base = { attempt: 1, startMs: 0, durationUs: 1, strerror: '' };
const named = (errno: number) => (errno ? Object.keys(e).find((k) => e[k as keyof typeof e] === errno)! : null);
const connect = (errno: number): CallRecord => ({ ...base, call: 'connect', fd: 3, peer, addrlen: 16, ret: errno ? -1 : 0, errno, errnoName: named(errno) });
const poll = (ret: number): CallRecord => ({ ...base, call: 'poll', fds: [{ fd: 3, events: 'POLLOUT', revents: ret ? 4 : 0 }], timeoutMs: 10, ret, errno: 0, errnoName: null });
const soError = (value: number): CallRecord => ({
  ...base, call: 'getsockopt', fd: 3, level: 'SOL_SOCKET', option: 'SO_ERROR', ret: 0, errno: 0, errnoName: null,
  value, valueErrnoName: named(value), valueStrerror: '',
});
const local = (port: number): CallRecord => ({ ...base, call: 'getsockname', fd: 3, local: { ...peer, port }, ret: 0, errno: 0, errnoName: null });
const bindFailed = (errno: number): CallRecord => ({ ...base, call: 'bind', fd: 3, local: { ...peer, port: 5000 }, addrlen: 16, ret: -1, errno, errnoName: named(errno) });
const socketFailed: CallRecord = { ...base, call: 'socket', family: 'AF_INET', type: 'SOCK_STREAM', protocol: 0, ret: -1, errno: e.EMFILE, errnoName: 'EMFILE' };

describe('the verdict of an attempt: the first call that settles it', () => {
  const cases: [string, CallRecord[], VerdictKind, string | null][] = [
    ['the classic puzzle: refused, though the third call says EINPROGRESS', [connect(e.EINPROGRESS), connect(e.ECONNREFUSED), connect(e.EINPROGRESS)], 'refused', 'ECONNREFUSED'],
    ['0 after EINPROGRESS, then EISCONN', [connect(e.EINPROGRESS), connect(0), connect(e.EISCONN), local(50000)], 'connected', null],
    ['nothing settled: EINPROGRESS and EALREADY only', [connect(e.EINPROGRESS), connect(e.EALREADY)], 'timeout', null],
    ['poll timed out, then a later poll reported the answer (a sliced wait)', [connect(e.EINPROGRESS), poll(0), poll(1), soError(e.ECONNREFUSED)], 'refused', 'ECONNREFUSED'],
    ['poll timed out and nothing more', [connect(e.EINPROGRESS), poll(0)], 'timeout', null],
    ['SO_ERROR ETIMEDOUT: the SYN retries ran out', [connect(e.EINPROGRESS), poll(1), soError(e.ETIMEDOUT)], 'timeout', 'ETIMEDOUT'],
    ['lo down: ENETUNREACH', [connect(e.ENETUNREACH)], 'unreachable', 'ENETUNREACH'],
    ['socket() failed', [socketFailed], 'local-error', 'EMFILE'],
    ['bind() EADDRNOTAVAIL: a local error (the source is not ours), not unreachable as from connect()', [bindFailed(e.EADDRNOTAVAIL)], 'local-error', 'EADDRNOTAVAIL'],
    ['bind() EADDRINUSE', [bindFailed(e.EADDRINUSE)], 'local-error', 'EADDRINUSE'],
    ['connected to itself', [connect(e.EINPROGRESS), poll(1), soError(0), local(9)], 'self-connect', null],
  ];
  for (const [label, records, kind, errnoName] of cases) {
    it(label, () => {
      const verdict = verdictOf(records);
      assert.equal(verdict.kind, kind);
      assert.equal(verdict.errnoName, errnoName);
    });
  }
  it('a failed bind() names the call', () => assert.equal(verdictOf([bindFailed(e.EADDRINUSE)]).failedCall, 'bind'));
  it('a connected verdict names the local end; a failure names none', () => {
    assert.deepEqual(verdictOf([connect(0), local(50000)]).local, { ...peer, port: 50000 });
    assert.equal(verdictOf([connect(e.ECONNREFUSED)]).local, null);
  });
  it('EINPROGRESS and EALREADY settle nothing; EISCONN means connected', () => {
    assert.equal(answerOf(e.EINPROGRESS), undefined);
    assert.equal(answerOf(e.EALREADY), undefined);
    assert.equal(answerOf(e.EISCONN), 'connected');
    assert.equal(answerOf(e.EACCES), 'local-error');
  });
});

describe('the verdict of a target, from its addresses', () => {
  const v = (kind: VerdictKind): Verdict => ({ kind, errnoName: null, failedCall: null, local: null });
  it('connected if any address connected', () => assert.equal(targetVerdict([v('refused'), v('connected')], null).kind, 'connected'));
  it('otherwise the first address that does not meet the expectation', () => {
    assert.equal(targetVerdict([v('refused'), v('timeout')], null).kind, 'refused');
    assert.equal(targetVerdict([v('refused'), v('timeout')], null, (k) => k === 'refused').kind, 'timeout');
  });
  it('the first address when every one meets it', () => assert.equal(targetVerdict([v('refused'), v('refused')], null, (k) => k === 'refused').kind, 'refused'));
  it('unresolved when the name gave no address', () => {
    assert.equal(targetVerdict([], { error: 'ENOTFOUND' }).kind, 'unresolved');
    assert.equal(targetVerdict([], null).kind, 'unresolved');
  });
});

describe('AF_UNIX answers: family-aware where TCP would mean something else', () => {
  const unixPeer = { family: 'unix', path: '/run/x.sock' } as const;
  const unixConnect = (errno: number): CallRecord => ({ ...base, call: 'connect', fd: 3, peer: unixPeer, addrlen: 14, ret: errno ? -1 : 0, errno, errnoName: named(errno) });
  const cases: [number, VerdictKind][] = [
    [e.ENOENT, 'refused'], // no socket file: nothing listens
    [e.ECONNREFUSED, 'refused'], // a stale file, or an abstract name nobody holds
    [e.EAGAIN, 'timeout'], // the backlog is full: what a full TCP accept queue says by silence
    [e.EACCES, 'local-error'],
    [e.EPERM, 'local-error'],
    [e.EPROTOTYPE, 'local-error'], // not a stream socket
  ];
  for (const [errno, kind] of cases) {
    it(`${named(errno)} is ${kind} on a unix socket`, () => {
      const verdict = verdictOf([unixConnect(errno)]);
      assert.deepEqual([verdict.kind, verdict.errnoName], [kind, named(errno)]);
    });
  }
  it('ENOENT and EAGAIN from a TCP connect() stay local errors (a shortage here, not an answer)', () => {
    assert.equal(verdictOf([connect(e.ENOENT)]).kind, 'local-error');
    assert.equal(verdictOf([connect(e.EAGAIN)]).kind, 'local-error');
  });
  it('connected, with the unnamed client end; never a self-connect', () => {
    const unnamed: CallRecord = { ...base, call: 'getsockname', fd: 3, local: { family: 'unix', path: '' }, ret: 0, errno: 0, errnoName: null };
    assert.deepEqual(verdictOf([unixConnect(0), unnamed]), { kind: 'connected', errnoName: null, failedCall: null, local: { family: 'unix', path: '' } });
    const samePath: CallRecord = { ...unnamed, local: unixPeer } as CallRecord;
    assert.equal(verdictOf([unixConnect(0), samePath]).kind, 'connected');
  });
});

