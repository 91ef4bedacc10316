import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closedPort, runCli, startListener } from './helpers';

describe('bad input: one line on stderr naming the problem, exit code 2, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [[], /missing required argument 'target'/],
    [['127.0.0.1'], /target must be HOST PORT, HOST:PORT or \[IPV6\]:PORT, not '127.0.0.1'/],
    [['127.0.0.1', '0'], /port must be a whole number from 1 to 65535, not '0'/],
    [['127.0.0.1', '65536'], /port .* not '65536'/],
    [['127.0.0.1', 'abc'], /port .* not 'abc'/],
    [['127.0.0.1', '-1'], /unknown option '-1'/],
    [['127.0.0.1', '1e3'], /port .* not '1e3'/],
    [['127.0.0.1', '0x50'], /port .* not '0x50'/],
    [['127.0.0.1', '80.5'], /port .* not '80.5'/],
    [['127.0.0.1', ''], /port .* not ''/],
    [['127.0.0.1', ' 80'], /port .* not ' 80'/],
    [['127.0.0.1', '99999999999999999999'], /port .* not '99999999999999999999'/],
    [['127.0.0.1', '80', '--repeat', '0'], /--repeat must be a whole number from 1 to 1000000, not '0'/],
    [['127.0.0.1', '80', '--repeat', '-1'], /--repeat .* not '-1'/],
    [['127.0.0.1', '80', '--repeat', '1e3'], /--repeat .* not '1e3'/],
    [['127.0.0.1', '80', '--repeat', 'three'], /--repeat .* not 'three'/],
    [['127.0.0.1', '80', '--repeat', '1000001'], /--repeat .* not '1000001'/],
    [['127.0.0.1', '80', '--repeat'], /option '-n, --repeat <count>' argument missing/],
    [['127.0.0.1', '80', '--bogus'], /unknown option '--bogus'/],
    [['127.0.0.1', '80', '--format', 'xml'], /'xml' is invalid.*human, classic/],
    [['127.0.0.1', '80', 'extra'], /too many arguments/],
    [['256.0.0.1', '80'], /host must be an IPv4 or IPv6 address or a host name, not '256.0.0.1'/],
    [['127.1', '80'], /host .* not '127.1'/],
    [['127.0.0.01', '80'], /host .* not '127.0.0.01'/],
    [['1.2.3.4.5', '80'], /host .* not '1.2.3.4.5'/],
    [['::1::', '80'], /host .* not '::1::'/],
    [['1:2:3:4:5:6:7:8:9', '80'], /host .* not '1:2:3:4:5:6:7:8:9'/],
    [['', '80'], /host .* not ''/],
    [['bad_host', '80'], /host .* not 'bad_host'/],
    [['fe80::1%nosuchif0', '80'], /no network interface 'nosuchif0'/],
    [['[::1]:0'], /port .* not '0'/],
    [['[::1'], /target must be .* not '\[::1'/],
    [['127.0.0.1:80:90'], /target must be .* not '127.0.0.1:80:90'/],
    [['127.0.0.1', '80', '--timeout', '0'], /--timeout must be a duration .* not '0'/],
    [['127.0.0.1', '80', '--timeout', '5x'], /--timeout .* not '5x'/],
    [['127.0.0.1', '80', '--timeout', '-1s'], /--timeout .* not '-1s'/],
    [['127.0.0.1', '80', '--timeout', '1000h'], /--timeout .* not '1000h'/],
    [['127.0.0.1', '80', '--timeout', '25d'], /--timeout .* not '25d'/],
    [['127.0.0.1', '80', '--interval', 'soon'], /--interval .* not 'soon'/],
    [['127.0.0.1', '80', '--mode', 'nope'], /'nope' is invalid.*repeat, poll, fresh, blocking/],
    [['127.0.0.1', '80', '--count', '0'], /--count .* not '0'/],
    [['127.0.0.1', '80', '--syn-retries', '0'], /--syn-retries must be a whole number from 1 to 127, not '0'/],
    [['127.0.0.1', '80', '--syn-retries', '128'], /--syn-retries .* not '128'/],
    [['localhost', '80', '-4', '-6'], /-4 and -6 exclude each other/],
    [['::1', '80', '-4'], /::1 is not an IPv4 address/],
  ];
  for (const [args, message] of cases) {
    it(`rejects ${JSON.stringify(args)}`, async () => {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /^connprobe: [^\n]+\n$/, 'exactly one line on stderr');
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at |Error:/, 'no stack trace');
    });
  }
});

describe('exit codes', () => {
  let listener: Awaited<ReturnType<typeof startListener>>;
  before(async () => {
    listener = await startListener();
  });
  after(() => listener.close());

  it('exits 1 and says refused when nothing listens', async () => {
    const port = await closedPort();
    const { code, stdout } = await runCli(['127.0.0.1', String(port)]);
    assert.equal(code, 1);
    assert.match(stdout, new RegExp(`^refused: nothing listens on 127\\.0\\.0\\.1:${port}`, 'm'));
  });

  it('exits 0 and names the local port the kernel picked when a listener accepts', async () => {
    const { code, stdout } = await runCli(['127.0.0.1', String(listener.port)]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^connected: 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${listener.port}$`, 'm'));
  });

  it('--help exits 0 and documents every exit code', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7]) assert.match(stdout, new RegExp(`^  ${n}  \\S`, 'm'));
    assert.match(stdout, /Examples:/);
  });
});

describe('human output', () => {
  it('shows every call with its return value, errno name, number, strerror text and time, strace-style', async () => {
    const port = await closedPort();
    const { stdout } = await runCli(['127.0.0.1', String(port), '--repeat', '3']);
    const lines = stdout.trimEnd().split('\n');
    const fd = /^socket\(AF_INET, SOCK_STREAM, 0\) = (\d+) <\d+\.\d{6}>$/.exec(lines[0])?.[1];
    assert.ok(fd, lines[0]);
    const peer = `{AF_INET, 127.0.0.1:${port}}, 16`;
    const expected = [
      `fcntl(${fd}, F_GETFL) = 0x2 (flags O_RDWR)`,
      `fcntl(${fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0`,
      `connect(${fd}, ${peer}) = -1 EINPROGRESS (Operation now in progress) errno=115`,
      `connect(${fd}, ${peer}) = -1 ECONNREFUSED (Connection refused) errno=111`,
      `connect(${fd}, ${peer}) = -1 EINPROGRESS (Operation now in progress) errno=115`,
      `close(${fd}) = 0`,
    ];
    assert.deepEqual(
      lines.slice(1, 7).map((line) => line.replace(/ <\d+\.\d{6}>$/, '')),
      expected,
    );
    assert.equal(lines.length, 8);
  });

  it('has no colour codes on a pipe, and has them with --color', async () => {
    const port = await closedPort();
    const plain = await runCli(['127.0.0.1', String(port)]);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
    const forced = await runCli(['127.0.0.1', String(port), '--color']);
    assert.match(forced.stdout, /\x1b\[31m-1 ECONNREFUSED/);
  });
});
