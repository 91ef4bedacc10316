import { Command, CommanderError, Option } from 'commander';
import { checkCommand, COMMAND_NOT_FOUND, COMMAND_NOT_RUN, execCommand, splitCommand, stdioFlags, writeAllSync } from './command';
import { UnsupportedPlatformError } from './libc/constants';
import { backendFromEnv, BackendUnavailableError, BACKENDS, loadBackend, type BackendName } from './libc/load';
import { FORMATS, MODES, resolveOptions, VERDICTS, type Format, type Mode, type Options, type OptionsInput } from './options';
import { EXPECTATION_NOT_MET } from './probe/expectation';
import { EXIT_CODES, type VerdictKind } from './probe/verdict';
import { bareSecondsWarning, parseDuration, parseWait, parseWholeNumber } from './target/parse';
import { parseSource } from './target/source-address';
import { TargetFile, TargetSource } from './target/source';
import { printable, UsageError } from './usage';
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
const BROKEN_PIPE_EXIT = 141;
const INTERNAL_ERROR_EXIT = 70;

/** Help sections are written for 80 columns, and commander wraps the option list to the same width. */
const HELP_WIDTH = 80;

/** Two columns: a term padded to `width`, then what it means. */
const table = (width: number, rows: readonly (readonly [string | number, string])[]) =>
  rows.map(([term, text]) => `  ${String(term).padEnd(width)}${text}`).join('\n');

const TARGETS = `Targets (the two forms do not mix):
${table(16, [
  ['HOST PORTS...', 'the first argument is HOST (unless it is a HOST:PORTS target)'],
  ['', 'and every later one is PORTS: 80, 8000-8010, 80,443 or http'],
  ['HOST:PORTS...', 'every argument, with a colon, a whole target: db:5432,'],
  ['', '[::1]:80-90, [fe80::1%eth0]:22, localhost:ssh, or a URL:'],
  ['', 'tcp://db:5432, tcp://[::1]:80, tcp:db:5432, tcp:5432'],
  ['', '(localhost); other schemes (http://) are refused'],
  ['unix:PATH', 'a unix stream socket, among HOST:PORTS targets: unix:/a.sock,'],
  ['', 'unix:@name (abstract); also unix:///a.sock and socket:/a.sock'],
])}
HOST is an IPv4 or IPv6 address (a link-local one with its interface:
fe80::1%eth0), a name (an international one is looked up in ASCII form), or
several addresses: CIDR (192.0.2.0/24, fd00::/120: every address, network and
broadcast too) or octet ranges and lists (10.0.0.1-9, 10.0.1,2.1), made one at
a time, each address with every port in turn; at most 2^24 targets. A service
name (http, ssh) is looked up in /etc/services, or a built-in table of common
ones where it is missing. --targets-file adds lines written the same way.
PATH is a socket file (107 bytes at most; a relative one is taken from the
current directory) or @name, in the abstract namespace (107 bytes at most).
--syn-retries and --tcp-info skip unix targets; --source refuses them.

Durations: 250ms, 2s, 1.5s, 1m, 1h; a bare number is seconds, as in timeout(1),
nc -w and curl --max-time (-t 0.5 is half a second).`;

const MODES_HELP = `Modes (one target, no --wait):
${table(10, [
  ['repeat', 'one non-blocking socket, connect() called --repeat times (the'],
  ['', 'classic puzzle); if no call settled it, waits as poll mode does'],
  ['poll', 'connect() once, poll() for POLLOUT up to --timeout, then'],
  ['', 'getsockopt(SO_ERROR), as man 2 connect says'],
  ['fresh', 'a new socket per attempt, --count attempts --interval apart, with'],
  ['', 'ping-style statistics'],
  ['blocking', 'no O_NONBLOCK: connect() waits itself, for up to --timeout'],
  ['', '(SO_SNDTIMEO)'],
])}
Several targets, or --wait: probed at once (non-blocking sockets, one poll()),
one line per target.`;

