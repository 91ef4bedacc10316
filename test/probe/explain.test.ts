import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { describe, it } from 'node:test';
import { explain } from '../../src/probe/explain';
import type { CallRecord } from '../../src/probe/record';
import { parseIPv4 } from '../../src/net/address';
import { closedPort, runCli } from '../helpers';

describe('--explain on the classic puzzle (real kernel, closed port)', () => {
  it('says why each of the three connect() calls returned what it did', async () => {
    const port = await closedPort();
    const { stdout } = await runCli(['127.0.0.1', String(port), '--repeat', '3', '--explain']);
    const lines = stdout.split('\n');
    assert.match(lines[0], /explanations describe Linux/);
    const explained = lines.flatMap((line, i) => (line.startsWith('connect(') ? [lines[i + 1]] : []));
    assert.equal(explained.length, 3);
    assert.match(explained[0], /^ {4}# SYN sent; the handshake is under way, and a non-blocking connect\(\) returns without waiting/);
    assert.match(explained[1], /the RST came back while you weren't looking: it left a pending error on the socket, and this call reported it and cleared it/);
    assert.match(explained[2], /the previous call consumed the pending ECONNREFUSED .* so this call started a new handshake: a new SYN was sent/);
  });
});

describe('explanations read the sequence, not just the errno', () => {
  const peer = { address: parseIPv4('127.0.0.1')!, port: 9 };
  const e = constants.errno;
  const base = { attempt: 1, startMs: 0, durationUs: 1, errno: 0, errnoName: null, strerror: 'Success', ret: 0 };
  const setNonblocking: CallRecord = { ...base, call: 'fcntl', fd: 3, cmd: 'F_SETFL', flags: 'O_RDWR|O_NONBLOCK' };
  const connect = (errno: number): CallRecord => ({
    ...base, call: 'connect', fd: 3, peer, addrlen: 16, ret: errno ? -1 : 0, errno,
    errnoName: errno ? Object.keys(e).find((k) => e[k as keyof typeof e] === errno)! : null,
  });
  const last = (records: CallRecord[]) => explain(records, records.length - 1);

  const cases: [string, CallRecord[], RegExp][] = [
    ['EALREADY after EINPROGRESS', [setNonblocking, connect(e.EINPROGRESS), connect(e.EALREADY)], /still waiting for an answer/],
    ['0 after EINPROGRESS', [setNonblocking, connect(e.EINPROGRESS), connect(0)], /SYN-ACK came back since the last call .* later calls say EISCONN/],
    ['EISCONN', [setNonblocking, connect(e.EINPROGRESS), connect(0), connect(e.EISCONN)], /already connected/],
    ['ETIMEDOUT after EINPROGRESS', [setNonblocking, connect(e.EINPROGRESS), connect(e.ETIMEDOUT)], /pending error .* retransmitted the SYN .* gave up/],
    ['ENETUNREACH', [setNonblocking, connect(e.ENETUNREACH)], /no route to that network .* no SYN was sent/],
    ['EHOSTUNREACH', [setNonblocking, connect(e.EHOSTUNREACH)], /host is unreachable/],
    ['EADDRNOTAVAIL', [setNonblocking, connect(e.EADDRNOTAVAIL)], /no local address can reach it/],
    ['EACCES', [setNonblocking, connect(e.EACCES)], /local policy forbade it/],
    ['EPERM', [setNonblocking, connect(e.EPERM)], /local policy forbade it/],
    ['blocking ECONNREFUSED', [connect(e.ECONNREFUSED)], /blocking socket: the call waited for the answer/],
    ['blocking 0', [connect(0)], /blocking socket: the call waited while the SYN, SYN-ACK and ACK went by/],
    ['blocking EINPROGRESS', [connect(e.EINPROGRESS)], /SO_SNDTIMEO expired/],
  ];
  for (const [name, records, expected] of cases) {
    it(name, () => assert.match(last(records), expected));
  }

  describe('bind() (--source) says where the SYN leaves from, or why it cannot', () => {
    const bind = (port: number, errno: number): CallRecord => ({
      ...base, call: 'bind', fd: 3, local: { address: parseIPv4('127.0.0.2')!, port }, addrlen: 16, ret: errno ? -1 : 0, errno,
      errnoName: errno ? Object.keys(e).find((k) => e[k as keyof typeof e] === errno)! : null,
    });
    const bindCases: [string, CallRecord, RegExp][] = [
      ['port 0', bind(0, 0), /connect from 127\.0\.0\.2; port 0: the kernel picked a free source port/],
      ['a fixed port', bind(5000, 0), /connect from 127\.0\.0\.2:5000: the SYN leaves from this address and port/],
      ['EADDRINUSE, a fixed port', bind(5000, e.EADDRINUSE), /another socket already holds 127\.0\.0\.2:5000: a listener, a connection from that port, or one in TIME_WAIT/],
      ['EADDRINUSE, port 0', bind(0, e.EADDRINUSE), /no source port is free on 127\.0\.0\.2/],
      ['EADDRNOTAVAIL', bind(0, e.EADDRNOTAVAIL), /127\.0\.0\.2 is not an address of any interface on this machine .* nothing was sent/],
      ['EACCES', bind(80, e.EACCES), /CAP_NET_BIND_SERVICE/],
    ];
    for (const [name, record, expected] of bindCases) it(name, () => assert.match(explain([record], 0), expected));
  });

  it('socket() failing with EMFILE names the fd limit', () => {
    const failed: CallRecord = { ...base, call: 'socket', family: 'AF_INET', type: 'SOCK_STREAM', protocol: 0, ret: -1, errno: e.EMFILE, errnoName: 'EMFILE' };
    assert.match(explain([failed], 0), /RLIMIT_NOFILE \(ulimit -n\)/);
  });
});

describe('explanations of AF_UNIX answers: settled in the call, no SYN', () => {
  const e = constants.errno;
  const base = { attempt: 1, startMs: 0, durationUs: 1, errno: 0, errnoName: null, strerror: 'Success', ret: 0 };
  const socket: CallRecord = { ...base, call: 'socket', family: 'AF_UNIX', type: 'SOCK_STREAM', protocol: 0, ret: 3 };
  const setNonblocking: CallRecord = { ...base, call: 'fcntl', fd: 3, cmd: 'F_SETFL', flags: 'O_RDWR|O_NONBLOCK' };
  const connect = (path: string, errno: number): CallRecord => ({
    ...base, call: 'connect', fd: 3, peer: { family: 'unix', path }, addrlen: 14, ret: errno ? -1 : 0, errno,
    errnoName: errno ? Object.keys(e).find((k) => e[k as keyof typeof e] === errno)! : null,
  });
  const said = (...records: CallRecord[]) => explain(records, records.length - 1);

  it('names what each errno means for a socket file or an abstract name', () => {
    assert.match(said(socket), /a new AF_UNIX stream socket, fd 3/);
    assert.match(said(socket, setNonblocking), /instead of waiting for room in a full backlog/);
    assert.match(said(socket, setNonblocking, connect('/x', 0)), /queued this connection on its backlog within the call .* connected/);
    assert.match(said(socket, setNonblocking, connect('/x', e.ENOENT)), /no such file/);
    assert.match(said(socket, setNonblocking, connect('/x', e.ECONNREFUSED)), /a socket file outlives its listener \(it stays until unlinked\)/);
    assert.match(said(socket, setNonblocking, connect('@x', e.ECONNREFUSED)), /nobody holds that abstract name in this network namespace/);
    assert.match(said(socket, setNonblocking, connect('/x', e.EAGAIN)), /where TCP would drop the SYN and say nothing/);
    assert.match(said(socket, connect('/x', e.EAGAIN)), /stayed full for as long as SO_SNDTIMEO allows/);
    assert.match(said(socket, setNonblocking, connect('/x', e.EACCES)), /needs write permission on the socket file/);
    assert.match(said(socket, setNonblocking, connect('/x', e.EPERM)), /SELinux or AppArmor, or a seccomp filter/);
    assert.match(said(socket, setNonblocking, connect('/x', e.EPROTOTYPE)), /not a stream socket \(SOCK_DGRAM or SOCK_SEQPACKET\)/);
    const unnamed: CallRecord = { ...base, call: 'getsockname', fd: 3, local: { family: 'unix', path: '' } };
    assert.match(said(socket, connect('/x', 0), unnamed), /the client end is unnamed/);
  });
});

