import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, closedPort, ROOT, runCli, runCommand, serverForSuite, startFullBacklog, startListener } from './helpers';

describe('bad input: one line on stderr naming the problem, exit code 2, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [[], /missing target: give HOST PORT, HOST:PORT or --targets-file/],
    [['127.0.0.1', '80', '--explain', '--wait', '1s'], /--explain follows one socket/],
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
    [['127.0.0.1', '80', 'extra'], /port .* not 'extra'/],
    [['127.0.0.1', '80', '127.0.0.1:81'], /'127\.0\.0\.1:81' is a whole target, after HOST '127\.0\.0\.1': HOST PORTS\.\.\. and HOST:PORTS\.\.\. do not mix/],
    [['127.0.0.1:80', '443'], /'443' is not a HOST:PORTS target: HOST PORTS\.\.\. and HOST:PORTS\.\.\. do not mix/],
    [['localhost', '80', '[::1]:80'], /do not mix/],
    [['256.0.0.1', '80'], /host must be an IPv4 or IPv6 address or a host name, not '256.0.0.1'/],
    [['127.1', '80'], /host .* not '127.1'/],
    [['127.0.0.01', '80'], /host .* not '127.0.0.01'/],
    [['1.2.3.4.5', '80'], /host .* not '1.2.3.4.5'/],
    [['::1::', '80'], /host .* not '::1::'/],
    [['1:2:3:4:5:6:7:8:9', '80'], /host .* not '1:2:3:4:5:6:7:8:9'/],
    [['', '80'], /host .* not ''/],
    [['bad host', '80'], /host .* not 'bad host'/],
    [['-bad', '80'], /unknown option '-bad'/],
    [['bad-', '80'], /host .* not 'bad-'/],
    [['ü..example', '80'], /host 'ü\.\.example' is not a valid international domain name/],
    [['１２７.０.０.１', '80'], /host .* is not a valid international domain name/],
    [['fe80::1%nosuchif0', '80'], /no network interface 'nosuchif0'/],
    [['fe80::1%4294967296', '80'], /the scope of 'fe80::1%4294967296' must be an interface name or index from 1 to 4294967295, not '4294967296'/],
    [['fe80::1%99999999999999999999', '80'], /the scope of .* not '99999999999999999999'/],
    [['fe80::1%0', '80'], /the scope of 'fe80::1%0' must be .* not '0'/],
    [['fe80::1', '80'], /link-local address 'fe80::1' needs a scope, the interface to use: e\.g\. fe80::1%eth0/],
    [['[fe80::abcd]:80'], /link-local address 'fe80::abcd' needs a scope/],
    [['febf::1', '80', '-m', 'poll'], /link-local address 'febf::1' needs a scope/],
    [['[::1]:0'], /port .* not '0'/],
    [['[::1'], /target must be .* not '\[::1'/],
    [['127.0.0.1:80:90'], /target must be .* not '127.0.0.1:80:90'/],
    [['127.0.0.1', '80', '--timeout', '0'], /--timeout must be a duration .* not '0'/],
    [['127.0.0.1', '80', '--timeout', '5x'], /--timeout .* not '5x'/],
    [['127.0.0.1', '80', '--timeout', '-1s'], /--timeout .* not '-1s'/],
    [['127.0.0.1', '80', '--timeout', '1000h'], /--timeout .* not '1000h'/],
    [['127.0.0.1', '80', '--timeout', '25d'], /--timeout .* not '25d'/],
    [['127.0.0.1', '80', '--interval', 'soon'], /--interval .* not 'soon'/],
    [['127.0.0.1', '80', '--timeout', '0.0001'], /--timeout must be a duration like 250ms, 2s, 1\.5m or 1h \(a bare number is seconds\), at least 1ms, not '0\.0001'/],
    [['127.0.0.1', '80', '--timeout', '1d'], /--timeout .* not '1d'/],
    [['127.0.0.1', '80', '--wait', '0.0001'], /--wait must be a duration .* at least 1ms, not '0\.0001'/],
    [['127.0.0.1', '80', '--wait', 'infinity'], /--wait must be a duration .* not 'infinity'/],
    [['127.0.0.1', '80', '--mode', 'nope'], /'nope' is invalid.*repeat, poll, fresh, blocking/],
    [['127.0.0.1', '80', '--count', '0'], /--count .* not '0'/],
    [['127.0.0.1', '80', '--syn-retries', '0'], /--syn-retries must be a whole number from 1 to 127, not '0'/],
    [['127.0.0.1', '80', '--syn-retries', '128'], /--syn-retries .* not '128'/],
    [['localhost', '80', '-4', '-6'], /-4 and -6 exclude each other/],
    [['::1', '80', '-4'], /::1 is not an IPv4 address/],
    [['127.0.0.1:80', '127.0.0.1:81', '--mode', 'repeat'], /--mode repeat probes one target without --wait/],
    [['127.0.0.1', '80', '--wait', '1s', '--mode', 'fresh'], /--mode fresh probes one target without --wait/],
    [['127.0.0.1', '80-81', '--format', 'classic'], /--format classic shows one socket/],
    [['127.0.0.1', '80', '--wait', 'forever'], /--wait must be a duration .* not 'forever'/],
    [['127.0.0.1', '80', '--source', 'localhost'], /--source takes an IP address, not a name: 'localhost'/],
    [['127.0.0.1', '80', '--source', '127.0.0.2:0'], /--source port must be a whole number from 1 to 65535, not '0'/],
    [['127.0.0.1', '80', '--source', '127.0.0.2:99999'], /--source port .* not '99999'/],
    [['127.0.0.1', '80', '--source', '127.0.0.2:'], /--source port .* not ''/],
    [['127.0.0.1', '80', '--source', ':5000'], /--source needs an address: ':5000' has none \(0\.0\.0\.0:PORT or \[::\]:PORT binds any\)/],
    [['127.0.0.1', '80', '--source', '256.0.0.1'], /--source must be ADDR, ADDR:PORT or \[IPV6\]:PORT, an IP address, not '256\.0\.0\.1'/],
    [['127.0.0.1', '80', '--source', '[127.0.0.2]:80'], /--source must be ADDR, .* not '\[127\.0\.0\.2\]:80'/],
    [['127.0.0.1', '80', '--source', '[::1'], /--source must be ADDR, .* not '\[::1'/],
    [['::1', '80', '--source', '[::1]:x'], /--source port .* not 'x'/],
    [['::1', '80', '--source', 'fe80::1'], /link-local address 'fe80::1' needs a scope/],
    [['::1', '80', '--source', '127.0.0.2'], /::1 is not an IPv4 address, as --source 127\.0\.0\.2 is: a socket binds and connects in one family/],
    [['127.0.0.1:80', '[::1]:80', '--source', '[::1]:5000'], /127\.0\.0\.1 is not an IPv6 address, as --source \[::1\]:5000 is/],
    [['unix:/tmp/x.sock', '--source', '127.0.0.2'], /unix:\/tmp\/x\.sock is a unix socket: --source 127\.0\.0\.2 is an IP address, and a socket binds and connects in one family/],
    [['127.0.0.1:80', 'socket:/tmp/x.sock', '--source', '127.0.0.2'], /unix:\/tmp\/x\.sock is a unix socket: --source 127\.0\.0\.2 is an IP address/],
    [['localhost', '80', '-6', '--source', '127.0.0.2'], /-4\/-6 asks for IPv6, but --source 127\.0\.0\.2 is an IPv4 address/],
    [['127.0.0.1', '80', '-f', 'classic', '--source', '127.0.0.2'], /--format classic prints what the C reference program does, and it makes no bind\(\): no --source/],
    [['127.0.0.1', '80-81', '--source', '127.0.0.2:5000', '--concurrency', '4'], /--concurrency does nothing here: a fixed source port \(--source 127\.0\.0\.2:5000\) makes one handshake at a time/],
    [['127.0.0.1', '80', '--source'], /option '--source <addr>' argument missing/],
    [['127.0.0.1', '80', '--stable', '1s'], /--stable does nothing here: it is a window within --wait: give --wait too/],
    [['127.0.0.1', '80', '--wait', '2s', '--stable', '2s'], /--stable must be shorter than --wait: the window has to fit in the wait/],
    [['127.0.0.1', '80', '--wait', '2s', '--stable', '3'], /--stable must be shorter than --wait/],
    [['127.0.0.1', '80', '--wait', '2s', '--stable', '0'], /--stable must be a duration .* at least 1ms, not '0'/],
    [['127.0.0.1', '80', '--wait', '2s', '--stable', 'long'], /--stable must be a duration .* not 'long'/],
    [['127.0.0.1', '80', '--concurrency', '0'], /--concurrency .* not '0'/],
    [['127.0.0.1', '80', '--expect', 'open'], /--expect must be one of connected, refused, timeout, unreachable, unresolved, local-error, self-connect, not 'open'/],
    [['127.0.0.1', '80', '--expect', 'refused,'], /--expect must be one of .*, not ''/],
    [['127.0.0.1', '80', '--expect', 'refused', '--expect', 'opened'], /--expect .* not 'opened'/],
    [['127.0.0.1', '80', '--expect'], /option '--expect <verdicts>' argument missing/],
    [['127.0.0.1', '80', '--expect-sequence', 'EINPROGRESS,refused'], /--expect-sequence takes errno names .* not 'refused'/],
    [['127.0.0.1', '80', '-m', 'poll', '--expect-sequence', 'EINPROGRESS'], /--expect-sequence checks the connect\(\) calls of repeat or blocking mode/],
    [['127.0.0.1', '80', '--json', '--ndjson'], /choose one output format, not json and ndjson/],
    [['127.0.0.1', '80-70'], /port range must go up, not '80-70'/],
    [['127.0.0.1', '80', '-c', '5'], /--count does nothing here: only --mode fresh makes a set number of attempts/],
    [['127.0.0.1', '80', '-m', 'poll', '--repeat', '3'], /--repeat does nothing here: --mode poll makes one connect\(\) per socket/],
    [['127.0.0.1', '80', '--wait', '1s', '--repeat', '3'], /--repeat does nothing here: several targets and --wait make one connect\(\) per socket/],
    [['127.0.0.1', '80', '--interval', '1s'], /--interval does nothing here: only --mode fresh and --wait make several attempts/],
    [['127.0.0.1', '80', '-m', 'blocking', '-i', '1s'], /--interval does nothing here/],
    [['127.0.0.1', '80', '--tcp-info', '-f', 'classic'], /--tcp-info does nothing here: --format classic prints what the seed program prints/],
    [['127.0.0.1', '80', '443', '--tcp-info'], /--tcp-info does nothing here: one line per target shows no calls/],
    [['127.0.0.1', '80', '-t', '1s', '-f', 'classic'], /--timeout does nothing here: --format classic in repeat mode never waits for an answer/],
    [['127.0.0.1', '80', '--expect-sequence', 'EINPROGRESS,EBOGUS'], /--expect-sequence takes errno names .* not 'EBOGUS'/],
    [['127.0.0.1', '80', '--expect-sequence', 'EBOGUS'], /--expect-sequence takes errno names \(or 0\) separated by commas, not 'EBOGUS'/],
    [['http://db:80'], /'http:\/\/db:80' is a http URL, but connprobe probes only a TCP or unix socket connect\(\): write tcp:\/\/HOST:PORT or unix:PATH/],
    [['tcp://db'], /a URL target is tcp:\/\/HOST:PORT, tcp:\/\/\[IPV6\]:PORT, tcp:HOST:PORT or tcp:PORT, not 'tcp:\/\/db'/],
    [['tcp://db:1', '2'], /'2' is not a HOST:PORTS target/],
    [['127.0.0.1', 'nosuchservice'], /port must be a number from 1 to 65535 or a TCP service name \(\/etc\/services\), not 'nosuchservice'/],
    [['127.0.0.0/8', '80,81'], /'127\.0\.0\.0\/8 80,81' makes 33,554,432 targets; at most 16,777,216 \(2\^24\) in one run/],
    [['fd00::/64', '80'], /'fd00::\/64' makes 18,446,744,073,709,551,616 targets/],
    [['127.0.0.0/33', '80'], /the prefix length of '127\.0\.0\.0\/33' must be from 0 to 32, not '33'/],
    [['db/24', '80'], /a CIDR block is ADDRESS\/PREFIX/],
    [['127.0.0.1-300', '80'], /octet ranges of '127\.0\.0\.1-300' take numbers from 0 to 255, not '300'/],
    [['127.0.0.9-1', '80'], /octet range must go up, not '9-1'/],
    [['127.0.1-2', '80'], /an IPv4 range has four octets/],
    [['fd00::/120', '80', '-4'], /fd00::\/120 is not an IPv4 address/],
    [['--targets-file', '/nonexistent/targets'], /cannot read --targets-file '\/nonexistent\/targets': ENOENT/],
    [['--targets-file', '/'], /cannot read --targets-file '\/': EISDIR/],
    [['127.0.0.1', '80', '--open'], /--open does nothing here: one target without --wait shows its calls/],
    [['127.0.0.1', '80-81', '--open', '--json'], /--open does nothing here: --format json keeps every target, with its verdict/],
    [['127.0.0.1', '80-81', '--open', '--ndjson'], /--open does nothing here: --format ndjson keeps every target/],
    [['127.0.0.1', '80', '--'], /-- must be followed by the command to run once the probe succeeds/],
    [['127.0.0.1', '80', '--timestamps', '--json'], /--timestamps does nothing here: --format json carries its own times/],
    [['127.0.0.1', '80', '--timestamps', '--ndjson'], /--timestamps does nothing here: --format ndjson carries its own times/],
    [['127.0.0.1', '80', '--timestamps', '-f', 'classic'], /--timestamps does nothing here: --format classic prints what the C program prints/],
    // user text echoed in a message has its control characters escaped: one line, and nothing for the terminal
    [['127.0.0.1\n80', '80'], /host .* not '127\.0\.0\.1\\n80'/],
    [['\x1b[31mred', '80'], /host .* not '\\x1b\[31mred'/],
    [['127.0.0.1', '80\r\t\x7f\u009b'], /port .* not '80\\r\\t\\x7f\\x9b'/],
    [['127.0.0.1', '80', '--bogus\x1b[2J'], /unknown option '--bogus\\x1b\[2J'/],
    [['127.0.0.1', '80', '--mode', 'poll\nfresh'], /argument 'poll\\nfresh' is invalid/],
    // unix sockets: sun_path holds 108 bytes, a pathname's NUL included; an abstract name fills the 107 after its NUL
    [[`unix:/${'a'.repeat(107)}`], /unix socket 'unix:\/a+': a path fits sun_path in 107 bytes at most \(plus its NUL\), not 108/],
    [[`unix:@${'a'.repeat(108)}`], /unix socket 'unix:@a+': an abstract name fits sun_path in 107 bytes at most, not 108/],
    [[`unix:/tmp/${'é'.repeat(52)}`], /a path fits sun_path in 107 bytes at most \(plus its NUL\), not 109$/m], // bytes, not characters
    [['unix:'], /unix socket 'unix:': a path is needed/],
    [['unix:@'], /an abstract name needs at least one byte after @/],
    [['unix://run/x.sock'], /unix:\/\/ takes an absolute path, unix:\/\/\/run\/x\.sock \(three slashes\)/],
    [['unix:/tmp/x.sock', '80'], /'80' is not a HOST:PORTS target: HOST PORTS\.\.\. and HOST:PORTS\.\.\. do not mix/],
    [['unix:/tmp/x.sock', '--syn-retries', '2'], /--syn-retries does nothing here: every target is a unix socket, and it is TCP's \(TCP_SYNCNT\)/],
    [['unix:/tmp/x.sock', '--tcp-info'], /--tcp-info does nothing here: every target is a unix socket, and it is TCP's \(TCP_INFO\)/],
  ];
  for (const [args, message] of cases) {
    it(`rejects ${JSON.stringify(args)}`, async () => {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /^connprobe: [^\n]+\n$/, 'exactly one line on stderr');
      assert.doesNotMatch(stderr, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'no control character but the final newline');
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at |Error:/, 'no stack trace');
    });
  }
});