const EXAMPLES = `Examples:
${table(46, [
  ['connprobe 127.0.0.1 12345 --explain', 'the classic puzzle, call by call'],
  ['sudo connprobe 127.0.0.1 12345 --packets', '... with its SYNs and RSTs'],
  ['connprobe 127.0.0.1 12345 -f classic', 'what the C reproduction prints'],
  ['connprobe [::1]:5432 -m poll -t 500ms', "man 2 connect's way to wait"],
  ['connprobe localhost 8080 -m fresh -c 5', 'tcping: five sockets, statistics'],
  ['connprobe db 5432 --wait 30s', 'wait until a database accepts'],
  ['connprobe db 5432 --wait 60s --stable 5s', '... and keeps accepting for 5 s'],
  ['connprobe 127.0.0.1 80 --source 127.0.0.2', 'connect from another address'],
  ['connprobe unix:/run/app.sock --wait 30s', 'wait until a unix socket accepts'],
  ['connprobe --expect refused 127.0.0.1 6379 -q', 'assert that a port is closed'],
  ['connprobe 127.0.0.1 80 443 8000-8010 --any', 'exit 0 if any port is open'],
  ['connprobe 10.0.0.0/24 22 --open', 'which hosts accept SSH'],
  ['connprobe web:443 db:5432 --json', 'services, machine-readable'],
  ['connprobe db:5432 --wait 60s -- npm start', 'wait, then become the command'],
  ['connprobe db 5432 --wait 30s --timestamps', 'when each line happened'],
])}`;

const COMMAND_HELP = `A command after -- (connprobe db:5432 --wait 30s -- npm start):
connprobe becomes it (execvp: same pid, argv as given, looked up on PATH, no
shell) iff the probe would exit 0, and its own output goes to stderr. Otherwise
the command is not run, one line on stderr says why, and the exit code is the
probe's.`;

const EXIT_TABLE = `Exit codes (the same in every mode):
${table(5, [
  [EXIT_CODES.connected, 'connected (every target; with --any, one), or every --expect met'],
  [EXIT_CODES.refused, 'refused: ECONNREFUSED, nothing listens there (unix: or ENOENT)'],
  [EXIT_CODES.usage, 'usage error: bad arguments'],
  [EXIT_CODES.timeout, 'timed out: no answer within --timeout (or --wait), or ETIMEDOUT'],
  ['', '(unix: EAGAIN, the listen backlog is full)'],
  [EXIT_CODES.unreachable, 'unreachable: ENETUNREACH, EHOSTUNREACH or EADDRNOTAVAIL'],
  [EXIT_CODES.unresolved, 'the name did not resolve'],
  [EXIT_CODES['local-error'], 'local error: a call failed here (EMFILE, EACCES, EPROTOTYPE, ...),'],
  ['', 'or an unsupported platform'],
  [EXIT_CODES['self-connect'], 'self-connect: no listener; the kernel connected the socket to itself'],
  [EXPECTATION_NOT_MET, 'an --expect or --expect-sequence was not met (stderr says how)'],
  [INTERNAL_ERROR_EXIT, 'internal error (a bug; CONNPROBE_DEBUG=1 prints the stack)'],
  [COMMAND_NOT_RUN, 'the command after -- was found but could not be run'],
  [COMMAND_NOT_FOUND, 'the command after -- was not found'],
  [SIGNAL_EXIT.SIGINT, `SIGINT (${SIGNAL_EXIT.SIGTERM}: SIGTERM): sockets closed, partial results printed`],
  [BROKEN_PIPE_EXIT, 'stdout closed early (e.g. | head -1): stopped quietly'],
])}
Without --expect, several targets exit with the code of the first one that did
not connect. A name with several addresses counts as connected if any address
connected.`;

interface CliOptions {
  mode?: Mode;
  repeat?: string;
  count?: string;
  timeout?: string;
  interval?: string;
  wait?: string;
  stable?: string;
  concurrency?: string;
  threads?: string;
  synRetries?: string;
  source?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  explain?: boolean;
  tcpInfo?: boolean;
  format: Format;
  json?: boolean;
  ndjson?: boolean;
  quiet?: boolean;
  expect?: string[];
  expectSequence?: string;
  any?: boolean;
  color?: boolean;
  ffi?: BackendName;
  targetsFile?: string;
  open?: boolean;
  timestamps?: boolean;
  packets?: boolean;
  pcap?: string;
}

