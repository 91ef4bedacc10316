import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES } from './probe/verdict';
import { parseNumericHost, parsePort, parseWholeNumber, UsageError } from './target/parse';

const FORMATS = ['human', 'classic'] as const;
type Format = (typeof FORMATS)[number];

const EXIT_TABLE = `Exit codes:
  ${EXIT_CODES.connected}  connected: a connect() succeeded (or said EISCONN)
  ${EXIT_CODES.refused}  refused: ECONNREFUSED, nothing listens there
  ${EXIT_CODES.usage}  usage error: bad arguments
  ${EXIT_CODES.timeout}  timed out: no answer (EINPROGRESS/EALREADY only, or ETIMEDOUT)
  ${EXIT_CODES.unreachable}  unreachable: ENETUNREACH, EHOSTUNREACH or EADDRNOTAVAIL
  ${EXIT_CODES.unresolved}  name did not resolve
  ${EXIT_CODES['local-error']}  local error: a call failed here (EMFILE, EACCES, ...), or an unsupported platform
  ${EXIT_CODES['self-connect']}  self-connect: no listener; the kernel connected the socket to itself`;

const EXAMPLES = `Examples:
  connprobe 127.0.0.1 12345 --repeat 3       the classic puzzle: EINPROGRESS, ECONNREFUSED, EINPROGRESS
  connprobe 127.0.0.1 12345 --format classic what the C reproduction prints, byte for byte
  connprobe ::1 5432                          IPv6`;

interface CliOptions {
  repeat: string;
  format: Format;
  color?: boolean;
}

function buildProgram(): Command {
  return new Command()
    .name('connprobe')
    .description(
      'Calls socket(), fcntl() and connect() through libc and prints every call with what the kernel answered:\n' +
        'return value, errno (name and number), strerror text and how long the call took.',
    )
    .argument('<host>', 'numeric IPv4 or IPv6 address')
    .argument('<port>', 'TCP port, 1-65535')
    .option('-n, --repeat <count>', 'connect() calls on the one non-blocking socket', '3')
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

/** Parses argv, runs the probe, prints, and returns the exit code. */
export function run(argv: readonly string[]): number {
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
  const [host, port] = program.args;
  try {
    const peer = { address: parseNumericHost(host), port: parsePort(port) };
    const repeat = parseWholeNumber(options.repeat, '--repeat', 1, 1_000_000);
    const { probeEndpoint } = require('./probe/probe') as typeof import('./probe/probe');
    const result = probeEndpoint({ peer, repeat });
    if (options.format === 'classic') {
      const { classicLines } = require('./render/classic') as typeof import('./render/classic');
      process.stdout.write(classicLines(result.records).join(''));
    } else {
      const human = require('./render/human') as typeof import('./render/human');
      const palette = useColour(options.color, process.stdout)
        ? (require('./render/palette') as typeof import('./render/palette')).colourPalette()
        : (require('./render/palette') as typeof import('./render/palette')).PLAIN;
      const lines = result.records.map((r) => human.formatRecordLine(r, palette));
      lines.push(human.formatVerdict(result.verdict, peer, palette));
      process.stdout.write(lines.join('\n') + '\n');
    }
    return EXIT_CODES[result.verdict.kind];
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_CODES.usage);
    throw error;
  }
}

export function main(argv: readonly string[]): void {
  process.exitCode = run(argv);
}
