import type { BackendName } from './libc/load';
import { resolveOptions, type Mode } from './options';
import type { VerdictKind } from './probe/verdict';
import type { ProbeEvent, TargetResult } from './probe/result';
import { runProbe } from './probe/run';
import { parseHost, parsePort, type TargetSpec } from './target/parse';
import type { Family } from './target/resolve';
import { parseSource } from './target/source-address';
import type { TargetSource } from './target/source';

/** Options both API calls share. Each is checked as the CLI's are (UsageError), with the same defaults. */
interface CommonOptions {
  /** How long one attempt waits for an answer, in ms; default 2000. */
  readonly timeoutMs?: number;
  /** TCP_SYNCNT: SYN retransmissions before ETIMEDOUT (default: the kernel's net.ipv4.tcp_syn_retries). */
  readonly synRetries?: number;
  /** Resolve names to this family only. */
  readonly family?: Family;
  /** bind() to `ADDR`, `ADDR:PORT` or `[IPV6]:PORT` before connect(), as --source does. */
  readonly source?: string;
  /** The FFI to call libc through; by default ffi-napi where it loads, else koffi. Named: that one or BackendUnavailableError. */
  readonly backend?: BackendName;
  /** Aborting stops the probe between calls; every socket is still closed, and unsettled targets say so. */
  readonly signal?: AbortSignal;
  /** Keep every record and attempt in the results (default true); off, only the events carry them. */
  readonly keepRecords?: boolean;
  /** Called with each step as soon as it is known. */
  readonly onEvent?: (event: ProbeEvent) => void;
  /**
   * Capture the probe's own packets (root or CAP_NET_RAW; CaptureUnavailableError without): each address's
   * `packets`, and the `packets` of each `call` event.
   */
  readonly packets?: boolean;
  /** Also write them to this file, in pcap format. */
  readonly pcap?: string;
}

export interface ProbeOptions extends CommonOptions {
  /** IPv4 or IPv6 address (`::1`, `[::1]`, `fe80::1%lo`) or a host name. */
  readonly host: string;
  readonly port: number;
  /** How connect() is called; default `repeat`. */
  readonly mode?: Mode;
  /** connect() calls on the one socket in repeat and blocking modes; default 3 (repeat), 1 (blocking). */
  readonly repeat?: number;
  /** Attempts, each on a fresh socket, in fresh mode; default 4. */
  readonly count?: number;
  /** Pause between fresh attempts, in ms; default 1000. */
  readonly intervalMs?: number;
}

/** One target: every address it resolved to, each probed in turn, every call recorded. */
export interface ProbeReport extends TargetResult {
  readonly mode: Mode;
  readonly backend: string;
  /** True when aborted before the probe finished. */
  readonly interrupted: boolean;
}

/** Probes one host and port in one mode. Throws UsageError for invalid options; never for what the kernel answers. */
export async function probe(options: ProbeOptions): Promise<ProbeReport> {
  const { host, port, mode, repeat, count, intervalMs, source, ...common } = options;
  const target: TargetSpec = { host: parseHost(host), port: parsePort(String(port)) };
  const resolved = resolveOptions({ ...common, source: sourceOf(source), targets: [target], mode, repeat, count, intervalMs });
  const targets = await collect(resolved, common);
  return { ...targets.results[0], mode: resolved.mode, backend: targets.backend, interrupted: targets.interrupted };
}

export interface ConcurrentOptions extends CommonOptions {
  /** A list (parseTargets), or a source that makes them one at a time (TargetSource.parse: address ranges). */
  readonly targets: readonly TargetSpec[] | TargetSource;
  /** Retry each target on a fresh socket until it meets `expect`, or this many ms have passed (Infinity: no deadline). */
  readonly waitMs?: number;
  /** With waitMs: each address must meet `expect` on consecutive attempts for this many ms (a miss restarts it). */
  readonly stableMs?: number;
  /** Pause between retries while waiting, in ms; default 250. */
  readonly intervalMs?: number;
  /** Handshakes in flight at once, at most (also bounded by the fd limit); default 512. */
  readonly concurrency?: number;
  /**
   * Threads to probe on (this one and worker threads, each with its own FFI), sharing `concurrency`; default 1;
   * 0: one per core for a sweep of 8,192 targets or more; never more than one per 4,096 targets. Only a run with
   * `keepRecords: false`, no `onEvent` and no `waitMs` is sharded. An aborted sharded run reports the targets each
   * thread had begun: their indexes can have gaps.
   */
  readonly threads?: number;
  /** The verdicts that count as met (and end a wait); default connected. */
  readonly expect?: readonly VerdictKind[];
}

export interface ConcurrentReport {
  /** Every target in the order given. */
  readonly targets: readonly TargetResult[];
  /** Handshakes actually allowed in flight (the fd limit may lower `concurrency`). */
  readonly concurrency: number;
  readonly backend: string;
  readonly interrupted: boolean;
  readonly durationMs: number;
}

/** Probes many targets at once (non-blocking sockets, one poll()), optionally waiting for each to meet `expect`. */
export async function probeConcurrently(options: ConcurrentOptions): Promise<ConcurrentReport> {
  const { targets, waitMs, stableMs, intervalMs, concurrency, threads, expect, source, ...common } = options;
  // one target without a wait is probed as several are: the API's shape does not change with the list's length
  const input = { ...common, source: sourceOf(source), targets, waitMs, stableMs, intervalMs, concurrency, threads, expect, mode: 'poll' as const };
  const run = await collect(resolveOptions(input, undefined, true), common);
  return { targets: run.results, concurrency: run.concurrency, backend: run.backend, interrupted: run.interrupted, durationMs: run.durationMs };
}

const sourceOf = (text: string | undefined) => (text === undefined ? undefined : parseSource(text, 'source'));

async function collect(options: Parameters<typeof runProbe>[0], common: CommonOptions) {
  const results: TargetResult[] = [];
  const summary = await runProbe(options, {
    keepRecords: common.keepRecords ?? true,
    emitCalls: common.onEvent !== undefined,
    signal: common.signal,
    onEvent: (event) => {
      if (event.type === 'target') results.push(event.result);
      common.onEvent?.(event);
    },
  });
  if (summary.stoppedBy !== undefined) throw summary.stoppedBy;
  return { ...summary, results };
}