/**
 * package.json's version, two levels up from dist/src/cli.js (esbuild inlines it in the bundle, as json.ts's).
 * Read when the module loads: every run builds the program with it, and a full fd table later could not open it.
 */
const VERSION = (require('../../package.json') as { version: string }).version;

function buildProgram(): Command {
  return new Command()
    .name('connprobe')
    .usage('[options] HOST PORTS... | HOST:PORTS... | [IPV6]:PORTS...')
    .description(
      'Calls socket(), fcntl(), connect(), poll() and getsockopt() through libc and prints every call with what ' +
        'the kernel answered: return value, errno name and number, strerror text, and how long the call took.',
    )
    .argument('[target...]', 'HOST PORTS..., or HOST:PORTS... and unix:PATH...: see Targets below')
    // every option's default and choices are written in its description, one way: `(default: 2s)`, no quotes
    .addOption(new Option('-m, --mode <mode>', 'how connect() is called on one target: repeat, poll, fresh or blocking (default: repeat)').choices(MODES))
    .option('-n, --repeat <count>', 'connect() calls on the one socket (default: 3 repeat, 1 blocking)')
    .option('-c, --count <count>', 'attempts in fresh mode (default: 4)')
    .option('-t, --timeout <duration>', 'how long one attempt waits for an answer (default: 2s)')
    .option('-i, --interval <duration>', 'pause between attempts (default: 1s fresh, 250ms --wait)')
    .option('-w, --wait <duration>', 'retry each target on a fresh socket until it connects or this time passes; inf or 0: no deadline')
    .option('--stable <duration>', 'with --wait: each address must meet the expectation on consecutive attempts for this long; a miss restarts the window')
    .option('--concurrency <n>', 'handshakes in flight at once, also bounded by the fd limit (default: 512)')
    .option('-j, --threads <n>', 'threads a sweep is probed on, sharing --concurrency; 0: one per core from 8,192 targets (default: 1)')
    .option('--syn-retries <n>', "TCP_SYNCNT: SYN retransmissions before ETIMEDOUT, 1-127 (default: the kernel's)")
    .option('--source <addr>', 'bind() to ADDR, ADDR:PORT or [IPV6]:PORT before connect() (a fixed port: one handshake at a time); targets keep to its family')
    .option('-4, --ipv4', 'resolve names to IPv4 addresses only')
    .option('-6, --ipv6', 'resolve names to IPv6 addresses only')
    .option('--expect <verdicts>', `exit 0 iff every target's verdict is one of these (comma-separated, repeatable): ${VERDICTS.join(', ')} (default: connected)`, collectVerdicts)
    .option('--expect-sequence <errnos>', 'exit 0 iff the connect() calls answered exactly these, e.g. EINPROGRESS,ECONNREFUSED,EINPROGRESS (0 for a success)')
    .option('--any', 'exit 0 if at least one target meets the expectation')
    .option('--targets-file <file>', 'more targets, one per line as on the command line (# comments); - is stdin')
    .option('--open', 'list only the targets that connected; count the others (as nmap --open)')
    .option('-e, --explain', 'after each call, one line on what the kernel did and why (Linux)')
    .option('--tcp-info', 'read TCP_INFO before close(): state, SYN retransmissions, RTT')
    .option('--packets', "capture the probe's own packets and show each after the call it came during, as tcpdump writes them (root or CAP_NET_RAW)")
    .option('--pcap <file>', "write the probe's packets to FILE in pcap format, for tcpdump -r or Wireshark (captures, as --packets)")
    .addOption(new Option('-f, --format <format>', 'human, classic, json or ndjson (default: human)').choices(FORMATS).default('human'))
    .option('--json', 'same as --format json: one JSON document (schema/connprobe.schema.json)')
    .option('--ndjson', 'same as --format ndjson: one JSON event per line, streamed')
    .option('-q, --quiet', 'print no results: the exit code is the answer')
    .option('--timestamps', 'start each line with the wall-clock time, HH:MM:SS.uuuuuu as strace -tt (human format)')
    .addOption(
      // no commander default or env: an unset --ffi and CONNPROBE_FFI mean no request, and so the fallback
      new Option('--ffi <backend>', 'how libc is called, or CONNPROBE_FFI; koffi starts and calls faster (default: ffi-napi where it loads, else koffi)')
        .choices(BACKENDS),
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .option('--color', 'force colour (default: only on a terminal, never with NO_COLOR; FORCE_COLOR forces it)')
    .option('--no-color', 'never colour')
    .helpOption('-h, --help', 'show this help')
    .configureHelp({ helpWidth: HELP_WIDTH, optionDescription: (option) => option.description })
    .addHelpText('after', `\n${TARGETS}\n\n${MODES_HELP}\n\n${EXAMPLES}\n\n${COMMAND_HELP}\n\n${EXIT_TABLE}\n`)
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined }); // errors are printed once, by fail(), as one line
}

