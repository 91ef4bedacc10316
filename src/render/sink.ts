import type { Options } from '../options';
import type { CaptureTotals } from '../packet/capture';
import type { ProbeEvent } from '../probe/result';
import type { TargetSpec } from '../target/parse';
import type { Palette } from './palette';

/** How a run begins: what the start event and the JSON document's header say. */
export interface RunStart {
  readonly options: Options;
  readonly backend: string;
  readonly startedAt: Date;
}

/** How a run ended. */
export interface RunEnd {
  readonly exitCode: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
  /** --packets: the probe's packets seen, and what the kernel dropped (tcpdump's "dropped by kernel"). */
  readonly capture?: CaptureTotals;
}

/**
 * One output format: it receives the run's events (the engine drives, the sink receives) and writes them. Each
 * sink declares what it needs, so that a run makes no more than that: kept records (a document of every call),
 * call events (a trace), or neither (a line per target, or nothing).
 */
export interface Sink {
  readonly needs: { readonly records: boolean; readonly calls: boolean };
  /** The longest a poll() may block, for a live display; undefined leaves it to the engine. */
  readonly maxPollMs?: number;
  /** Told of each target as the engine takes it from the source (the source itself is never expanded). */
  readonly onAdmit?: (index: number, target: TargetSpec) => void;
  start(run: RunStart): void;
  onEvent(event: ProbeEvent): void;
  end(run: RunEnd): void;
}

/** Where a sink writes. */
export interface Output {
  /**
   * Result text to stdout (a no-op with --quiet, or once stdout is gone). `agoUs`: the text is about a call that
   * started that long ago (--timestamps shows when it started).
   */
  readonly write: (text: string, agoUs?: number) => void;
  /** A line to stderr: what a C program would say there (classic), never results. */
  readonly writeError: (line: string) => void;
  readonly palette: Palette;
  /** Rewrites the live progress line on a terminal's stderr; undefined when there is no such terminal. */
  readonly progress?: (line: string | null) => void;
}
