import assert from 'node:assert/strict';
import { constants as osConstants } from 'node:os';
import { describe, it } from 'node:test';
import { probe, type Mode } from '../../src/index';
import type { CallRecord } from '../../src/probe/record';
import { closedPort, serverForSuite, startFullBacklog, startListener } from '../helpers';

/**
 * The records without what the process or the kernel chose rather than the FFI: timings, fd numbers (this
 * process's own listener holds accepted sockets, so fds differ from run to run; each becomes its order of first
 * appearance, per attempt) and the ephemeral port getsockname reports.
 */
function comparable(records: readonly CallRecord[]) {
  const fds = new Map<string, string>();
  let attempt = 0;
  const fd = (n: number) => {
    const key = `${attempt}/${n}`; // each fresh attempt numbers its own fds
    if (!fds.has(key)) fds.set(key, `fd#${fds.size + 1}`);
    return fds.get(key)!;
  };
  return records.map(({ startMs: _start, durationUs: _duration, ...r }) => {
    attempt = r.attempt;
    const out: Record<string, unknown> = { ...r };
    if (r.call === 'socket' && r.ret >= 0) out.ret = fd(r.ret);
    if ('fd' in r) out.fd = fd(r.fd);
    if (r.call === 'poll') out.fds = r.fds.map((p) => ({ ...p, fd: fd(p.fd) }));
    if (r.call === 'getsockname') out.local = r.local && { ...r.local, port: 'ephemeral' };
    return out;
  });
}

/**
 * Two independent FFIs (ffi-napi and koffi) make the same calls against the real kernel, one after the other in
 * this process: every record (call, arguments, fd, return value, errno, strerror, decoded results) must be equal.
 */
describe('ffi-napi and koffi produce identical call records', () => {
  const listener = serverForSuite(() => startListener());
  const fullQueue = serverForSuite(() => startFullBacklog());

  it('bind() to a source, then a listener: the same records', async () => {
    const options = { host: '127.0.0.1', port: listener.port, mode: 'poll' as Mode, timeoutMs: 150, source: '127.0.0.2' };
    const viaFfiNapi = await probe({ ...options, backend: 'ffi-napi' });
    const viaKoffi = await probe({ ...options, backend: 'koffi' });
    assert.deepEqual(comparable(viaKoffi.addresses[0].records), comparable(viaFfiNapi.addresses[0].records));
    assert.ok(viaFfiNapi.addresses[0].records.some((r) => r.call === 'bind' && r.ret === 0));
    const local = viaFfiNapi.verdict?.local;
    assert.ok(local && 'address' in local);
    assert.equal(local.address.bytes.join('.'), '127.0.0.2');
  });

  const scenarios: [string, () => Promise<number> | number][] = [
    ['closed port', () => closedPort()],
    ['listener', () => listener.port],
    ['full accept queue', () => fullQueue.port],
  ];
  for (const [name, port] of scenarios) {
    for (const mode of ['repeat', 'poll', 'fresh', 'blocking'] as Mode[]) {
      it(`${name}, ${mode} mode`, async () => {
        const perMode = { repeat: { repeat: 3 }, poll: {}, fresh: { count: 2, intervalMs: 0 }, blocking: { repeat: 3 } }[mode];
        const options = { host: '127.0.0.1', port: await port(), mode, timeoutMs: 150, ...perMode };
        const viaFfiNapi = await probe({ ...options, backend: 'ffi-napi' });
        const viaKoffi = await probe({ ...options, backend: 'koffi' });
        assert.deepEqual(comparable(viaKoffi.addresses[0].records), comparable(viaFfiNapi.addresses[0].records));
        assert.deepEqual(viaKoffi.verdict?.kind, viaFfiNapi.verdict?.kind);
        assert.ok(viaFfiNapi.addresses[0].records.length >= 4);
      });
    }
  }
});

/**
 * The calls a command after `--` needs, where they can fail without changing this process (a failed execvp
 * returns; SIGKILL's disposition cannot be changed): the same answers through both FFIs.
 */
describe('ffi-napi and koffi answer the exec calls alike', () => {
  const { loadBackend } = require('../../src/libc/load') as typeof import('../../src/libc/load');
  const both = [loadBackend('ffi-napi').libc, loadBackend('koffi').libc];
  const errnoName = (errno: number) => Object.entries(osConstants.errno).find(([, n]) => n === errno)?.[0];
  const answers = (call: (libc: (typeof both)[number]) => { ret: number; errno: number }) =>
    both.map((libc) => {
      const { ret, errno } = call(libc);
      return `${ret} ${errnoName(errno) ?? errno}`;
    });

  it('execvp of a command on no PATH directory: -1 ENOENT; of a directory: -1 EACCES', () => {
    assert.deepEqual(answers((libc) => libc.execvp('connprobe-no-such-command', ['connprobe-no-such-command', '--', 'x'])), ['-1 ENOENT', '-1 ENOENT']);
    assert.deepEqual(answers((libc) => libc.execvp('/', ['/'])), ['-1 EACCES', '-1 EACCES']);
  });

  it('sigaction on SIGKILL: -1 EINVAL; close_range with first above last: -1 EINVAL', () => {
    assert.deepEqual(answers((libc) => libc.sigactionDefault(osConstants.signals.SIGKILL)), ['-1 EINVAL', '-1 EINVAL']);
    assert.deepEqual(answers((libc) => libc.closeRange(10, 3, 0)), ['-1 EINVAL', '-1 EINVAL']);
  });

  it('a NUL inside a word is refused before any call', () => {
    for (const libc of both) assert.throws(() => libc.execvp('echo', ['echo', 'a\0b']), RangeError);
  });
});
