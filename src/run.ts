import type { BackendName } from './libc/load';
import type { ConcurrentReport, TargetResult } from './probe/concurrent';
import { ExitCodeTally, meets, type Expectation } from './probe/outcome';
import type { ProbeReport } from './probe/probe';
import type { Mode } from './probe/strategies';
import type { Family } from './target/resolve';
import type { TargetSpec } from './target/parse';
import type { RunDocument, TargetOutcomeDocument } from './render/json';
import type { Palette } from './render/palette';

export const FORMATS = ['human', 'classic', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** Everything a run needs, already validated by the CLI (or by the API caller). */
export interface RunOptions {
  readonly targets: readonly TargetSpec[];
  readonly mode: Mode;
  readonly repeat?: number;
  readonly attempts: number;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly waitMs?: number;
  readonly synRetries?: number;
  readonly family?: Family;
  readonly concurrency: number;
  readonly backend: BackendName;
  readonly format: Format;
  readonly explain: boolean;
  readonly expectation: Expectation;
}

/** Where a run's output goes. */
export interface RunIo {
  /** Writes result text to stdout (a no-op with --quiet, or once stdout is gone). */
  readonly write: (text: string) => void;
  readonly palette: Palette;
  /** Rewrites the live progress line on a terminal's stderr; undefined when there is no such terminal. */
  readonly progress?: (line: string | null) => void;
  readonly signal: AbortSignal;
  /** The code the process will really exit with, given the run's own (a signal or a closed stdout changes it). */
  readonly finalExitCode: (code: number) => number;
}

/** One target and no waiting: a mode shows every call of that one probe. Else the concurrent engine. */
export function usesConcurrentEngine(options: Pick<RunOptions, 'targets' | 'waitMs'>): boolean {
  return options.targets.length > 1 || options.waitMs !== undefined;
}

function fromProbe(report: ProbeReport, expectation: Expectation): TargetOutcomeDocument {
  const addresses = report.results.map((r) => ({
    peer: r.peer,
    verdict: r.verdict,
    attempts: r.stats.attempts,
    handshakeMs: r.lastAttempt?.handshakeMs ?? null,
    lastErrno: r.verdict.errnoName,
    stats: report.mode === 'fresh' ? r.stats : null,
    records: r.records,
  }));
  const verdict = report.interrupted && report.results.length === 0 ? null : report.verdict;
  const records = addresses[0]?.records ?? [];
  return {
    index: 0, host: report.host, port: report.port, resolution: report.resolution, verdict, addresses,
    met: meets({ verdict, records }, expectation),
  };
}

function fromConcurrent(result: TargetResult, expectation: Expectation): TargetOutcomeDocument {
  const addresses = result.endpoints.map((e) => ({
    peer: e.peer, verdict: e.verdict, attempts: e.attempts, handshakeMs: e.handshakeMs, lastErrno: e.lastErrno,
    stats: null, records: e.records,
  }));
  const { index, host, port, resolution, verdict, unfinished } = result;
  const met = meets({ verdict, records: addresses[0]?.records ?? [] }, expectation);
  return { index, host, port, resolution, verdict, met, addresses, ...(unfinished ? { unfinished } : {}) };
}

interface RunResult {
  /** Every target, for the JSON document (empty when the format does not need them). */
  readonly targets: TargetOutcomeDocument[];
  readonly tally: ExitCodeTally;
  readonly interrupted: boolean;
}

async function runOne(options: RunOptions, io: RunIo): Promise<RunResult> {
  const { probe } = require('./probe/probe') as typeof import('./probe/probe');
  const [target] = options.targets;
  const probeOptions = {
    host: target.host.text,
    port: target.port,
    mode: options.mode,
    repeat: options.repeat,
    attempts: options.attempts,
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs,
    synRetries: options.synRetries,
    family: options.family,
    backend: options.backend,
    signal: io.signal,
    // the other formats stream, so a long fresh run stays flat; an --expect-sequence reads the connect() calls
    keepRecords: options.format === 'json' || options.expectation.sequence !== undefined,
  };
  let report: ProbeReport;
  if (options.format === 'human') {
    const { humanStream } = require('./render/human') as typeof import('./render/human');
    const stream = humanStream((line) => io.write(`${line}\n`), io.palette, options.mode, options.explain);
    report = await probe({ ...probeOptions, onEvent: stream.onEvent });
    stream.finish(report);
  } else if (options.format === 'ndjson') {
    const { formatJsonEvent } = require('./render/json') as typeof import('./render/json');
    report = await probe({
      ...probeOptions,
      onEvent: (event) => {
        if (event.type === 'attempt') {
          const { attempt, verdict, handshakeMs } = event.attempt;
          io.write(formatJsonEvent({ type: 'attempt', peer: event.peer, attempt, verdict, handshakeMs }));
        } else if (event.type !== 'address') {
          io.write(formatJsonEvent(event));
        }
      },
    });
    io.write(formatJsonEvent({ type: 'target', target: fromProbe(report, options.expectation) }));
  } else if (options.format === 'classic') {
    const { classicPrinter } = require('./render/classic') as typeof import('./render/classic');
    let print = classicPrinter(options.mode);
    report = await probe({
      ...probeOptions,
      onEvent: (event) => {
        if (event.type === 'address') print = classicPrinter(options.mode); // each address is a C run of its own
        if (event.type !== 'call') return;
        const line = print(event.record);
        if (line !== undefined) io.write(line);
      },
    });
  } else {
    report = await probe(probeOptions);
  }
  const outcome = fromProbe(report, options.expectation);
  const tally = new ExitCodeTally(options.expectation);
  tally.add(outcome);
  return { targets: [outcome], tally, interrupted: report.interrupted };
}

async function runMany(options: RunOptions, io: RunIo): Promise<RunResult> {
  const { probeConcurrently } = require('./probe/concurrent') as typeof import('./probe/concurrent');
  const json = options.format === 'json' || options.format === 'ndjson' ? (require('./render/json') as typeof import('./render/json')) : undefined;
  const human = options.format === 'human' ? (require('./render/targets') as typeof import('./render/targets')) : undefined;
  const lines = human?.targetLines((line) => {
    io.progress?.(null);
    io.write(`${line}\n`);
  }, io.palette, options.targets);

  // the live line of a --wait on a terminal: what is still awaited, for how long, and the last errno
  const started = Date.now();
  const waiting = io.progress && human ? new Map(options.targets.map((t, i) => [i, `${t.host.text}:${t.port}`])) : undefined;
  let lastErrno: string | null = null;
  const showProgress = () =>
    io.progress?.(human!.progressLine([...waiting!.values()], Date.now() - started, lastErrno, options.targets.length - waiting!.size, options.targets.length));
  const ticker = waiting ? setInterval(showProgress, 100) : undefined;

  const tally = new ExitCodeTally(options.expectation);
  const targets: TargetOutcomeDocument[] = [];
  let report: ConcurrentReport;
  try {
    report = await probeConcurrently({
      targets: options.targets,
      timeoutMs: options.timeoutMs,
      waitMs: options.waitMs,
      intervalMs: options.intervalMs,
      concurrency: options.concurrency,
      synRetries: options.synRetries,
      family: options.family,
      backend: options.backend,
      signal: io.signal,
      // a human-readable sweep streams its lines: it keeps neither records nor results, nor makes call events
      keepRecords: options.format === 'json',
      keepResults: false,
      streamCalls: options.format === 'ndjson',
      onEvent: (event) => {
        if (event.type === 'target') {
          const target = fromConcurrent(event.result, options.expectation);
          tally.add(target);
          if (options.format === 'json') targets.push(target);
          waiting?.delete(target.index);
          lines?.onTarget(target);
          if (options.format === 'ndjson') io.write(json!.formatJsonEvent({ type: 'target', target }));
          return;
        }
        if (event.type === 'attempt' && event.verdict.errnoName) lastErrno = event.verdict.errnoName;
        if (options.format === 'ndjson') {
          const { type } = event;
          io.write(json!.formatJsonEvent(type === 'attempt' ? { type, peer: event.peer, attempt: event.attempt, verdict: event.verdict, handshakeMs: null } : event));
        }
      },
    });
  } finally {
    if (ticker) clearInterval(ticker);
    io.progress?.(null);
  }
  lines?.finish(report.durationMs);
  return { targets, tally, interrupted: report.interrupted };
}

/** Runs the probe(s), writes the chosen format, and returns the exit code (without signals: the caller's). */
export async function run(options: RunOptions, io: RunIo): Promise<number> {
  const started = Date.now();
  const { targets, tally, interrupted } = usesConcurrentEngine(options) ? await runMany(options, io) : await runOne(options, io);
  const exitCode = io.finalExitCode(tally.code());
  if (options.format === 'json' || options.format === 'ndjson') {
    const json = require('./render/json') as typeof import('./render/json');
    const document: RunDocument = {
      mode: usesConcurrentEngine(options) ? 'concurrent' : options.mode,
      backend: options.backend,
      options: {
        timeoutMs: options.timeoutMs, intervalMs: options.intervalMs, waitMs: options.waitMs ?? null,
        repeat: options.repeat ?? null, attempts: options.attempts, concurrency: options.concurrency,
        synRetries: options.synRetries ?? null, family: options.family ?? null,
      },
      targets,
      exitCode,
      interrupted,
      durationMs: Date.now() - started,
    };
    if (options.format === 'json') io.write(json.formatJsonDocument(document));
    else io.write(json.formatJsonEvent({ type: 'end', exitCode, interrupted, durationMs: document.durationMs }));
  }
  return exitCode;
}
