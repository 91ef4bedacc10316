import { loadLibc } from './libc/load';
import type { Options } from './options';
import { ExitCodeTally, EXPECTATION_NOT_MET, targetMeets } from './probe/expectation';
import { runProbe } from './probe/run';
import type { Output, Sink } from './render/sink';

/** Where a CLI run's output goes, and how the process will end. */
export interface RunIo extends Output {
  readonly quiet: boolean;
  readonly signal: AbortSignal;
  /** The code the process will really exit with, given the run's own (a signal or a closed stdout changes it). */
  readonly finalExitCode: (code: number) => number;
}

/** --quiet: nothing is written, nothing kept: the exit code is the answer. */
const QUIET: Sink = { needs: { records: false, calls: false }, start() {}, onEvent() {}, end() {} };

/** One sink per output format. */
function sinkFor(options: Options, io: RunIo): Sink {
  if (io.quiet) return QUIET;
  switch (options.format) {
    case 'json':
      return (require('./render/json') as typeof import('./render/json')).jsonSink(io, options.expectation);
    case 'ndjson':
      return (require('./render/json') as typeof import('./render/json')).ndjsonSink(io, options.expectation);
    case 'classic':
      return (require('./render/classic') as typeof import('./render/classic')).classicSink(io, options.mode);
    case 'human':
      return options.scan
        ? (require('./render/lines') as typeof import('./render/lines')).linesSink(io, options.targets, options.waitMs !== null)
        : (require('./render/human') as typeof import('./render/human')).traceSink(io, options.mode, options.explain, options.targets[0].port === null);
  }
}

/** Runs the probes, feeds the chosen format's sink, and returns the exit code (before signals: the caller's). */
export async function run(options: Options, io: RunIo): Promise<number> {
  const sink = sinkFor(options, io);
  const libc = loadLibc(options.backend);
  const tally = new ExitCodeTally(options.expectation);
  sink.start({ options, backend: libc.backend, startedAt: new Date() });
  const summary = await runProbe(
    options,
    {
      // an --expect-sequence reads the connect() calls, whatever the format keeps
      keepRecords: sink.needs.records || options.expectation.sequence !== undefined,
      emitCalls: sink.needs.calls,
      maxPollMs: sink.maxPollMs,
      signal: io.signal,
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
  const exitCode = io.finalExitCode(tally.code());
  sink.end({ exitCode, interrupted: summary.interrupted, durationMs: summary.durationMs });
  const unmet = exitCode === EXPECTATION_NOT_MET && !io.quiet ? tally.unmetMessage() : undefined;
  if (unmet) io.writeError(`connprobe: ${unmet}`); // exit 8 says why, after the results (stdout may be JSON)
  return exitCode;
}