/** --color / --no-color decide; else NO_COLOR (any value) forbids; else FORCE_COLOR forces; else a terminal. */
function useColour(explicit: boolean | undefined): boolean {
  if (explicit !== undefined) return explicit;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return print.resultTTY() && process.env.TERM !== 'dumb';
}

/**
 * Where connprobe's own text goes: results to stdout, messages to stderr, through Node's streams. With a command
 * after `--`, the command owns stdout: everything goes to stderr, written at once (an exec may follow).
 */
const print = {
  result: (text: string): void => void process.stdout.write(text),
  error: (text: string): void => void process.stderr.write(text),
  resultTTY: () => Boolean(process.stdout.isTTY),
  errorTTY: () => Boolean(process.stderr.isTTY),
  allToStderr(): void {
    // never through process.stderr: a Node stream would queue what a full pipe does not take, and make the fd
    // non-blocking for the command too
    print.result = print.error = (text) => writeAllSync(2, text);
    // node:tty loads node:net: only a run with a command pays for it
    const { isatty } = require('node:tty') as typeof import('node:tty');
    print.resultTTY = print.errorTTY = () => isatty(2);
  },
};

/** One line on stderr. The whole message is made printable: commander's own errors quote argv unescaped. */
function say(message: string): void {
  print.error(`connprobe: ${printable(message)}\n`);
}

function fail(message: string, code: number): number {
  say(message);
  return code;
}

/** --expect's values, comma-separated and repeatable; options.ts checks each (`timed-out` is how output says it). */
function collectVerdicts(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => (v === 'timed-out' ? 'timeout' : v))];
}

/** The CLI's name for each option, in messages. */
const FLAGS: Readonly<Record<keyof OptionsInput, string>> = {
  targets: 'target', mode: '--mode', repeat: '--repeat', count: '--count', timeoutMs: '--timeout', intervalMs: '--interval',
  waitMs: '--wait', stableMs: '--stable', concurrency: '--concurrency', threads: '--threads', synRetries: '--syn-retries', source: '--source', family: '-4/-6', backend: '--ffi',
  format: '--format', explain: '--explain', tcpInfo: '--tcp-info', expect: '--expect', expectSequence: '--expect-sequence', any: '--any',
  open: '--open',
  timestamps: '--timestamps',
  packets: '--packets',
  pcap: '--pcap',
};

