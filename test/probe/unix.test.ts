import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CLI, closedPort, fixtureProgram, NETNS_SKIP, runCli, runCommand, runReference, startListener, type ReferenceMode } from '../helpers';
import { randomAbstractName, socketDirForSuite, startUnixServer, type Held } from '../unix-helpers';

/**
 * AF_UNIX stream sockets against the real kernel, state by state: connect() is settled within the call (never
 * EINPROGRESS), so every mode makes its calls and needs no wait. Each state's exit code is its verdict's, its
 * --explain says why, and --format classic prints exactly what the C reference program prints.
 */
interface State {
  readonly name: string;
  /** A file name in the suite's directory, or an abstract `@name`. */
  readonly name_: string;
  readonly exitCode: number;
  /** errno names of repeat mode's three connect() calls ('0' for a success). */
  readonly sequence: readonly string[];
  readonly verdict: RegExp;
  readonly explained: RegExp;
  start(path: string): Promise<Held>;
}

const nothing = async (): Promise<Held> => ({ close: async () => undefined });

const STATES: readonly State[] = [
  {
    name: 'no such file', name_: 'none.sock', exitCode: 1, sequence: ['ENOENT', 'ENOENT', 'ENOENT'],
    verdict: /^refused: nothing listens on unix:\/.*none\.sock: no such file \(ENOENT\)$/m,
    explained: /no such file: nothing was ever bound there, or it was removed/, start: nothing,
  },
  {
    name: 'stale socket file (bound, listened, closed; the file left)', name_: 'stale.sock', exitCode: 1, sequence: ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'],
    verdict: /^refused: nothing listens on unix:\/.*stale\.sock: no socket listens on that file \(ECONNREFUSED\)$/m,
    explained: /a socket file outlives its listener .* connect\(\) needs a listening socket bound to it/, start: (path) => startUnixServer('stale', path),
  },
  {
    name: 'abstract name nobody holds', name_: randomAbstractName(), exitCode: 1, sequence: ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'],
    verdict: /^refused: nothing listens on unix:@connprobe-test-\S+: nobody holds that abstract name$/m,
    explained: /nobody holds that abstract name in this network namespace/, start: nothing,
  },
  {
    name: 'listener', name_: 'listener.sock', exitCode: 0, sequence: ['0', 'EISCONN', 'EISCONN'],
    verdict: /^connected: \(unnamed\) -> unix:\/.*listener\.sock$/m,
    explained: /queued this connection on its backlog within the call/, start: (path) => startUnixServer('listen', path),
  },
  {
    name: 'listener on an abstract name', name_: randomAbstractName(), exitCode: 0, sequence: ['0', 'EISCONN', 'EISCONN'],
    verdict: /^connected: \(unnamed\) -> unix:@connprobe-test-\S+$/m,
    explained: /queued this connection on its backlog within the call/, start: (path) => startUnixServer('listen', path),
  },
  {
    name: 'full backlog (listen backlog 0, one client pending)', name_: 'full.sock', exitCode: 3, sequence: ['EAGAIN', 'EAGAIN', 'EAGAIN'],
    verdict: /^timed out: unix:\/.*full\.sock is not accepting: its listen backlog is full \(EAGAIN\)$/m,
    explained: /backlog is full .* says so at once, where TCP would drop the SYN and say nothing/, start: (path) => startUnixServer('backlog', path),
  },
  {
    name: 'a datagram socket file', name_: 'dgram.sock', exitCode: 6, sequence: ['EPROTOTYPE', 'EPROTOTYPE', 'EPROTOTYPE'],
    verdict: /^local error: connect\(\) failed with EPROTOTYPE$/m,
    explained: /not a stream socket/, start: (path) => startUnixServer('dgram', path),
  },
];

