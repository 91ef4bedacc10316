import { Command, CommanderError, Option } from 'commander';
import { UnsupportedPlatformError } from './libc/constants';
import { backendFromEnv, BackendUnavailableError, BACKENDS, type BackendName } from './libc/load';
import { FORMATS, MODES, resolveOptions, VERDICTS, type Format, type Mode, type Options, type OptionsInput } from './options';
import { EXPECTATION_NOT_MET } from './probe/expectation';
import { EXIT_CODES, type VerdictKind } from './probe/verdict';
import { parseDuration, parseTargets, parseWholeNumber } from './target/parse';
import { UsageError } from './usage';
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
const BROKEN_PIPE_EXIT = 141;
const INTERNAL_ERROR_EXIT = 70;

const EXIT_TABLE = `Exit codes (the same in every mode):
  ${EXIT_CODES.connected}    connected (every target; with --any, one), or every --expect met
  ${EXIT_CODES.refused}    refused: ECONNREFUSED, nothing listens there
  ${EXIT_CODES.usage}    usage error: bad arguments
  ${EXIT_CODES.timeout}    timed out: no answer within --timeout (or --wait), or ETIMEDOUT
  ${EXIT_CODES.unreachable}    unreachable: ENETUNREACH, EHOSTUNREACH or EADDRNOTAVAIL
  ${EXIT_CODES.unresolved}    the name did not resolve
  ${EXIT_CODES['local-error']}    local error: a call failed here (EMFILE, EACCES, ...), or an unsupported platform
  ${EXIT_CODES['self-connect']}    self-connect: no listener; the kernel connected the socket to itself
  ${EXPECTATION_NOT_MET}    an --expect or --expect-sequence was not met
  ${INTERNAL_ERROR_EXIT}   internal error (a bug; CONNPROBE_DEBUG=1 prints the stack)
  ${SIGNAL_EXIT.SIGINT}  interrupted by SIGINT, ${SIGNAL_EXIT.SIGTERM} by SIGTERM (sockets closed, partial results printed)
  ${BROKEN_PIPE_EXIT}  stdout closed early (e.g. | head -1): stopped quietly
Without --expect, several targets exit with the code of the first one that did not connect.
A name with several addresses counts as connected if any address connected.`;

const EXAMPLES = `Modes (one target, no --wait):
  repeat    one non-blocking socket, connect() called --repeat times (the classic puzzle); if no call
            settled it, waits for the answer as poll mode does
  poll      connect() once, poll() for POLLOUT up to --timeout, then getsockopt(SO_ERROR): man 2 connect
  fresh     a new socket per attempt, --count attempts --interval apart, with ping-style statistics
  blocking  no O_NONBLOCK: connect() waits itself, bounded by SO_SNDTIMEO = --timeout
Several targets, or --wait: probed concurrently (poll()'d non-blocking sockets), one line per target.

Examples:
  connprobe 127.0.0.1 12345 --repeat 3 --explain   the classic puzzle, explained call by call
  connprobe 127.0.0.1 12345 --format classic       what the C reproduction prints, byte for byte
  connprobe [::1]:5432 --mode poll --timeout 500ms the right way to wait for a connect()
  connprobe localhost 8080 --mode fresh --count 5  tcping: five sockets, latency and statistics
  connprobe db 5432 --wait 30s                     wait for a database (exit 0 once it accepts)
  connprobe 127.0.0.1 6379 --expect refused -q     assert that a port is closed
  connprobe 127.0.0.1 8000-8010,9000 --any         sweep ports; exit 0 if any is open
  connprobe web:443 db:5432 cache:6379 --json      check a list of services, machine-readable`;

interface CliOptions {
  mode?: Mode;
  repeat?: string;
  count?: string;
  timeout?: string;
  interval?: string;
  wait?: string;
  concurrency?: string;
  synRetries?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  explain?: boolean;
  format: Format;
  json?: boolean;
  ndjson?: boolean;
  quiet?: boolean;
  expect?: string[];
  expectSequence?: string;
  any?: boolean;
  color?: boolean;
  ffi?: BackendName;
}

/**
 * package.json's version, two levels up from dist/src/cli.js (esbuild inlines it in the bundle, as json.ts's).
 * Read when the module loads: every run builds the program with it, and a full fd table later could not open it.
 */
const VERSION = (require('../../package.json') as { version: string }).version;

