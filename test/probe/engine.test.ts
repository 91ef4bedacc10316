import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, closedPort, inNetns, NETNS, NETNS_SKIP, netnsListeners, runCli, runCommand, scratchFiles, signalHandled, startFullBacklog, startInDroppingNetns, startListener } from '../helpers';

const node = (...args: string[]) => [process.execPath, CLI, ...args];
const ndjson = (stdout: string) => stdout.trimEnd().split('\n').map((line) => JSON.parse(line));

const connectedPorts = (stdout: string) =>
  [...stdout.matchAll(/^127\.0\.0\.1:(\d+)\s+connected\b/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);

describe('many targets at once', () => {
  const listeners: Awaited<ReturnType<typeof startListener>>[] = [];
  let fullQueues: Awaited<ReturnType<typeof startFullBacklog>>[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) listeners.push(await startListener());
    fullQueues = [await startFullBacklog(), await startFullBacklog()];
  });
  after(async () => {
    await Promise.all([...listeners, ...fullQueues].map((l) => l.close()));
  });

  it('mixes open, closed and timing-out ports: each verdict right, order kept, time bounded by one timeout', async () => {
    const closed = await closedPort();
    const targets = [
      `127.0.0.1:${fullQueues[0].port}`, `127.0.0.1:${listeners[0].port}`, `127.0.0.1:${closed}`,
      `127.0.0.1:${fullQueues[1].port}`, `[::1]:${closed}`, `localhost:${listeners[1].port}`,
    ];
    const r = await runCli([...targets, '--timeout', '1s', '--json']);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.targets.map((t: { host: string; port: number; verdict: { kind: string } }) => `${t.host}:${t.port} ${t.verdict.kind}`),
      [
        `127.0.0.1:${fullQueues[0].port} timeout`, `127.0.0.1:${listeners[0].port} connected`, `127.0.0.1:${closed} refused`,
        `127.0.0.1:${fullQueues[1].port} timeout`, `::1:${closed} refused`, `localhost:${listeners[1].port} connected`,
      ],
    );
    assert.ok(doc.durationMs < 1900, `two 1 s timeouts in parallel took ${doc.durationMs} ms, not their sum`);
    assert.equal(r.code, 3, 'the first target that did not connect timed out');

    const human = await runCli([...targets, '--timeout', '1s']);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0], new RegExp(`^127\\.0\\.0\\.1:${fullQueues[0].port}\\s+timed out`));
    assert.match(lines[1], /connected/);
    assert.match(lines[2], /refused\s+ECONNREFUSED/);
    assert.match(lines[5], /^localhost:\d+\s+connected\s+via 127\.0\.0\.1/);
    assert.match(lines[6], /^6 targets: /);
  });

});

