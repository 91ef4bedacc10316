import { loadBackend } from './libc/load';
import type { Options } from './options';
import { ExitCodeTally, EXPECTATION_NOT_MET, targetMeets } from './probe/expectation';
import { runProbe } from './probe/run';
import { EXIT_CODES } from './probe/verdict';
import type { Output, Sink } from './render/sink';

/** Where a CLI run's output goes, and how the process will end. */
export interface RunIo extends Output {
  readonly quiet: boolean;
  /** Says on stderr why the default backend was not used; undefined where that would not be seen (no terminal). */
  readonly notice?: (line: string) => void;
  readonly signal: AbortSignal;
  /** The code the process will really exit with, given the run's own (a signal or a closed stdout changes it). */
  readonly finalExitCode: (code: number) => number;
  /** When the run's own code is not 0: what the first unmet target got (`127.0.0.1:5432 refused`). */
  readonly onFailure?: (summary: string | undefined) => void;
}

/** --quiet: nothing is written, nothing kept: the exit code is the answer. */
const QUIET: Sink = { needs: { records: false, calls: false }, start() {}, onEvent() {}, end() {} };

/** --stable's window, for the lines that say a target held that long. */
const stableWindow = (o: Options) => (o.stableMs === null ? undefined : { ms: o.stableMs, expectation: o.expectation });

/** One sink per output format. */
function sinkFor(options: Options, runIo: RunIo): Sink {
  if (runIo.quiet) return QUIET;
  const io = options.timestamps ? (require('./render/timestamps') as typeof import('./render/timestamps')).timestamped(runIo) : runIo;
  switch (options.format) {
    case 'json':
      return (require('./render/json') as typeof import('./render/json')).jsonSink(io, options.expectation);
    case 'ndjson':
      return (require('./render/json') as typeof import('./render/json')).ndjsonSink(io, options.expectation);
    case 'classic':
      return (require('./render/classic') as typeof import('./render/classic')).classicSink(io, options.mode);
    case 'human':
      return options.scan
        ? (require('./render/lines') as typeof import('./render/lines')).linesSink(io, options.targets, options.waitMs !== null, { openOnly: options.open, stable: stableWindow(options) })
        : (require('./render/human') as typeof import('./render/human')).traceSink(io, options.mode, options.explain, options.targets.unixOnly);
  }
}

/** Runs the probes, feeds the chosen format's sink, and returns the exit code (before signals: the caller's). */
export async function run(options: Options, io: RunIo): Promise<number> {
  const sink = sinkFor(options, io);
  const { libc, fallbackReason } = loadBackend(options.backend);
  if (fallbackReason !== undefined && !io.quiet) io.notice?.(fallbackReason);
  const tally = new ExitCodeTally(options.expectation);
  // before any output: without CAP_NET_RAW, one line and exit 6, nothing probed
  const packets = options.packets ? (require('./packet/socket') as typeof import('./packet/socket')).openCapture(libc, options.pcap) : undefined;
  sink.start({ options, backend: libc.backend, startedAt: new Date() });
  const summary = await runProbe(
    options,
    {
      // an --expect-sequence reads the connect() calls, whatever the format keeps
      keepRecords: sink.needs.records || options.expectation.sequence !== undefined,
      emitCalls: sink.needs.calls,
      maxPollMs: sink.maxPollMs,
      signal: io.signal,
      onAdmit: sink.onAdmit,
      packets,
      onEvent: (event) => {
        if (event.type === 'target') {
          const { result } = event;
          tally.add(result, targetMeets(result, options.expectation));
        }
        sink.onEvent(event);
      },
    },
    libc,
  );
  // a bad line in a targets file: what was probed before it is shown, then the usage error (exit 2) is said;
  // a signal that came first (while a read waited on a pipe) decides the exit code instead
  const badInput = summary.stoppedBy !== undefined && !summary.interrupted;
  const exitCode = io.finalExitCode(badInput ? EXIT_CODES.usage : tally.code());
  if (!badInput && tally.code() !== 0) io.onFailure?.(tally.failureSummary());
  sink.end({ exitCode, interrupted: summary.interrupted, durationMs: summary.durationMs, capture: summary.capture });
  if (badInput) throw summary.stoppedBy;
  const unmet = exitCode === EXPECTATION_NOT_MET && !io.quiet ? tally.unmetMessage() : undefined;
  if (unmet) io.writeError(`connprobe: ${unmet}`); // exit 8 says why, after the results (stdout may be JSON)
  return exitCode;
}
