import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, closedPort, fixtureProgram, runCli, runCommand, runReference, serverForSuite, startListener } from '../helpers';

describe('repeat mode, --format classic: byte-identical to the C reference program', () => {
  const listener = serverForSuite(() => startListener());

  for (const count of [1, 3, 10]) {
    it(`closed port on 127.0.0.1, ${count} connect() calls`, async () => {
      const port = String(await closedPort());
      const c = await runReference('repeat', '127.0.0.1', Number(port), count, 1000);
      const ours = await runCli(['127.0.0.1', port, '--repeat', String(count), '--format', 'classic']);
      assert.equal(c.code, 0);
      assert.equal(c.stdout.split('\n').length, count + 1);
      assert.equal(ours.stdout, c.stdout);
      assert.equal(ours.code, 1, 'refused: seen by the second call, or awaited with poll after a single one');
    });
  }

  it('open port: ret = 0 keeps C\'s stale errno (115), then EISCONN', async () => {
    const port = String(listener.port);
    const c = await runReference('repeat', '127.0.0.1', Number(port), 3, 1000);
    const ours = await runCli(['127.0.0.1', port, '--repeat', '3', '--format', 'classic']);
    assert.equal(
      c.stdout,
      'ret = -1, errno is 115, error:Operation now in progress\n' +
        'ret = 0, errno is 115, error:Operation now in progress\n' +
        'ret = -1, errno is 106, error:Transport endpoint is already connected\n',
    );
    assert.equal(ours.stdout, c.stdout);
    assert.equal(ours.code, 0);
  });
});

/**
 * The probe's own socket, isolated from an strace log: from the `socket(AF_INET...) = N` line up to `close(N)`,
 * every socket/fcntl/connect/close call on fd N, with the fd number replaced by FD (Node's start-up opens other
 * fds first, so N differs from C's 3; calls on other fds are Node's own and are not ours).
 */
function probeCalls(log: string): string[] {
  const calls: string[] = [];
  let fd: string | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/^\d+\s+/, '').replace(/\)\s+= /, ') = '); // strace pads before '='
    if (fd === undefined) {
      fd = /^socket\(AF_INET, SOCK_STREAM, IPPROTO_IP\) = (\d+)$/.exec(line)?.[1];
      if (fd !== undefined) calls.push(line.replace(/= \d+$/, '= FD'));
      continue;
    }
    const onFd = new RegExp(`^(fcntl|connect|close)\\(${fd}[,)]`);
    if (!onFd.test(line)) continue;
    calls.push(line.replace(new RegExp(`\\(${fd}([,)])`), '(FD$1'));
    if (line.startsWith(`close(${fd})`)) break;
  }
  return calls;
}

describe('syscall parity under strace: the same calls with the same arguments as the C program', () => {
  const logs: string[] = [];
  after(() => logs.forEach((log) => rmSync(log, { force: true })));

  async function straced(label: string, command: string[]): Promise<string[]> {
    const log = join(tmpdir(), `connprobe-strace-${process.pid}-${label}.log`);
    logs.push(log);
    const r = await runCommand('strace', ['-f', '-qq', '-o', log, '-e', 'trace=socket,fcntl,connect,close', ...command]);
    assert.notEqual(r.code, null, r.stderr);
    return probeCalls(readFileSync(log, 'utf8'));
  }

  it('closed port, 3 connects', async () => {
    const port = String(await closedPort());
    const c = await straced('c', [fixtureProgram('connect_ref'), 'repeat', '127.0.0.1', port, '3', '1000']);
    const ours = await straced('node', [process.execPath, CLI, '127.0.0.1', port, '--repeat', '3']);
    assert.equal(c.length, 7, c.join('\n'));
    assert.match(c[0], /^socket\(AF_INET, SOCK_STREAM, IPPROTO_IP\) = FD$/);
    assert.match(c[1], /^fcntl\(FD, F_GETFL\) = 0x2 \(flags O_RDWR\)$/);
    assert.match(c[2], /^fcntl\(FD, F_SETFL, O_RDWR\|O_NONBLOCK\) = 0$/);
    assert.match(c[4], /^connect\(FD, .*htons\(\d+\).*\) = -1 ECONNREFUSED/);
    assert.deepEqual(ours, c);
  });
});