describe('exit codes', () => {
  const listener = serverForSuite(() => startListener());

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
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 8, 70, 126, 127, 130, 141]) assert.match(stdout, new RegExp(`^  ${n} +\\S`, 'm'));
    assert.match(stdout, /Examples:/);
  });
});

describe('--help', () => {
  const tooWide = (text: string) => text.split(/\r?\n/).filter((line) => line.length > 80);

  it('fits in 80 columns, every line, on a pipe and on a wide terminal alike', async () => {
    assert.deepEqual(tooWide((await runCli(['--help'])).stdout), []);
    const wide = await runCommand('script', ['-qec', `stty cols 200; ${process.execPath} ${CLI} --help`, '/dev/null']);
    assert.match(wide.stdout, /Exit codes/);
    assert.deepEqual(tooWide(wide.stdout), []);
  });

  it('writes every default one way, (default: 2s), never quoted, and no commander-made (choices: "...")', async () => {
    const { stdout } = await runCli(['--help']);
    const flat = stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(stdout, /"|\(choices:|env:/);
    for (const shown of ['repeat', '3 repeat, 1 blocking', '4', '2s', '1s fresh, 250ms --wait', '512', '1', "the kernel's", 'connected', 'human', 'ffi-napi where it loads, else koffi']) {
      assert.ok(flat.includes(`(default: ${shown})`), shown);
    }
    assert.equal(flat.match(/default:/g)?.length, 12, 'no default written another way besides');
  });

  it('states what --stable and --source need', async () => {
    const flat = (await runCli(['--help'])).stdout.replace(/\s+/g, ' ');
    assert.match(flat, /--stable <duration> with --wait: each address must meet the expectation on consecutive attempts for this long; a miss restarts the window/);
    assert.match(flat, /--source <addr> bind\(\) to ADDR, ADDR:PORT or \[IPV6\]:PORT before connect\(\) \(a fixed port: one handshake at a time\); targets keep to its family/);
  });

  it('states the grammar of targets and the rule for durations', async () => {
    const flat = (await runCli(['--help'])).stdout.replace(/\s+/g, ' ');
    assert.match(flat, /^Usage: connprobe \[options\] HOST PORTS\.\.\. \| HOST:PORTS\.\.\. \| \[IPV6\]:PORTS\.\.\. /);
    assert.match(flat, /Targets \(the two forms do not mix\): HOST PORTS\.\.\. the first argument is HOST \(unless it is a HOST:PORTS target\) and every later one is PORTS/);
    assert.match(flat, /a bare number is seconds/);
    assert.match(flat, /inf or 0: no deadline/);
  });
});

describe('durations: a bare number is seconds, as in timeout(1), nc -w and curl --max-time', () => {
  it('-t 0.5 waits half a second for an answer', async () => {
    const queue = await startFullBacklog();
    try {
      const started = Date.now();
      const { code, stderr } = await runCli(['127.0.0.1', String(queue.port), '-m', 'poll', '-t', '0.5']);
      assert.equal(code, 3);
      assert.equal(stderr, '');
      assert.ok(Date.now() - started >= 500);
    } finally {
      await queue.close();
    }
  });

  it('from 100 up, says once on stderr that it reads seconds (it may have meant ms), and still runs', async () => {
    const closed = String(await closedPort());
    const slow = await runCli(['127.0.0.1', closed, '-m', 'poll', '--timeout', '500']);
    assert.equal(slow.code, 1, 'refused: the run went on');
    assert.equal(slow.stderr, 'connprobe: --timeout 500 is 500 seconds; did you mean 500ms?\n');
    const fresh = await runCli(['127.0.0.1', closed, '-m', 'fresh', '-c', '1', '-i', '100', '-t', '2', '-q']);
    assert.equal(fresh.stderr, 'connprobe: --interval 100 is 100 seconds; did you mean 100ms?\n', 'even with --quiet');
    for (const args of [['-t', '99'], ['-t', '500ms'], ['-t', '1m']]) {
      assert.equal((await runCli(['127.0.0.1', closed, '-m', 'poll', ...args])).stderr, '', args.join(' '));
    }
  });

  for (const forever of ['inf', '0']) {
    it(`--wait ${forever} has no deadline: it retries until the port opens`, async () => {
      const port = await closedPort();
      const child = spawn(process.execPath, [CLI, '127.0.0.1', String(port), '--wait', forever, '-i', '20ms', '--ndjson']);
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
      const attempts = () => stdout.split('"type":"attempt"').length - 1;
      const deadline = Date.now() + 10_000;
      while (attempts() < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const listener = await startListener('127.0.0.1', port);
      try {
        assert.equal(await exited, 0);
      } finally {
        await listener.close();
      }
      const start = JSON.parse(stdout.split('\n')[0]);
      assert.deepEqual([start.options.wait, start.options.waitMs], [true, null], 'JSON has no Infinity: wait, and no deadline');
      assert.ok(attempts() >= 6);
    });
  }
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

describe('in pipelines and CI scripts', () => {
  const listener = serverForSuite(() => startListener());

  it('--quiet prints nothing at all; the exit code answers', async () => {
    const closed = await closedPort();
    const refused = await runCli(['127.0.0.1', String(closed), '--quiet']);
    assert.deepEqual([refused.stdout, refused.stderr, refused.code], ['', '', 1]);
    const open = await runCli(['127.0.0.1', String(listener.port), '-q', '--json']);
    assert.deepEqual([open.stdout, open.stderr, open.code], ['', '', 0]);
  });

  it('--expect refused is a one-line check that a port is closed', async () => {
    const closed = await closedPort();
    assert.equal((await runCli(['127.0.0.1', String(closed), '--expect', 'refused', '-q'])).code, 0);
    assert.equal((await runCli(['127.0.0.1', String(listener.port), '--expect', 'refused', '-q'])).code, 8);
    assert.equal((await runCli([`127.0.0.1:${closed}`, `127.0.0.1:${listener.port}`, '--expect', 'refused', '--any', '-q'])).code, 0);
    assert.equal((await runCli([`127.0.0.1:${closed}`, `127.0.0.1:${listener.port}`, '--expect', 'connected,refused', '-q'])).code, 0);
  });

  it('an unmet expectation (exit 8) says on stderr, in one line, what was expected and what was seen; not with -q', async () => {
    const closed = await closedPort();
    const one = await runCli(['--expect', 'refused', '127.0.0.1', String(listener.port)]);
    assert.equal(one.code, 8);
    assert.equal(one.stderr, `connprobe: expected refused, got connected (127.0.0.1:${listener.port})\n`);
    const many = await runCli(['127.0.0.1', String(closed), String(listener.port), '--expect', 'connected', '--json']);
    assert.equal(many.code, 8);
    assert.equal(JSON.parse(many.stdout).exitCode, 8, 'stdout stays the document');
    assert.equal(many.stderr, `connprobe: expected connected, got refused (127.0.0.1:${closed}); 1 of 2 targets unmet\n`);
    const sequence = await runCli(['127.0.0.1', String(closed), '--expect-sequence', 'EINPROGRESS,EINPROGRESS']);
    assert.equal(sequence.code, 8);
    assert.equal(sequence.stderr, `connprobe: expected connect() to answer EINPROGRESS,EINPROGRESS, got EINPROGRESS,ECONNREFUSED (127.0.0.1:${closed})\n`);
    assert.equal((await runCli(['--expect', 'refused', '127.0.0.1', String(listener.port), '-q'])).stderr, '');
  });

  it('--expect takes one value (comma-separated, repeatable), so a target may follow it', async () => {
    const closed = String(await closedPort());
    assert.equal((await runCli(['--expect', 'refused', '127.0.0.1', closed, '-q'])).code, 0);
    assert.equal((await runCli(['--expect', 'timeout,refused', '127.0.0.1', closed, '-q'])).code, 0);
    assert.equal((await runCli(['--expect', 'timeout', '--expect', 'refused', '127.0.0.1', closed, '-q'])).code, 0);
    assert.equal((await runCli(['--expect', 'timeout', '--expect', 'connected', '127.0.0.1', closed, '-q'])).code, 8);
    assert.equal((await runCli(['--expect', 'timed-out,refused', '127.0.0.1', closed, '-q'])).code, 0, 'as output spells it');
  });

  it('--expect-sequence asserts the kernel\'s exact answers in repeat mode', async () => {
    const closed = String(await closedPort());
    const puzzle = await runCli(['127.0.0.1', closed, '--expect-sequence', 'EINPROGRESS,ECONNREFUSED,EINPROGRESS', '-q']);
    assert.equal(puzzle.code, 0);
    const wrong = await runCli(['127.0.0.1', closed, '--expect-sequence', 'EINPROGRESS,EINPROGRESS', '-q']);
    assert.equal(wrong.code, 8);
    const open = await runCli(['127.0.0.1', String(listener.port), '--expect-sequence', 'EINPROGRESS,0,EISCONN', '-q']);
    assert.equal(open.code, 0);
  });

  it('HOST PORT PORT probes each port, as nc -z host 80 443 does', async () => {
    const closed = await closedPort();
    const { code, stdout } = await runCli(['127.0.0.1', String(listener.port), String(closed)]);
    assert.equal(code, 1, 'the first failure: refused');
    assert.match(stdout, new RegExp(`^127\\.0\\.0\\.1:${listener.port} +connected`, 'm'));
    assert.match(stdout, new RegExp(`^127\\.0\\.0\\.1:${closed} +refused`, 'm'));
    assert.match(stdout, /^2 targets: 1 connected, 1 refused \(/m);
  });

  it('without --expect, several targets exit 0 only if all connected, else with the first failure\'s code', async () => {
    const closed = await closedPort();
    assert.equal((await runCli([`127.0.0.1:${listener.port}`, `localhost:${listener.port}`, '-q'])).code, 0);
    assert.equal((await runCli([`127.0.0.1:${listener.port}`, `127.0.0.1:${closed}`, '-q'])).code, 1);
    assert.equal((await runCli([`127.0.0.1:${listener.port}`, `127.0.0.1:${closed}`, '--any', '-q'])).code, 0);
  });

  it('| head -1 ends quietly: no EPIPE, no stack trace', async () => {
    const command = `${process.execPath} ${CLI} 127.0.0.1 1-3000 --timeout 200ms 2>/tmp/connprobe-epipe-$$; echo "exit=$?" >&2; cat /tmp/connprobe-epipe-$$ >&2; rm -f /tmp/connprobe-epipe-$$`;
    const r = await runCommand('sh', ['-c', `(${command}) | head -1`]);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
    assert.match(r.stderr, /^exit=(0|1|141)\n$/, 'exits quietly, with nothing on stderr');
  });

  it('--help | head -1 ends quietly (141), and a failed write (> /dev/full) is one line and exit 6', async () => {
    const piped = await runCommand('sh', ['-c', `${process.execPath} ${CLI} --help | head -1`]);
    assert.match(piped.stdout, /^Usage: connprobe [^\n]*\n$/);
    assert.equal(piped.stderr, '', 'no EPIPE, no stack trace');
    for (const args of [['--help'], ['127.0.0.1', String(await closedPort())]]) {
      const full = await runCommand('sh', ['-c', `exec ${process.execPath} ${CLI} ${args.join(' ')} > /dev/full`]);
      assert.equal(full.code, 6, args.join(' '));
      assert.equal(full.stderr, 'connprobe: cannot write the output: ENOSPC\n');
    }
  });

  it('the package itself can be required: main and types name what the build makes', () => {
    const { probe, probeConcurrently } = require(ROOT);
    assert.equal(typeof probe, 'function');
    assert.equal(typeof probeConcurrently, 'function');
    const pkg = require(`${ROOT}/package.json`);
    assert.ok(existsSync(join(ROOT, pkg.types)), pkg.types);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} mid-wait closes every socket, prints what it learned, and exits ${code}`, async () => {
      const closed = await closedPort();
      const child = spawn(process.execPath, [CLI, `127.0.0.1:${closed}`, `127.0.0.1:${listener.port}`, '--wait', '30s', '--interval', '20ms', '--ndjson']);
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
      // wait until it is retrying, then look at its fds while it runs
      const deadline = Date.now() + 10_000;
      while (!stdout.includes('"type":"attempt"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(readdirSync(`/proc/${child.pid}/fd`).length > 3, 'it was running');
      child.kill(signal);
      assert.equal(await exited, code);
      const events = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
      const opened = events.filter((e) => e.type === 'call' && e.record.call === 'socket' && e.record.ret >= 0).map((e) => e.record.fd ?? e.record.ret);
      const closedFds = events.filter((e) => e.type === 'call' && e.record.call === 'close' && e.record.ret === 0).map((e) => e.record.fd);
      assert.ok(opened.length >= 2);
      assert.deepEqual([...closedFds].sort(), [...opened].sort(), 'every socket it opened, it closed');
      const targets = events.filter((e) => e.type === 'target').map((e) => e.target);
      assert.equal(targets.length, 2, 'both targets reported');
      assert.equal(targets[1].verdict.kind, 'connected');
      assert.equal(targets[0].verdict, null, 'no verdict it never reached');
      assert.equal(targets[0].addresses[0].status, 'interrupted');
      assert.ok(targets[0].addresses[0].attempts >= 1);
      assert.equal(targets[0].addresses[0].lastErrno, 'ECONNREFUSED');
      assert.deepEqual(events.at(-1), { schemaVersion: 2, type: 'end', exitCode: code, interrupted: true, durationMs: events.at(-1).durationMs });
    });
  }
});

describe('colour', () => {
  const env = (extra: NodeJS.ProcessEnv) => {
    const clean = { ...process.env, ...extra };
    for (const key of ['NO_COLOR', 'FORCE_COLOR'] as const) if (!(key in extra)) delete clean[key];
    return clean;
  };
  const coloured = async (args: string[], extra: NodeJS.ProcessEnv) => {
    const port = await closedPort();
    const r = await runCommand(process.execPath, [CLI, '127.0.0.1', String(port), ...args], env(extra));
    return /\x1b\[/.test(r.stdout);
  };
  it('none on a pipe', async () => assert.equal(await coloured([], {}), false));
  it('forced by FORCE_COLOR', async () => assert.equal(await coloured([], { FORCE_COLOR: '1' }), true));
  it('never with NO_COLOR, even with FORCE_COLOR', async () => assert.equal(await coloured([], { NO_COLOR: '1', FORCE_COLOR: '1' }), false));
  it('forced by --color, forbidden by --no-color', async () => {
    assert.equal(await coloured(['--color'], { NO_COLOR: '1' }), true);
    assert.equal(await coloured(['--no-color'], { FORCE_COLOR: '1' }), false);
  });
  it('on by default on a terminal', async () => {
    const port = await closedPort();
    const r = await runCommand('script', ['-qec', `${process.execPath} ${CLI} 127.0.0.1 ${port}`, '/dev/null'], env({}));
    assert.match(r.stdout, /\x1b\[31m-1 ECONNREFUSED/);
  });
});