describe('--wait', () => {
  it('finds a listener that starts after a delay, and exits 0', async () => {
    const port = await closedPort();
    let listener: Awaited<ReturnType<typeof startListener>> | undefined;
    const starting = new Promise<void>((done) =>
      setTimeout(async () => {
        const { createServer } = await import('node:net');
        const server = createServer((s) => s.on('error', () => undefined)).listen(port, '127.0.0.1', () => done());
        listener = { port, peers: [], close: () => new Promise((ok) => server.close(() => ok())) };
      }, 700),
    );
    const r = await runCli(['127.0.0.1', String(port), '--wait', '10s', '--interval', '100ms']);
    await starting;
    await listener?.close();
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.1:${port}\\s+connected\\s+.*after \\d+ attempts$`, 'm'));
  });

  it('gives up at the deadline with the timeout exit code, naming the last answer', async () => {
    const port = await closedPort();
    const started = Date.now();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '800ms', '--interval', '100ms']);
    const took = Date.now() - started;
    assert.equal(r.code, 3);
    assert.match(r.stdout, /timed out\s+last ECONNREFUSED\s+after \d+ attempts/);
    assert.ok(took >= 700 && took < 10_000, `took ${took} ms`);
  });

  it('on a pipe prints nothing but the result lines (no progress)', async () => {
    const port = await closedPort();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '300ms', '--interval', '50ms']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trimEnd().split('\n').length, 1);
  });

  it('on a terminal shows live progress on stderr: what it waits for, elapsed, last errno', async () => {
    const port = await closedPort();
    const command = `${process.execPath} ${CLI} 127.0.0.1 ${port} --wait 600ms --interval 50ms`;
    const r = await runCommand('script', ['-qec', command, '/dev/null']);
    assert.match(r.stdout, new RegExp(`waiting \\d+\\.\\ds for 127\\.0\\.0\\.1:${port} \\(0/1 ready, last ECONNREFUSED\\)`));
    assert.match(r.stdout, /timed out/);
  });
});

describe('a sweep of every port, in a namespace of its own', { skip: NETNS_SKIP }, () => {
  const OPEN = [22, 8080, 50000];
  for (const [label, ulimit] of [['', 0], [' under ulimit -n 128', 128]] as const) {
    it(`sweeps 1-65535 on 127.0.0.1${label}: exactly the listening ports, no self-connect, no EMFILE`, async () => {
      const sweep = node('127.0.0.1', '1-65535', '--concurrency', '1024', '--timeout', '2s', '--expect', 'connected,refused');
      const command = ulimit ? ['sh', '-c', `ulimit -n ${ulimit} && exec "$@"`, 'sh', ...sweep] : sweep;
      const r = await inNetns(`${NETNS.loUp}\n${netnsListeners(OPEN)}`, command);
      assert.deepEqual(connectedPorts(r.stdout), OPEN);
      assert.doesNotMatch(r.stdout, /local error|EMFILE|timed out|self-connect/);
      assert.match(r.stdout, /^not shown: 65,532 refused$/m);
      assert.equal(r.code, 0, r.stdout.split('\n').slice(-3).join('\n'));
    });
  }
});

describe('--wait: one engine, and waits that end when they should', () => {
  it('--expect refused waits for a port to close (exit 0 once it does)', async () => {
    const listener = await startListener();
    setTimeout(() => void listener.close(), 600);
    const r = await runCli(['127.0.0.1', String(listener.port), '--wait', '5s', '--interval', '50ms', '--expect', 'refused']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /refused\s+ECONNREFUSED/);
  });

  it('--expect refused on a port that stays open times out with exit 8, naming the last answer', async () => {
    const listener = await startListener();
    try {
      const r = await runCli(['127.0.0.1', String(listener.port), '--wait', '400ms', '--interval', '50ms', '--expect', 'refused']);
      assert.equal(r.code, 8);
      assert.match(r.stdout, /timed out\s+last connected\s+after \d+ attempts/);
    } finally {
      await listener.close();
    }
  });

  it('when the next slot would be past the deadline, one last attempt starts at deadline - timeout', async () => {
    const port = await closedPort();
    const started = Date.now();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '1s', '--interval', '10s', '--timeout', '200ms', '--ndjson']);
    const took = Date.now() - started;
    const events = ndjson(r.stdout);
    assert.equal(r.code, 3);
    assert.equal(events.filter((e) => e.type === 'attempt').length, 2, 'the first attempt, and the last one');
    const [first, last] = events.filter((e) => e.type === 'call' && e.record.call === 'connect').map((e) => e.record.startMs);
    assert.ok(last - first >= 750, `the last attempt started ${last - first} ms after the first: at deadline - timeout (800 ms)`);
    assert.ok(took < 5000, `took ${took} ms`);
  });

  it('no attempt runs past the deadline: --wait 200ms --interval 10s ends within the wait', async () => {
    const port = await closedPort();
    const started = Date.now();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '200ms', '--interval', '10s']);
    assert.equal(r.code, 3);
    assert.ok(Date.now() - started < 3000);
    assert.match(r.stdout, /timed out\s+last ECONNREFUSED\s+after 2 attempts/);
  });

  it('--ndjson: each record carries its own attempt, and an answered attempt its handshake time', async () => {
    const port = await closedPort();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '400ms', '--interval', '50ms', '--ndjson']);
    const events = ndjson(r.stdout);
    const attempts = events.filter((e) => e.type === 'attempt');
    assert.ok(attempts.length >= 3, `${attempts.length} attempts`);
    attempts.forEach((e, i) => {
      assert.equal(e.attempt, i + 1);
      assert.equal(typeof e.handshakeMs, 'number', 'the RST came back: the attempt was answered');
      assert.equal(e.verdict.kind, 'refused');
    });
    const sockets = events.filter((e) => e.type === 'call' && e.record.call === 'socket').map((e) => e.record.attempt);
    assert.deepEqual(sockets, attempts.map((_, i) => i + 1), 'each socket() record names its own attempt');
    const target = events.find((e) => e.type === 'target').target;
    assert.equal(target.addresses[0].attempts, attempts.length);
  });
});

describe('--wait and names, with a stock /etc/hosts, in a namespace', { skip: NETNS_SKIP }, () => {
  const hostsFile = scratchFiles('connprobe-hosts-').write;

  it('localhost with a listener on 127.0.0.1 only: connected at once, ::1 abandoned with its last answer', async () => {
    const hosts = hostsFile('stock', '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n');
    const setup = `${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts\n${netnsListeners([7000])}`;
    const started = Date.now();
    const human = await inNetns(setup, node('localhost:7000', '--wait', '10s'), true);
    assert.ok(Date.now() - started < 5000, 'not the full 10 s');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^localhost:7000\s+connected\s+via 127\.0\.0\.1\s+[\d.]+ ms\s+\(::1 abandoned, last refused\)$/m);
    const json = await inNetns(setup, node('localhost:7000', '--wait', '10s', '--json'), true);
    const [target] = JSON.parse(json.stdout).targets;
    const v6 = target.addresses.find((a: { peer: { family: number } }) => a.peer.family === 6);
    assert.equal(target.verdict.kind, 'connected');
    assert.equal(v6.status, 'abandoned');
    assert.equal(v6.verdict, null, 'an abandoned address gets no verdict');
    assert.equal(v6.lastAnswer.kind, 'refused', 'told refused, not timed out');
  });

  it('a name that appears while waiting (docker-compose) is looked up again each round, then probed', async () => {
    const hosts = hostsFile('late', '127.0.0.1 localhost\n');
    const setup =
      `${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts\n${netnsListeners([5432])}\n` +
      `(sleep 1; echo '127.0.0.1 db' >> ${hosts}) &\nBACKGROUND="$BACKGROUND $!"`;
    const r = await inNetns(setup, node('db', '5432', '--wait', '10s', '--interval', '100ms', '--ndjson'), true);
    const events = ndjson(r.stdout);
    const lookups = events.filter((e) => e.type === 'resolution');
    assert.ok(lookups.length >= 2, `${lookups.length} lookups`);
    assert.ok(lookups[0].resolution.error, 'not there at first');
    assert.deepEqual(lookups.at(-1).resolution.addresses, ['127.0.0.1']);
    assert.equal(events.find((e) => e.type === 'target').target.verdict.kind, 'connected');
    assert.equal(r.code, 0);
  });

  it('a name that never resolves is unresolved only at the deadline (exit 5)', async () => {
    const hosts = hostsFile('none', '127.0.0.1 localhost\n');
    const started = Date.now();
    const r = await inNetns(`${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts`, node('nosuch.test', '80', '--wait', '800ms', '--interval', '100ms'), true);
    assert.equal(r.code, 5);
    assert.ok(Date.now() - started >= 700, 'looked up again until the deadline');
  });

  it('names with underscores (project_db_1) and international names (in their ASCII form) resolve and connect', async () => {
    const hosts = hostsFile('names', '127.0.0.1 localhost project_db_1 xn--bcher-kva.example\n');
    const setup = `${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts\n${netnsListeners([7001])}`;
    const compose = await inNetns(setup, node('project_db_1', '7001', '-m', 'poll'), true);
    assert.match(compose.stdout, /^getaddrinfo\("project_db_1"\) = \[127\.0\.0\.1\]/m);
    assert.equal(compose.code, 0);
    const international = await inNetns(setup, node('bücher.example:7001', 'project_db_1:7001'), true);
    assert.match(international.stdout, /^xn--bcher-kva\.example:7001 +connected/m);
    assert.match(international.stdout, /^project_db_1:7001 +connected/m);
    assert.equal(international.code, 0);
  });

  it('-4 localhost with 127.0.0.1 listed twice probes it once', async () => {
    const hosts = hostsFile('twice', '127.0.0.1 localhost\n127.0.0.1 localhost\n::1 localhost\n');
    const r = await inNetns(`${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts`, node('-4', 'localhost', '80', '-m', 'poll'), true);
    assert.match(r.stdout, /^getaddrinfo\("localhost"\) = \[127\.0\.0\.1\]/m);
    assert.equal((r.stdout.match(/^socket\(/gm) ?? []).length, 1);
    assert.equal(r.code, 1);
  });
});

describe('self-connects, in a namespace whose only ephemeral port is the target', { skip: NETNS_SKIP }, () => {
  const setup = `${NETNS.loUp}\nsysctl -qw net.ipv4.ip_local_port_range="40000 40000"`;

  it('in a run of many targets, a self-connect is retried once on a fresh socket; the verdict is the retry\'s', async () => {
    const r = await inNetns(setup, node('127.0.0.1:40000', '127.0.0.1:40001', '--ndjson'));
    const events = ndjson(r.stdout);
    const tries = events.filter((e) => e.type === 'attempt' && e.target === 0);
    assert.deepEqual(tries.map((e) => [e.attempt, e.verdict.kind]), [[1, 'self-connect'], [1, 'unreachable']]);
    const [first] = events.filter((e) => e.type === 'target').map((e) => e.target);
    assert.equal(first.verdict.kind, 'unreachable', 'the retry found 40000 still taken (TIME_WAIT): EADDRNOTAVAIL');
    assert.equal(first.addresses[0].attempts, 1, 'counted once');
  });

  it('fresh mode retries it under the same attempt number, and counts the attempt once', async () => {
    const r = await inNetns(setup, node('127.0.0.1', '40000', '-m', 'fresh', '-c', '1'));
    assert.match(r.stdout, /^attempt 1: self-connect/m);
    assert.match(r.stdout, /^attempt 1: unreachable/m);
    assert.match(r.stdout, /^1 attempts, 0 connected, 0 refused, 0 timed out, 1 unreachable$/m);
  });
});

describe('one target, stopped or unanswered, in a namespace that drops every packet', { skip: NETNS_SKIP }, () => {
  it('--format classic returns as the seed program does, without waiting for an answer', async () => {
    const started = Date.now();
    const r = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '-f', 'classic'));
    assert.ok(Date.now() - started < 1500, 'the default 2 s timeout was not waited');
    assert.equal(
      r.stdout,
      'ret = -1, errno is 115, error:Operation now in progress\n' + 'ret = -1, errno is 114, error:Operation already in progress\n'.repeat(2),
    );
    assert.equal(r.code, 3);
  });

  for (const [mode, extra] of [['repeat', []], ['poll', []], ['blocking', []], ['fresh', ['-c', '3']]] as const) {
    it(`SIGINT during a ${mode} probe says interrupted, not a verdict it never reached (exit 130)`, async () => {
      for (const format of ['human', 'json']) {
        const args = ['127.0.0.1', '80', '-m', mode, '-t', '20s', ...extra, ...(format === 'json' ? ['--json'] : [])];
        const { child, stdout: output, exited } = startInDroppingNetns(node(...args));
        await signalHandled(child.pid!, 'SIGINT');
        // the probe is under way: its connect() has been made (a JSON document says nothing until the end)
        const deadline = Date.now() + (format === 'json' ? 300 : 10_000);
        while (!output().includes('connect(') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        child.kill('SIGINT');
        assert.equal(await exited, 130, `${mode} ${format}`);
        const stdout = output();
        if (format === 'json') {
          const [target] = JSON.parse(stdout).targets;
          assert.equal(target.verdict, null);
          assert.equal(target.addresses[0].status, 'interrupted');
        } else {
          assert.match(stdout, /^interrupted: no verdict for 127\.0\.0\.1:80/m, stdout);
          assert.doesNotMatch(stdout, /^(timed out|local error)/m);
          assert.match(stdout, /^close\(/m, 'the socket was closed');
        }
      }
    });
  }
});