const TIMEOUT_MS = 200;
const MODES: readonly { mode: ReferenceMode; count: number; options: readonly string[] }[] = [
  { mode: 'repeat', count: 3, options: ['--repeat', '3'] }, // classic repeat mode takes no --timeout: it never waits
  { mode: 'poll', count: 1, options: ['--timeout', `${TIMEOUT_MS}ms`] },
  { mode: 'blocking', count: 2, options: ['--timeout', `${TIMEOUT_MS}ms`, '--repeat', '2'] },
];

const connectAnswers = (stdout: string) =>
  stdout.split('\n').filter((line) => line.startsWith('connect(')).map((line) => / = (?:-1 (\w+)|0) /.exec(line)?.[1] ?? '0');

describe('AF_UNIX targets, state by state', () => {
  const dir = socketDirForSuite();
  for (const state of STATES) {
    describe(state.name, () => {
      const path = () => (state.name_.startsWith('@') ? state.name_ : dir.file(state.name_));
      let held: Held;
      before(async () => {
        held = await state.start(path());
      });
      after(() => held.close());

      it(`repeat mode: ${state.sequence.join(', ')}, exit ${state.exitCode}, explained`, async () => {
        const { stdout, code } = await runCli([`unix:${path()}`, '--explain']);
        assert.deepEqual(connectAnswers(stdout), state.sequence, stdout);
        assert.match(stdout, /^socket\(AF_UNIX, SOCK_STREAM, 0\) = \d+ /m);
        assert.match(stdout, /^# explanations describe Linux's AF_UNIX sockets$/m);
        assert.match(stdout, state.explained);
        assert.match(stdout, state.verdict);
        assert.doesNotMatch(stdout, /TCP_INFO|poll\(/, 'no TCP_INFO on a unix socket, and nothing to wait for');
        assert.equal(code, state.exitCode);
      });

      for (const { mode, count, options } of MODES) {
        it(`${mode} mode: exit ${state.exitCode}, and --format classic equals the C reference`, async () => {
          const c = await runReference(mode, `unix:${path()}`, 0, count, TIMEOUT_MS);
          const ours = await runCli([`unix:${path()}`, '--mode', mode, ...options, '--format', 'classic']);
          assert.equal(c.code, 0, c.stderr);
          assert.equal(c.stdout.split('\n').length - 1, count, c.stdout);
          assert.equal(ours.stdout, c.stdout);
          assert.equal(ours.code, state.exitCode);
        });
      }
    });
  }
});

describe('the sockaddr_un connprobe passes, as strace shows it and as the C reference passes it', () => {
  const dir = socketDirForSuite();
  it('a pathname: offsetof(sun_path) + its bytes + its NUL; an abstract name: + 1 + its bytes, no NUL', async () => {
    const path = dir.file('x.sock');
    const pathname = await runCli([`unix:${path}`, '--repeat', '1']);
    assert.match(pathname.stdout, new RegExp(`^connect\\(\\d+, \\{AF_UNIX, "${path}"\\}, ${2 + path.length + 1}\\) = -1 ENOENT `, 'm'));
    const name = randomAbstractName();
    const abstract = await runCli([`unix:${name}`, '--repeat', '1']);
    assert.match(abstract.stdout, new RegExp(`^connect\\(\\d+, \\{AF_UNIX, @"${name.slice(1)}"\\}, ${2 + 1 + name.length - 1}\\) = -1 ECONNREFUSED `, 'm'));
  });

  it('strace sees the same connect() arguments from connprobe as from the C reference', async () => {
    const straced = async (command: string[]) => {
      const r = await runCommand('strace', ['-f', '-qq', '-e', 'trace=connect', ...command]);
      return r.stderr.split('\n').filter((line) => line.includes('AF_UNIX')).map((line) => line.replace(/^\[pid +\d+\] /, '').replace(/^connect\(\d+,/, 'connect(FD,'));
    };
    for (const target of [`unix:${dir.file('y.sock')}`, `unix:${randomAbstractName()}`]) {
      const c = await straced([fixtureProgram('connect_ref'), 'repeat', target, '0', '2', '0']);
      const ours = await straced([process.execPath, CLI, target, '--repeat', '2']);
      assert.equal(c.length, 2, c.join('\n'));
      assert.match(c[0], /sun_path=@?"/);
      assert.deepEqual(ours, c);
    }
  });
});

describe('AF_UNIX: no permission (EACCES), as a user other than the socket file\'s owner', { skip: NETNS_SKIP && 'needs root to own the socket file and to run the probe as another user (setpriv)' }, () => {
  const dir = socketDirForSuite();
  let held: Held;
  before(async () => {
    held = await startUnixServer('listen', dir.file('private.sock'));
    chmodSync(dir.file('private.sock'), 0o700); // root's, and only root may write to it
  });
  after(() => held.close());
  const asNobody = (command: string[]) => runCommand('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...command]);

  it('local error (exit 6), explained; --format classic equals the C reference run as the same user', async () => {
    const target = `unix:${dir.file('private.sock')}`;
    const human = await asNobody([process.execPath, CLI, target, '--explain']);
    assert.deepEqual(connectAnswers(human.stdout), ['EACCES', 'EACCES', 'EACCES'], human.stderr);
    assert.match(human.stdout, /connect\(\) needs write permission on the socket file/);
    assert.match(human.stdout, /^local error: connect\(\) failed with EACCES$/m);
    assert.equal(human.code, 6);
    const c = await asNobody([fixtureProgram('connect_ref'), 'repeat', target, '0', '3', '0']);
    const ours = await asNobody([process.execPath, CLI, target, '--format', 'classic']);
    assert.equal(c.stdout, 'ret = -1, errno is 13, error:Permission denied\n'.repeat(3));
    assert.equal(ours.stdout, c.stdout);
    assert.equal(ours.code, 6);
    const root = await runCli([target, '--repeat', '1', '-q']);
    assert.equal(root.code, 0, 'root may: the refusal is the file mode');
  });
});

describe('AF_UNIX in runs of many targets', () => {
  const dir = socketDirForSuite();

  it('--wait: a socket file that appears late is waited for until it accepts (wait-on\'s socket:)', async () => {
    const path = dir.file('late.sock');
    const probe = runCli([`socket:${path}`, '--wait', '10s', '--interval', '50ms']);
    await new Promise((r) => setTimeout(r, 300));
    const held = await startUnixServer('listen', path);
    try {
      const { stdout, code } = await probe;
      assert.equal(code, 0, stdout);
      assert.match(stdout, new RegExp(`^unix:${path}\\s+connected\\s+[\\d.]+ ms\\s+after \\d+ attempts$`, 'm'));
    } finally {
      await held.close();
    }
  });

  it('--wait gives up at its deadline with the last errno: ENOENT, exit 3', async () => {
    const { stdout, code } = await runCli([`unix:${dir.file('never.sock')}`, '--wait', '300ms', '--interval', '50ms']);
    assert.equal(code, 3);
    assert.match(stdout, /^unix:\/\S+never\.sock\s+timed out\s+last ENOENT\s+after \d+ attempts$/m);
  });

  it('a targets file gives unix targets among TCP ones; --syn-retries acts on the TCP ones only', async () => {
    const tcp = await startListener();
    const unix = await startUnixServer('listen', dir.file('listed.sock'));
    try {
      const list = dir.file('targets.txt');
      writeFileSync(list, `# unix and TCP\nunix:${dir.file('listed.sock')}\n127.0.0.1:${tcp.port}\nsocket:${dir.file('missing.sock')}\n`);
      const lines = await runCli(['--targets-file', list, '--syn-retries', '2']);
      assert.equal(lines.code, 1, lines.stderr);
      const shown = lines.stdout.trimEnd().split('\n');
      assert.match(shown[0], /^unix:\/\S+listed\.sock\s+connected\s+[\d.]+ ms$/);
      assert.match(shown[1], new RegExp(`^127\\.0\\.0\\.1:${tcp.port}\\s+connected\\s+`));
      assert.deepEqual(shown.slice(2, 3), ['not shown: 1 refused'], 'a file is a sweep: refused targets are counted');
      assert.match(shown[3], /^3 targets: 2 connected, 1 refused /);

      const json = JSON.parse((await runCli(['--targets-file', list, '--syn-retries', '2', '--json'])).stdout);
      const options = (target: { addresses: { records: { call: string; option?: string }[] }[] }) =>
        target.addresses[0].records.filter((r) => r.call === 'setsockopt').map((r) => r.option);
      assert.deepEqual(json.targets.map((t: { port: number | null }) => t.port), [null, tcp.port, null]);
      assert.equal(json.targets[2].verdict.errnoName, 'ENOENT');
      assert.deepEqual(json.targets.map(options), [[], ['TCP_SYNCNT'], []], 'TCP_SYNCNT on the TCP socket only');
    } finally {
      await Promise.all([tcp.close(), unix.close()]);
    }
  });

  it('--stable holds a unix socket to the same window as a TCP one', async () => {
    const unix = await startUnixServer('listen', dir.file('stable.sock'));
    try {
      const { stdout, code } = await runCli([`unix:${dir.file('stable.sock')}`, '--wait', '5s', '--stable', '150ms', '--interval', '30ms']);
      assert.equal(code, 0, stdout);
      assert.match(stdout, /^unix:\/\S+stable\.sock\s+connected\s+[\d.]+ ms\s+after \d+ attempts \(stable 150ms\)$/m);
    } finally {
      await unix.close();
    }
  });

  it('unix and TCP targets mix in one run: one line each, in the order given, exit of the first failure', async () => {
    const tcp = await startListener();
    const unix = await startUnixServer('listen', dir.file('mixed.sock'));
    try {
      const closed = await closedPort();
      const name = randomAbstractName();
      const { stdout, code } = await runCli([`unix:${dir.file('mixed.sock')}`, `127.0.0.1:${tcp.port}`, `unix:${name}`, `127.0.0.1:${closed}`, `unix://${dir.file('gone.sock')}`]);
      const lines = stdout.trimEnd().split('\n');
      assert.match(lines[0], /^unix:\/\S+mixed\.sock\s+connected\s+[\d.]+ ms$/);
      assert.match(lines[1], new RegExp(`^127\\.0\\.0\\.1:${tcp.port}\\s+connected\\s+`));
      assert.match(lines[2], new RegExp(`^unix:${name}\\s+refused\\s+ECONNREFUSED\\s+`));
      assert.match(lines[3], new RegExp(`^127\\.0\\.0\\.1:${closed}\\s+refused\\s+ECONNREFUSED\\s+`));
      assert.match(lines[4], /^unix:\/\S+gone\.sock\s+refused\s+ENOENT\s+/, 'dockerize\'s unix:/// spelling, shown in its canonical form');
      assert.match(lines[5], /^5 targets: 2 connected, 3 refused /);
      assert.equal(code, 1);

      const json = JSON.parse((await runCli([`unix:${dir.file('mixed.sock')}`, `127.0.0.1:${tcp.port}`, '--tcp-info', '--json'])).stdout);
      const [unixTarget, tcpTarget] = json.targets;
      assert.deepEqual([unixTarget.host, unixTarget.port], [`unix:${dir.file('mixed.sock')}`, null]);
      assert.deepEqual(unixTarget.addresses[0].peer, { family: 'unix', path: dir.file('mixed.sock') });
      assert.deepEqual(unixTarget.verdict.local, { family: 'unix', path: '' }, 'the client end is unnamed');
      const calls = (target: { addresses: { records: { call: string; option?: string }[] }[] }) => target.addresses[0].records.map((r) => r.option ?? r.call);
      assert.deepEqual(calls(unixTarget), ['socket', 'connect', 'getsockname', 'close'], 'TCP_INFO skipped on the unix socket');
      assert.ok(calls(tcpTarget).includes('TCP_INFO'), 'and read on the TCP one');
    } finally {
      await Promise.all([tcp.close(), unix.close()]);
    }
  });
});
