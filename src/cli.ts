import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES } from './probe/verdict';
import { parseDuration, parseTarget, parseWholeNumber, UsageError } from './target/parse';
import type { ProbeOptions, ProbeReport } from './probe/probe';
import { MODES, type Mode } from './probe/strategies';
const FORMATS = ['human', 'classic'] as const;
type Format = (typeof FORMATS)[number];

const EXIT_TABLE = `Exit codes (the same in every mode):
  ${EXIT_CODES.connected}  connected: a connect() succeeded (or said EISCONN), or SO_ERROR was 0
  ${EXIT_CODES.refused}  refused: ECONNREFUSED, nothing listens there
  ${EXIT_CODES.usage}  usage error: bad arguments
  ${EXIT_CODES.timeout}  timed out: no answer within --timeout, or ETIMEDOUT
  ${EXIT_CODES.unreachable}  unreachable: ENETUNREACH, EHOSTUNREACH or EADDRNOTAVAIL
  ${EXIT_CODES.unresolved}  the name did not resolve
  ${EXIT_CODES['local-error']}  local error: a call failed here (EMFILE, EACCES, ...), or an unsupported platform
  ${EXIT_CODES['self-connect']}  self-connect: no listener; the kernel connected the socket to itself
A name with several addresses exits 0 if any address connected, else with the first address's code.`;

const EXAMPLES = `Modes:
  repeat    one non-blocking socket, connect() called --repeat times (the classic puzzle); if no call
            settled it, waits for the answer as poll mode does
  poll      connect() once, poll() for POLLOUT up to --timeout, then getsockopt(SO_ERROR): man 2 connect
  fresh     a new socket per attempt, --count attempts --interval apart, with ping-style statistics
  blocking  no O_NONBLOCK: connect() waits itself, bounded by SO_SNDTIMEO = --timeout

Examples:
  connprobe 127.0.0.1 12345 --repeat 3 --explain   the classic puzzle, explained call by call
  connprobe 127.0.0.1 12345 --format classic       what the C reproduction prints, byte for byte
  connprobe [::1]:5432 --mode poll --timeout 500ms the right way to wait for a connect()
  connprobe localhost 8080 --mode fresh --count 5  tcping: five sockets, latency and statistics
  connprobe db.internal 5432 -4 --mode blocking     a blocking connect() to the IPv4 addresses of a name`;

interface CliOptions {
  mode: Mode;
  repeat?: string;
  count: string;
  timeout: string;
  interval: string;
  synRetries?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  explain?: boolean;
  format: Format;
  color?: boolean;
}

function buildProgram(): Command {
  return new Command()
    .name('connprobe')
    .usage('[options] HOST PORT | HOST:PORT | [IPV6]:PORT')
    .description(
      'Calls socket(), fcntl(), connect(), poll() and getsockopt() through libc and prints every call with what\n' +
        'the kernel answered: return value, errno name and number, strerror text, and how long the call took.',
    )
    .argument('<target...>', 'HOST PORT, or HOST:PORT; HOST is an IPv4 or IPv6 address or a name')
    .addOption(new Option('-m, --mode <mode>', 'how connect() is called').choices(MODES).default('repeat'))
    .option('-n, --repeat <count>', 'connect() calls on the one socket (repeat: 3, blocking: 1)')
    .option('-c, --count <count>', 'attempts in fresh mode', '4')
    .option('-t, --timeout <duration>', 'how long to wait for an answer: 250ms, 2s, 1m, or ms', '2s')
    .option('-i, --interval <duration>', 'pause between fresh attempts', '1s')
    .option('--syn-retries <n>', 'TCP_SYNCNT: SYN retransmissions before ETIMEDOUT (1-127)')
    .option('-4, --ipv4', 'resolve the name to IPv4 addresses only')
    .option('-6, --ipv6', 'resolve the name to IPv6 addresses only')
    .option('-e, --explain', 'after each call, one line on what the kernel did and why (Linux)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('human'))
    .option('--color', 'force colour (default: only on a terminal, never with NO_COLOR)')
    .option('--no-color', 'never colour')
    .addHelpText('after', `\n${EXAMPLES}\n\n${EXIT_TABLE}\n`)
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined }); // errors are printed once, by fail(), as one line
}

function useColour(explicit: boolean | undefined, stream: NodeJS.WriteStream): boolean {
  if (explicit !== undefined) return explicit;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

function fail(message: string, code: number): number {
  process.stderr.write(`connprobe: ${message}\n`);
  return code;
}

/** argv → the probe's options; every value checked here, so nothing invalid reaches libc. */
function toProbeOptions(args: readonly string[], options: CliOptions): ProbeOptions {
  const target = parseTarget(args);
  if (options.ipv4 && options.ipv6) throw new UsageError('-4 and -6 exclude each other');
  return {
    host: target.host.text,
    port: target.port,
    mode: options.mode,
    repeat: options.repeat === undefined ? undefined : parseWholeNumber(options.repeat, '--repeat', 1, 1_000_000),
    attempts: parseWholeNumber(options.count, '--count', 1, 1_000_000),
    timeoutMs: parseDuration(options.timeout, '--timeout', 1),
    intervalMs: parseDuration(options.interval, '--interval', 0),
    synRetries: options.synRetries === undefined ? undefined : parseWholeNumber(options.synRetries, '--syn-retries', 1, 127),
    family: options.ipv4 ? 4 : options.ipv6 ? 6 : undefined,
  };
}

async function probeAndPrint(probeOptions: ProbeOptions, options: CliOptions): Promise<ProbeReport> {
  const { probe } = require('./probe/probe') as typeof import('./probe/probe');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (options.format === 'classic') {
    const { classicLines } = require('./render/classic') as typeof import('./render/classic');
    const report = await probe(probeOptions);
    for (const result of report.results) process.stdout.write(classicLines(result.records, report.mode).join(''));
    return report;
  }
  const palettes = require('./render/palette') as typeof import('./render/palette');
  const { humanStream } = require('./render/human') as typeof import('./render/human');
  const palette = useColour(options.color, process.stdout) ? palettes.colourPalette() : palettes.PLAIN;
  const stream = humanStream(out, palette, Boolean(options.explain));
  stream.start({ mode: probeOptions.mode ?? 'repeat' });
  const report = await probe({ ...probeOptions, onEvent: stream.onEvent });
  stream.finish(report);
  return report;
}

/** Parses argv, runs the probe, prints, and returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
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
  try {
    const options = program.opts<CliOptions>();
    const report = await probeAndPrint(toProbeOptions(program.args, options), options);
    return EXIT_CODES[report.verdict.kind];
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_CODES.usage);
    if (error instanceof Error && error.name === 'UnsupportedPlatformError') {
      return fail(error.message, EXIT_CODES['local-error']);
    }
    throw error;
  }
}

export function main(argv: readonly string[]): void {
  run(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // a bug, not a user error: say so in one line, with the stack only on request
      process.stderr.write(`connprobe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.CONNPROBE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
      process.exitCode = 70;
    },
  );
}