/** argv's text → numbers and lists; then the options module decides and checks everything, as for the API. */
function toOptions(args: readonly string[], o: CliOptions): Options {
  if (args.length === 0 && o.targetsFile === undefined) throw new UsageError('missing target: give HOST PORT, HOST:PORT or --targets-file');
  const targets = TargetSource.parse(args, o.targetsFile === undefined ? null : TargetFile.open(o.targetsFile));
  if (o.ipv4 && o.ipv6) throw new UsageError('-4 and -6 exclude each other');
  const formats = [o.json && 'json', o.ndjson && 'ndjson', o.format !== 'human' && o.format].filter(Boolean);
  if (new Set(formats).size > 1) throw new UsageError(`choose one output format, not ${[...new Set(formats)].join(' and ')}`);
  const duration = (text: string | undefined, flag: string, minMs: number) => (text === undefined ? undefined : parseDuration(text, flag, minMs));
  const whole = (text: string | undefined, flag: string, min: number, max: number) => (text === undefined ? undefined : parseWholeNumber(text, flag, min, max));
  const sequence = o.expectSequence?.split(',');
  return resolveOptions(
    {
      targets,
      mode: o.mode,
      repeat: whole(o.repeat, '--repeat', 1, 1_000_000),
      count: whole(o.count, '--count', 1, 1_000_000),
      timeoutMs: duration(o.timeout, '--timeout', 1),
      intervalMs: duration(o.interval, '--interval', 0),
      waitMs: o.wait === undefined ? undefined : parseWait(o.wait, '--wait'),
      stableMs: duration(o.stable, '--stable', 1),
      concurrency: whole(o.concurrency, '--concurrency', 1, 65_536),
      threads: whole(o.threads, '--threads', 0, 64),
      synRetries: whole(o.synRetries, '--syn-retries', 1, 127),
      family: o.ipv4 ? 4 : o.ipv6 ? 6 : undefined,
      source: o.source === undefined ? undefined : parseSource(o.source),
      backend: o.ffi ?? backendFromEnv(),
      format: (formats[0] || undefined) as Format | undefined,
      explain: o.explain,
      tcpInfo: o.tcpInfo,
      expect: o.expect as VerdictKind[] | undefined, // checked by resolveOptions, as the API's are
      expectSequence: sequence,
      any: o.any,
      open: o.open,
      timestamps: o.timestamps,
      packets: o.packets,
      pcap: o.pcap,
    },
    (name) => FLAGS[name],
  );
}

/**
 * Above this many targets (a sweep; a file's are unknown, so it counts as long) or fresh attempts, a run is long,
 * and the heap is kept tight as it streams.
 */
const LONG_RUN = 1024;

/**
 * A long streaming run (a sweep, thousands of fresh attempts) keeps little alive (about 12 MB for 65,535 ports)
 * but allocates fast, and V8's default heuristics let the garbage grow the heap to some 140 MB (a sweep) or 90 MB
 * (100,000 attempts) before collecting it. Favouring size, growing the heap
 * by 1 % at a time and keeping the new space from doubling holds a 65,535-port sweep near 75 MB, at no measurable
 * cost in time (bench/memory.sh). Set here rather than as node flags, which would cost every run ~15 ms of start-up. Not for --json, which does keep everything (small steps would then mean many full GCs), and
 * not in the library: a caller's process is the caller's.
 */
function keepHeapTight(): void {
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--optimize-for-size --heap-growing-percent=1 --semi-space-growth-factor=1');
}

/**
 * What became of stdout, for every output (help, errors, results): a closed pipe (`| head -1`) ends output quietly
 * with 141; any other failed write (`> /dev/full`: ENOSPC) is one line on stderr and exit 6. The run in progress,
 * if any, is stopped either way.
 */
const stdout = {
  failedWith: undefined as number | undefined,
  onFailure: () => {},
  watch(): void {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (stdout.failedWith !== undefined) return;
      if (error.code === 'EPIPE') {
        stdout.failedWith = BROKEN_PIPE_EXIT;
      } else {
        stdout.failedWith = EXIT_CODES['local-error'];
        process.stderr.write(`connprobe: cannot write the output: ${error.code ?? error.message}\n`);
      }
      process.exitCode = stdout.failedWith;
      stdout.onFailure();
    });
  },
};

let probeStarted = false;

/**
 * Whether this process went on to probe, past parsing its arguments: bin/connprobe.js writes the bundle's code
 * cache only after such a run, which compiles what most runs need (--help or a usage error compiles little of it).
 */
export function probed(): boolean {
  return probeStarted;
}

/**
 * Wires the process to a run: SIGINT / SIGTERM abort it (sockets are closed, what was learned is printed, exit
 * 130 / 143; a second signal exits at once); a stdout that fails stops it (see `stdout`).
 */
