import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, closedPort, inNetns, NETNS, NETNS_SKIP, runCli, startListener } from '../helpers';

/** The peers a listener has seen, once it has accepted `count` connections (bounded: 5 s). */
async function peersSeen(listener: Awaited<ReturnType<typeof startListener>>, count: number): Promise<readonly string[]> {
  const deadline = Date.now() + 5000;
  while (listener.peers.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return listener.peers;
}

const node = (...args: string[]) => [process.execPath, CLI, ...args];
const ndjson = (stdout: string) => stdout.trimEnd().split('\n').map((line) => JSON.parse(line));

describe('--source ADDR[:PORT]: bind() before connect(), traced like every call', () => {
  it('--source 127.0.0.2 connects to a listener on 127.0.0.1, and the server sees 127.0.0.2 as the peer', async () => {
    const server = await startListener('127.0.0.1');
    try {
      const r = await runCli(['127.0.0.1', String(server.port), '-m', 'poll', '--source', '127.0.0.2']);
      assert.equal(r.code, 0, r.stdout);
      const calls = r.stdout.split('\n').map((line) => line.replace(/ <\d+\.\d{6}>$/, ''));
      const bind = calls.findIndex((line) => /^bind\(\d+, \{AF_INET, 127\.0\.0\.2:0\}, 16\) = 0$/.test(line));
      assert.ok(bind > 0, r.stdout);
      assert.ok(calls.findIndex((line) => line.startsWith('connect(')) > bind, 'bind() comes before connect()');
      const local = /^getsockname\(\d+, \{AF_INET, 127\.0\.0\.2:(\d+)\}\) = 0$/m.exec(calls.join('\n'))?.[1];
      assert.ok(local, 'getsockname() shows the source address');
      assert.match(r.stdout, new RegExp(`^connected: 127\\.0\\.0\\.2:${local} -> 127\\.0\\.0\\.1:${server.port}$`, 'm'));
      assert.deepEqual(await peersSeen(server, 1), [`127.0.0.2 ${local}`]);
    } finally {
      await server.close();
    }
  });

  it('an IPv6 source, bracketed or bare: sockaddr_in6, 28 bytes', async () => {
    const server = await startListener('::1');
    try {
      for (const source of ['[::1]', '::1']) {
        const r = await runCli(['::1', String(server.port), '-m', 'poll', '--source', source]);
        assert.equal(r.code, 0, source);
        assert.match(r.stdout, /^bind\(\d+, \{AF_INET6, \[::1\]:0\}, 28\) = 0 /m, source);
      }
    } finally {
      await server.close();
    }
  });

  it('a fixed port: SO_REUSEADDR, then bind(); a later attempt binds it again though the last connection from it is in TIME_WAIT', async () => {
    const server = await startListener('127.0.0.1');
    const port = await closedPort('127.0.0.2');
    try {
      // 1.5 s apart: on loopback the kernel lets a connect() reuse that TIME_WAIT after net.ipv4.tcp_tw_reuse_delay (1 s)
      const r = await runCli(['127.0.0.1', String(server.port), '-m', 'fresh', '-c', '2', '-i', '1.5s', '--source', `127.0.0.2:${port}`]);
      assert.equal(r.code, 0, r.stdout);
      assert.equal(r.stdout.match(/^setsockopt\(\d+, SOL_SOCKET, SO_REUSEADDR, 1\) = 0 /gm)?.length, 2);
      assert.equal(r.stdout.match(new RegExp(`^bind\\(\\d+, \\{AF_INET, 127\\.0\\.0\\.2:${port}\\}, 16\\) = 0 `, 'gm'))?.length, 2);
      assert.match(r.stdout, /^2 attempts, 2 connected, /m);
      assert.deepEqual(await peersSeen(server, 2), Array(2).fill(`127.0.0.2 ${port}`));
    } finally {
      await server.close();
    }
  });

  it('a fixed port makes a run of several targets one handshake at a time', async () => {
    const listener = await startListener();
    const port = await closedPort('127.0.0.2');
    try {
      const targets = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${listener.port}`, `127.0.0.1:${await closedPort()}`];
      const r = await runCli([...targets, '--source', `127.0.0.2:${port}`, '--ndjson']);
      const events = ndjson(r.stdout);
      assert.equal(events[0].options.concurrency, 1);
      assert.deepEqual(events[0].options.source, { address: '127.0.0.2', family: 4, port });
      const lifetimes = events.filter((e) => e.type === 'call' && (e.record.call === 'socket' || e.record.call === 'close')).map((e) => e.record.call);
      assert.deepEqual(lifetimes, ['socket', 'close', 'socket', 'close', 'socket', 'close'], 'each socket closed before the next is opened');
      assert.deepEqual(events.filter((e) => e.type === 'target').map((e) => e.target.verdict.kind), ['refused', 'connected', 'refused']);
    } finally {
      await listener.close();
    }
  });

  it('bind() to an address and port in use: EADDRINUSE, shown, explained, a local error (exit 6), nothing sent', async () => {
    const listener = await startListener('127.0.0.1');
    try {
      const r = await runCli(['127.0.0.1', String(listener.port), '--source', `127.0.0.1:${listener.port}`, '--explain']);
      assert.equal(r.code, 6);
      assert.match(r.stdout, new RegExp(`^bind\\(\\d+, \\{AF_INET, 127\\.0\\.0\\.1:${listener.port}\\}, 16\\) = -1 EADDRINUSE \\(Address already in use\\) errno=98 `, 'm'));
      assert.match(r.stdout, /^ {4}# another socket already holds 127\.0\.0\.1:\d+: a listener, /m);
      assert.doesNotMatch(r.stdout, /^connect\(/m, 'no connect() after a failed bind()');
      assert.match(r.stdout, /^close\(/m, 'the socket is closed');
      assert.match(r.stdout, /^local error: bind\(\) failed with EADDRINUSE: the source address and port are in use$/m);
      const lines = await runCli([`127.0.0.1:${listener.port}`, `127.0.0.1:${await closedPort()}`, '--source', `127.0.0.1:${listener.port}`]);
      assert.equal(lines.code, 6);
      assert.equal(lines.stdout.match(/^127\.0\.0\.1:\d+ +local error +bind\(\) EADDRINUSE$/gm)?.length, 2, 'a line per target names the call');
    } finally {
      await listener.close();
    }
  });

  describe('in a network namespace of its own (lo up, nothing else)', { skip: NETNS_SKIP }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'connprobe-source-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a source address that is not this machine\'s: bind() EADDRNOTAVAIL, a local error (exit 6), not unreachable', async () => {
      const r = await inNetns(NETNS.loUp, node('127.0.0.1', '80', '-m', 'poll', '--source', '192.0.2.1', '--explain'));
      assert.equal(r.code, 6);
      assert.match(r.stdout, /^bind\(\d+, \{AF_INET, 192\.0\.2\.1:0\}, 16\) = -1 EADDRNOTAVAIL \(Cannot assign requested address\) errno=99 /m);
      assert.match(r.stdout, /^ {4}# 192\.0\.2\.1 is not an address of any interface on this machine/m);
      assert.doesNotMatch(r.stdout, /^connect\(/m);
      assert.match(r.stdout, /^local error: bind\(\) failed with EADDRNOTAVAIL: the source address is not one of this machine's$/m);
    });

    it('a name with both families is kept to the source\'s family', async () => {
      const hosts = join(dir, 'hosts');
      writeFileSync(hosts, '::1 dual.test\n127.0.0.1 dual.test\n');
      const setup = `${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts`;
      const v4 = await inNetns(setup, node('dual.test', '80', '-m', 'poll', '--source', '127.0.0.1'), true);
      assert.match(v4.stdout, /^getaddrinfo\("dual\.test"\) = \[127\.0\.0\.1\] /m);
      assert.equal(v4.stdout.match(/^socket\(/gm)?.length, 1);
      assert.equal(v4.code, 1, 'refused: nothing listens in the namespace');
      const v6 = await inNetns(setup, node('dual.test', '80', '-m', 'poll', '--source', '::1'), true);
      assert.match(v6.stdout, /^getaddrinfo\("dual\.test"\) = \[::1\] /m);
      assert.match(v6.stdout, /^bind\(\d+, \{AF_INET6, \[::1\]:0\}, 28\) = 0 /m);
    });
  });
});
