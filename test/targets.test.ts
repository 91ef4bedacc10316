import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKEND, CLI, closedPort, inNetns, NETNS, NETNS_SKIP, netnsListeners, runCli, runCommand, scratchFiles, serverForSuite, startListener } from './helpers';

const node = (...args: string[]) => [process.execPath, CLI, ...args];
const file = scratchFiles('connprobe-targets-cli-').write;
const connected = (stdout: string) => [...stdout.matchAll(/^(\S+)\s+connected\b/gm)].map((m) => m[1]);

describe('--targets-file: targets one per line, after the command line\'s (nmap -iL)', () => {
  const listener = serverForSuite(() => startListener());

  it('from a file: comments and blank lines ignored, every form of the command line, in order', async () => {
    const closed = await closedPort();
    const path = file('services.txt', `# what the app needs\n\n127.0.0.1 ${listener.port}\n127.0.0.1:${closed}   # off\ntcp://127.0.0.1:${listener.port}\n`);
    const r = await runCli([`127.0.0.1:${closed}`, '--targets-file', path, '--json']);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.targets.map((t: { port: number; verdict: { kind: string } }) => `${t.port} ${t.verdict.kind}`), [
      `${closed} refused`, `${listener.port} connected`, `${closed} refused`, `${listener.port} connected`,
    ]);
    assert.equal(r.code, 1);
  });

  it('from stdin (-); a file is a sweep for the human output: refused targets counted, not listed', async () => {
    const closed = await closedPort();
    const r = await runCommand('sh', ['-c', `printf '# list\\n127.0.0.1 %s\\n\\n127.0.0.1:%s\\n' ${listener.port} ${closed} | ${process.execPath} ${CLI} --targets-file -`]);
    assert.deepEqual(connected(r.stdout), [`127.0.0.1:${listener.port}`]);
    assert.match(r.stdout, /^not shown: 1 refused$/m);
    assert.match(r.stdout, /^2 targets: 1 connected, 1 refused \(/m);
    assert.equal(r.stderr, '');
  });

  it('a bad line stops the run: what was probed before it stands, the line is named FILE:LINE, exit 2', async () => {
    const other = await startListener();
    try {
      const path = file('bad.txt', `127.0.0.1 ${listener.port}\n# fine so far\n127.0.0.1 0\n127.0.0.1 ${other.port}\n`);
      const r = await runCli(['--targets-file', path]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `connprobe: ${path}:3: port must be a whole number from 1 to 65535, not '0'\n`);
      assert.deepEqual(connected(r.stdout), [`127.0.0.1:${listener.port}`], 'the line after the bad one is never probed');
      const json = JSON.parse((await runCli(['--targets-file', path, '--json'])).stdout);
      assert.deepEqual([json.exitCode, json.targets.length], [2, 1], 'the document still closes, with exit code 2');
    } finally {
      await other.close();
    }
  });

  it('a file with no target, and nothing on the command line, is a usage error', async () => {
    const r = await runCli(['--targets-file', file('empty.txt', '# nothing yet\n\n')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^connprobe: .*empty\.txt: no targets in it, and none on the command line\n$/);
  });
});

describe('address ranges and --open, in a namespace of their own', { skip: NETNS_SKIP }, () => {
  it('--open lists only what connected and counts every other verdict, with thousands separators', async () => {
    const dropPort999 =
      'nft add table inet connprobe\n' +
      "nft add chain inet connprobe input '{ type filter hook input priority 0; policy accept; }'\n" +
      'nft add rule inet connprobe input tcp dport 999 drop';
    const r = await inNetns(`${NETNS.loUp}\n${dropPort999}\n${netnsListeners([22, 80])}`, node('127.0.0.1', '1-2000', '--open', '-t', '500ms'));
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(connected(r.stdout), ['127.0.0.1:22', '127.0.0.1:80']);
    assert.equal(lines.length, 4, r.stdout);
    assert.equal(lines[2], 'not shown: 1,997 refused, 1 timed out');
    assert.match(lines[3], /^2,000 targets: 1,997 refused, 2 connected, 1 timed out \(\d+\.\d\d s\)$/);
    assert.equal(r.code, 1, 'the first target that did not connect was refused');
  });

  it('127.0.0.0/16 PORT: 65,536 addresses in order, exactly the listening ones connect', async (t) => {
    const port = 7000;
    const open = ['127.0.0.1', '127.0.3.4', '127.0.200.9'];
    // and one just outside the block, which must not be probed
    const listen = [...open, '127.1.0.1'].map((a) => `require('net').createServer().listen(${port}, '${a}');`).join(' ');
    const setup =
      `${NETNS.loUp}\n${process.execPath} -e "${listen} setTimeout(() => process.exit(), 60000)" >/dev/null 2>&1 &\nBACKGROUND=$!\n` +
      `i=0; until [ "$(grep -c ':1B58 .* 0A ' /proc/net/tcp)" -ge 4 ]; do i=$((i+1)); [ $i -lt 200 ] || exit 99; sleep 0.05; done`;
    const r = await inNetns(setup, node('127.0.0.0/16', String(port), '--expect', 'connected,refused'));
    assert.deepEqual(connected(r.stdout), open.map((a) => `${a}:${port}`));
    assert.match(r.stdout, /^not shown: 65,533 refused$/m);
    const summary = /^65,536 targets: 65,533 refused, 3 connected \((\d+\.\d\d) s\)$/m.exec(r.stdout);
    assert.ok(summary, r.stdout.slice(-300));
    assert.equal(r.code, 0);
    t.diagnostic(`127.0.0.0/16 on ${BACKEND}: ${summary[1]} s`);
  });
});

describe('service names from /etc/services, bind-mounted by the test', { skip: NETNS_SKIP }, () => {
  const services = file('services', 'myservice\t4242/tcp\tmyalias\t# a test service\nudponly 4243/udp\n');

  it('a name and its alias, in either form of target', async () => {
    const setup = `${NETNS.loUp}\nmount --bind ${services} /etc/services\n${netnsListeners([4242])}`;
    const r = await inNetns(setup, ['sh', '-c', `${process.execPath} ${CLI} 127.0.0.1 myalias -m poll && ${process.execPath} ${CLI} 127.0.0.1:myservice -q`], true);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^connected: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:4242$/m);
  });

  it('a name the file does not give a TCP port is a usage error naming the file', async () => {
    const r = await inNetns(`mount --bind ${services} /etc/services`, node('127.0.0.1', 'udponly'), true);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "connprobe: port must be a number from 1 to 65535 or a TCP service name (/etc/services), not 'udponly'\n");
  });

  it('hidden (an empty file bound over it, as in a slim image without it): the built-in table answers', async () => {
    const setup = `${NETNS.loUp}\nmount --bind /dev/null /etc/services\n${netnsListeners([5432])}`;
    const r = await inNetns(setup, ['sh', '-c', `${process.execPath} ${CLI} 127.0.0.1 postgres -q; echo "postgres=$?"; ${process.execPath} ${CLI} 127.0.0.1 myservice`], true);
    assert.match(r.stdout, /^postgres=0$/m);
    assert.equal(r.stderr, "connprobe: port must be a number from 1 to 65535 or a TCP service name (built-in table; /etc/services is missing or empty), not 'myservice'\n");
  });
});

describe('--help states the target forms', () => {
  it('URLs, ranges, service names and --targets-file, within 80 columns', async () => {
    const { stdout } = await runCli(['--help']);
    assert.deepEqual(stdout.split('\n').filter((line) => line.length > 80), []);
    const flat = stdout.replace(/\s+/g, ' ');
    for (const form of ['tcp://db:5432', 'tcp:5432 (localhost)', '192.0.2.0/24', 'fd00::/120', '10.0.0.1-9', '10.0.1,2.1', 'at most 2^24 targets', '/etc/services', '--targets-file <file>', '--open']) {
      assert.ok(flat.includes(form), form);
    }
  });
});