async function runWired(options: Options, quiet: boolean, colour: boolean, onFailure?: (why: string) => void): Promise<number> {
  probeStarted = true;
  const { run } = require('./run') as typeof import('./run');
  const palettes = require('./render/palette') as typeof import('./render/palette');
  const controller = new AbortController();
  let interruptedBy: keyof typeof SIGNAL_EXIT | undefined;
  const onSignal = (signal: keyof typeof SIGNAL_EXIT) => {
    if (interruptedBy) process.exit(SIGNAL_EXIT[signal]);
    interruptedBy = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  stdout.onFailure = () => controller.abort();
  const long = (options.targets.count ?? Infinity) > LONG_RUN || (options.mode === 'fresh' && options.count > LONG_RUN);
  if (long && options.format !== 'json') keepHeapTight();
  const progressOn = !quiet && print.errorTTY();
  try {
    const finalExitCode = (code: number) =>
      stdout.failedWith ?? (interruptedBy ? SIGNAL_EXIT[interruptedBy] : code);
    return await run(options, {
      quiet,
      write: (text) => {
        if (stdout.failedWith === undefined) print.result(text);
      },
      writeError: (line) => print.error(`${line}\n`),
      notice: progressOn ? (line) => print.error(`connprobe: ${line}\n`) : undefined,
      palette: colour ? palettes.colourPalette() : palettes.PLAIN,
      progress: progressOn ? (line) => print.error(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`) : undefined,
      signal: controller.signal,
      finalExitCode,
      onFailure: (summary) => onFailure?.(interruptedBy ? `interrupted by ${interruptedBy}` : (summary ?? 'the probe failed')),
    });
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}

/**
 * Parses argv, runs, prints, and returns the exit code. With a `command` (the words after `--`), connprobe
 * becomes it (exec) iff the run's code is 0; `stdio` is stdioFlags() as read at start-up.
 */
export async function runCli(argv: readonly string[], command?: readonly string[], stdio: readonly (number | undefined)[] = []): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      return fail(error.message.replace(/^error: /, ''), EXIT_CODES.usage);
    }
    throw error;
  }
  const options = program.opts<CliOptions>();
  try {
    if (command) checkCommand(command);
    const resolved = toOptions(program.args, options);
    // said even with --quiet: it is about the command line, like a usage error, and scripts are where it hides
    for (const [text, flag] of [[options.timeout, '--timeout'], [options.interval, '--interval']] as const) {
      const warning = text === undefined ? undefined : bareSecondsWarning(text, flag);
      if (warning) say(warning);
    }
    let why = '';
    const code = await runWired(resolved, Boolean(options.quiet), useColour(options.color), (text) => (why = text));
    if (!command) return code;
    // said even with --quiet: a service that silently never starts is the worst way for a container to fail
    if (code !== 0) return fail(`not running ${command[0]}: ${why || `exit ${code}`}`, code);
    const failure = execCommand(loadBackend(resolved.backend).libc, command, stdio); // returns only if exec failed
    return fail(failure.message, failure.code);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_CODES.usage);
    if (error instanceof UnsupportedPlatformError || error instanceof BackendUnavailableError || isCaptureUnavailable(error)) {
      return fail(error.message, EXIT_CODES['local-error']);
    }
    throw error;
  }
}

/** --packets could not open its socket (no CAP_NET_RAW): a local error; the packet module is loaded only if it ran. */
const isCaptureUnavailable = (error: unknown): error is Error => error instanceof Error && error.name === 'CaptureUnavailableError';

export function main(argv: readonly string[]): void {
  const { own, command } = splitCommand(argv);
  const stdio = command ? stdioFlags() : undefined; // before anything makes them non-blocking
  if (command) print.allToStderr();
  else stdout.watch();
  runCli(own, command, stdio).then(
    (code) => {
      process.exitCode = stdout.failedWith ?? code;
    },
    (error: unknown) => {
      // a bug, not a user error: one line, and the stack only on request
      print.error(`connprobe: internal error: ${printable(error instanceof Error ? error.message : String(error))}\n`);
      if (process.env.CONNPROBE_DEBUG && error instanceof Error) print.error(`${error.stack}\n`);
      process.exitCode = INTERNAL_ERROR_EXIT;
    },
  );
}