function buildProgram(): Command {
  return new Command()
    .name('connprobe')
    .usage('[options] HOST PORTS | HOST:PORTS... | [IPV6]:PORTS...')
    .description(
      'Calls socket(), fcntl(), connect(), poll() and getsockopt() through libc and prints every call with what ' +
        'the kernel answered: return value, errno name and number, strerror text, and how long the call took.',
    )
    .argument('<target...>', 'HOST PORTS, or HOST:PORTS targets; PORTS like 80, 8000-8010 or 80,443')
    .addOption(new Option('-m, --mode <mode>', 'how connect() is called, one target (default: repeat)').choices(MODES))
    .option('-n, --repeat <count>', 'connect() calls on the one socket (repeat: 3, blocking: 1)')
    .option('-c, --count <count>', 'attempts in fresh mode (default: 4)')
    .option('-t, --timeout <duration>', 'how long one attempt waits for an answer: 250ms, 2s, 1m, or ms (default: 2s)')
    .option('-i, --interval <duration>', 'pause between attempts (default: 1s fresh, 250ms --wait)')
    .option('-w, --wait <duration>', 'retry each target on a fresh socket until it connects or this time passes')
    .option('--concurrency <n>', 'handshakes in flight at once (also bounded by the fd limit) (default: 512)')
    .option('--syn-retries <n>', 'TCP_SYNCNT: SYN retransmissions before ETIMEDOUT (1-127)')
    .option('-4, --ipv4', 'resolve names to IPv4 addresses only')
    .option('-6, --ipv6', 'resolve names to IPv6 addresses only')
    .option('--expect <verdicts...>', `exit 0 iff every target's verdict is one of these: ${VERDICTS.join(', ')}`)
    .option('--expect-sequence <errnos>', 'exit 0 iff the connect() calls answered exactly these (e.g. EINPROGRESS,ECONNREFUSED,EINPROGRESS; 0 for success)')
    .option('--any', 'exit 0 if at least one target meets the expectation')
    .option('-e, --explain', 'after each call, one line on what the kernel did and why (Linux)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('human'))
    .option('--json', 'same as --format json: one JSON document (schema/connprobe.schema.json)')
    .option('--ndjson', 'same as --format ndjson: one JSON event per line, streamed')
    .option('-q, --quiet', 'print nothing: the exit code is the answer')
    .addOption(
      // no commander default or env: an unset --ffi and CONNPROBE_FFI mean no request, and so the fallback
      new Option('--ffi <backend>', 'how libc is called, or CONNPROBE_FFI; koffi starts and calls faster (default: ffi-napi where it loads, else koffi)')
        .choices(BACKENDS),
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .option('--color', 'force colour (default: only on a terminal, never with NO_COLOR; FORCE_COLOR forces it)')
    .option('--no-color', 'never colour')
    .addHelpText('after', `\n${EXAMPLES}\n\n${EXIT_TABLE}\n`)
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
  return Boolean(process.stdout.isTTY) && process.env.TERM !== 'dumb';
}

function fail(message: string, code: number): number {
  process.stderr.write(`connprobe: ${message}\n`);
  return code;
}

function parseExpect(values: readonly string[] | undefined): VerdictKind[] | undefined {
  if (!values) return undefined;
  const kinds = values.flatMap((v) => v.split(',')).map((v) => (v === 'timed-out' ? 'timeout' : v));
  const unknown = kinds.find((k) => !VERDICTS.includes(k as VerdictKind));
  if (unknown !== undefined) throw new UsageError(`--expect takes ${VERDICTS.join(', ')}; not '${unknown}'`);
  return kinds as VerdictKind[];
}

/** The CLI's name for each option, in messages. */
const FLAGS: Readonly<Record<keyof OptionsInput, string>> = {
  targets: 'target', mode: '--mode', repeat: '--repeat', count: '--count', timeoutMs: '--timeout', intervalMs: '--interval',
  waitMs: '--wait', concurrency: '--concurrency', synRetries: '--syn-retries', family: '-4/-6', backend: '--ffi',
  format: '--format', explain: '--explain', expect: '--expect', expectSequence: '--expect-sequence', any: '--any',
};

/** argv's text → numbers and lists; then the options module decides and checks everything, as for the API. */
function toOptions(args: readonly string[], o: CliOptions): Options {
  const targets = parseTargets(args);
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
      waitMs: duration(o.wait, '--wait', 1),
      concurrency: whole(o.concurrency, '--concurrency', 1, 65_536),
      synRetries: whole(o.synRetries, '--syn-retries', 1, 127),
      family: o.ipv4 ? 4 : o.ipv6 ? 6 : undefined,
      backend: o.ffi ?? backendFromEnv(),
      format: (formats[0] || undefined) as Format | undefined,
      explain: o.explain,
      expect: parseExpect(o.expect),
      expectSequence: sequence,
      any: o.any,
    },
    (name) => FLAGS[name],
  );
}

/** Above this many targets (a sweep) or fresh attempts, a run is long, and the heap is kept tight as it streams. */
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

/**
 * Wires the process to a run: SIGINT / SIGTERM abort it (sockets are closed, what was learned is printed, exit
 * 130 / 143; a second signal exits at once); a stdout that fails stops it (see `stdout`).
 */
async function runWired(options: Options, quiet: boolean, colour: boolean): Promise<number> {
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
  const long = options.targets.length > LONG_RUN || (options.mode === 'fresh' && options.count > LONG_RUN);
  if (long && options.format !== 'json') keepHeapTight();
  const progressOn = !quiet && Boolean(process.stderr.isTTY);
  try {
    const finalExitCode = (code: number) =>
      stdout.failedWith ?? (interruptedBy ? SIGNAL_EXIT[interruptedBy] : code);
    return await run(options, {
      quiet,
      write: (text) => {
        if (stdout.failedWith === undefined) process.stdout.write(text);
      },
      writeError: (line) => process.stderr.write(`${line}\n`),
      notice: progressOn ? (line) => process.stderr.write(`connprobe: ${line}\n`) : undefined,
      palette: colour ? palettes.colourPalette() : palettes.PLAIN,
      progress: progressOn ? (line) => process.stderr.write(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`) : undefined,
      signal: controller.signal,
      finalExitCode,
    });
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}

/** Parses argv, runs, prints, and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      return fail(error.message.replace(/^error: /, '').split('\n')[0], EXIT_CODES.usage);
    }
    throw error;
  }
  const options = program.opts<CliOptions>();
  try {
    return await runWired(toOptions(program.args, options), Boolean(options.quiet), useColour(options.color));
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_CODES.usage);
    if (error instanceof UnsupportedPlatformError || error instanceof BackendUnavailableError) {
      return fail(error.message, EXIT_CODES['local-error']);
    }
    throw error;
  }
}

export function main(argv: readonly string[]): void {
  stdout.watch();
  runCli(argv).then(
    (code) => {
      process.exitCode = stdout.failedWith ?? code;
    },
    (error: unknown) => {
      // a bug, not a user error: one line, and the stack only on request
      process.stderr.write(`connprobe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.CONNPROBE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
      process.exitCode = INTERNAL_ERROR_EXIT;
    },
  );
}
