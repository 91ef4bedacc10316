import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, fixtureProgram, inNetns, NETNS, NETNS_SKIP } from '../helpers';

/**
 * Faults only a network namespace of our own can make: dropped packets, SYN retries running out, lo down,
 * a resolver that cannot answer, a name with two addresses, a self-connect. Each runs in a fresh namespace
 * where no packet can leave the machine.
 */
const node = (...args: string[]) => [process.execPath, CLI, ...args];
const reference = (...args: string[]) => [fixtureProgram('connect_ref'), ...args];
const connectErrnos = (stdout: string) =>
  stdout.split('\n').filter((l) => l.startsWith('connect(')).map((l) => / = (?:-1 (\w+)|0) /.exec(l)?.[1] ?? '0');

describe('inside a network namespace', { skip: NETNS_SKIP }, () => {
  describe('every packet on lo dropped (nftables)', () => {
    it('repeat mode: EINPROGRESS then EALREADY, then no answer: timed out, and classic equals C', async () => {
      const ours = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '--timeout', '300ms'));
      assert.deepEqual(connectErrnos(ours.stdout), ['EINPROGRESS', 'EALREADY', 'EALREADY']);
      assert.match(ours.stdout, /^poll\(.*\) = 0 \(Timeout\)/m);
      assert.equal(ours.code, 3);
      const c = await inNetns(NETNS.dropAll, reference('repeat', '127.0.0.1', '80', '5', '300'));
      const classic = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '-n', '5', '-f', 'classic'));
      assert.equal(classic.stdout, c.stdout);
      assert.equal(c.stdout.split('\n').filter((l) => l.includes('errno is 114')).length, 4);
    });

    it('poll mode times out: poll returns 0, exit 3, classic equals C', async () => {
      const ours = await inNetns(NETNS.dropAll, node('::1', '80', '-m', 'poll', '-t', '300ms', '-f', 'classic'));
      const c = await inNetns(NETNS.dropAll, reference('poll', '::1', '80', '1', '300'));
      assert.equal(c.stdout, 'ret = -1, errno is 115, error:Operation now in progress\npoll = 0, revents = 0x0\n');
      assert.equal(ours.stdout, c.stdout);
      assert.equal(ours.code, 3);
    });

    it('with net.ipv4.tcp_syn_retries=1 the kernel gives up after about 3 s: SO_ERROR ETIMEDOUT', async () => {
      const setup = `${NETNS.dropAll}\nsysctl -qw net.ipv4.tcp_syn_retries=1`;
      const ours = await inNetns(setup, node('127.0.0.1', '80', '-m', 'poll', '-t', '10s'));
      assert.match(ours.stdout, /^getsockopt\(\d+, SOL_SOCKET, SO_ERROR, \[ETIMEDOUT=110 \(Connection timed out\)\]/m);
      const waited = Number(/^poll\(.*<([\d.]+)>$/m.exec(ours.stdout)?.[1]);
      assert.ok(waited > 2 && waited < 9.5, `poll waited ${waited} s, expected about 3 s (1 s + 2 s of SYN retransmission)`);
      assert.equal(ours.code, 3);
      const c = await inNetns(setup, reference('poll', '127.0.0.1', '80', '1', '10000'));
      const classic = await inNetns(setup, node('127.0.0.1', '80', '-m', 'poll', '-t', '10s', '-f', 'classic'));
      assert.equal(classic.stdout, c.stdout);
      assert.match(c.stdout, /^so_error = 110, error:Connection timed out$/m);
    });

    it('--syn-retries 1 sets TCP_SYNCNT on the socket: the same ETIMEDOUT without touching the sysctl', async () => {
      const ours = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '-m', 'poll', '-t', '10s', '--syn-retries', '1'));
      assert.match(ours.stdout, /^setsockopt\(\d+, IPPROTO_TCP, TCP_SYNCNT, 1\) = 0/m);
      assert.match(ours.stdout, /SO_ERROR, \[ETIMEDOUT=110/);
      assert.match(ours.stdout, /^timed out: .* \(ETIMEDOUT\)$/m);
      assert.equal(ours.code, 3);
    });
  });

  describe('lo down', () => {
    for (const [address, errno, errnoNumber] of [['127.0.0.1', 'ENETUNREACH', 101], ['::1', 'EADDRNOTAVAIL', 99]] as const) {
      it(`${address}: every connect() says ${errno}, exit 4, in each mode; classic equals C`, async () => {
        const repeat = await inNetns(NETNS.loDown, node(address, '80', '-n', '5'));
        assert.deepEqual(connectErrnos(repeat.stdout), Array(5).fill(errno));
        assert.equal(repeat.code, 4);
        for (const mode of ['poll', 'fresh', 'blocking']) {
          const r = await inNetns(NETNS.loDown, node(address, '80', '-m', mode, ...(mode === 'fresh' ? ['-c', '1'] : [])));
          assert.deepEqual(connectErrnos(r.stdout), [errno], mode);
          assert.equal(r.code, 4, mode);
        }
        const c = await inNetns(NETNS.loDown, reference('repeat', address, '80', '5', '300'));
        const classic = await inNetns(NETNS.loDown, node(address, '80', '-n', '5', '-f', 'classic'));
        assert.equal(classic.stdout, c.stdout);
        assert.equal(c.stdout, `ret = -1, errno is ${errnoNumber}, error:${errno === 'ENETUNREACH' ? 'Network is unreachable' : 'Cannot assign requested address'}\n`.repeat(5));
      });
    }

    it('a link-local address keeps its scope: sockaddr_in6 with sin6_scope_id of lo', async () => {
      const r = await inNetns(NETNS.loDown, node('fe80::1%lo', '80', '-n', '1'));
      assert.match(r.stdout, /^connect\(\d+, \{AF_INET6, \[fe80::1%lo\]:80\}, 28\) = -1 EADDRNOTAVAIL/m);
      assert.equal(r.code, 4);
    });
  });

  describe('names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'connprobe-hosts-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a name that does not resolve (no resolver reachable) exits 5 and says so', async () => {
      const r = await inNetns(NETNS.loDown, node('nonexistent.invalid', '80'));
      assert.match(r.stdout, /^getaddrinfo\("nonexistent\.invalid"\) = E[A-Z_]+ \(the name did not resolve\) <[\d.]+>$/m);
      assert.match(r.stdout, /^unresolved: nonexistent\.invalid did not resolve/m);
      assert.doesNotMatch(r.stdout, /^socket\(/m, 'nothing to connect to');
      assert.equal(r.code, 5);
    });

    it('a name with ::1 refused and 127.0.0.1 listening: both probed, the disagreement shown, exit 0', async () => {
      const hosts = join(dir, 'hosts');
      writeFileSync(hosts, '::1 dual.test\n127.0.0.1 dual.test\n');
      const setup =
        `${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts\n` +
        `${process.execPath} -e "require('net').createServer().listen(8080, '127.0.0.1'); setTimeout(() => process.exit(), 30000)" >/dev/null 2>&1 &\nBACKGROUND=$!\n` +
        'while ! grep -q ":1F90 " /proc/net/tcp; do sleep 0.05; done';
      const both = await inNetns(setup, node('dual.test', '8080', '-m', 'poll'), true);
      assert.match(both.stdout, /^getaddrinfo\("dual\.test"\) = \[::1, 127\.0\.0\.1\]/m);
      assert.match(both.stdout, /^refused: nothing listens on \[::1\]:8080/m);
      assert.match(both.stdout, /^connected: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:8080$/m);
      assert.match(both.stdout, /^dual\.test:8080: ::1 refused, 127\.0\.0\.1 connected$/m);
      assert.match(both.stdout, /the addresses disagree/);
      assert.equal(both.code, 0);
      const v6 = await inNetns(setup, node('dual.test', '8080', '-m', 'poll', '-6'), true);
      assert.match(v6.stdout, /^getaddrinfo\("dual\.test"\) = \[::1\]/m);
      assert.equal(v6.code, 1);
      const v4 = await inNetns(setup, node('dual.test', '8080', '-m', 'poll', '-4'), true);
      assert.equal(v4.code, 0);
    });
  });

  it('a TCP self-connect (the kernel picks the target port as source port) is reported as such, exit 7', async () => {
    const setup = `${NETNS.loUp}\nsysctl -qw net.ipv4.ip_local_port_range="40000 40000"`;
    const r = await inNetns(setup, node('127.0.0.1', '40000', '-m', 'poll', '--explain'));
    assert.match(r.stdout, /^getsockname\(\d+, \{AF_INET, 127\.0\.0\.1:40000\}\) = 0/m);
    assert.match(r.stdout, /TCP self-connect/);
    assert.match(r.stdout, /^self-connect: nothing listens on 127\.0\.0\.1:40000/m);
    assert.doesNotMatch(r.stdout, /^connected:/m);
    assert.equal(r.code, 7);
  });
});
