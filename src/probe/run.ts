import type { Libc } from '../libc/libc';
import { loadBackend, type BackendName } from '../libc/load';
import { VERDICTS, type Options } from '../options';
import { runEngine, type EngineOptions, type EngineSummary } from './engine';
import { acceptsVerdict } from './expectation';
import { planOf, SCAN_PLAN } from './plan';
import type { Policy } from './policy';
import type { ProbeEvent } from './result';
import type { VerdictKind } from './verdict';
import type { TargetSpec } from '../target/parse';
import type { PacketCapture } from '../packet/socket';

/** What the caller of a run wants of it beyond the options: what to keep and emit, and where events go. */
export interface RunHooks {
  readonly onEvent: (event: ProbeEvent) => void;
  readonly keepRecords: boolean;
  readonly emitCalls: boolean;
  /** The longest a poll() may block (a live display); by default 250 ms for a scan, none for one target. */
  readonly maxPollMs?: number;
  readonly signal?: AbortSignal;
  /** Told of each target as the engine takes it from the source. */
  readonly onAdmit?: (index: number, target: TargetSpec) => void;
  /** --packets: the capture, opened by the caller (the CLI opens it before any output); else opened here. */
  readonly packets?: PacketCapture;
}

export interface RunSummary extends EngineSummary {
  readonly backend: string;
  readonly durationMs: number;
}

/** The policy the options ask for: wait until met, a number of fresh attempts, or one attempt. */
function policyOf(options: Options, accepts: (kind: VerdictKind) => boolean, started: number): Policy {
  if (options.waitMs !== null) {
    return {
      kind: 'until',
      accepts,
      deadline: started + options.waitMs,
      intervalMs: options.intervalMs,
      timeoutMs: options.timeoutMs,
      stableMs: options.stableMs ?? 0,
    };
  }
  if (options.mode === 'fresh' && !options.scan) return { kind: 'times', count: options.count, intervalMs: options.intervalMs };
  return { kind: 'once' };
}

/** The source's iterator, telling `onAdmit` of each target the engine takes. */
function admitting(targets: Iterable<TargetSpec>, onAdmit: RunHooks['onAdmit']): Iterator<TargetSpec> {
  const iterator = targets[Symbol.iterator]();
  if (!onAdmit) return iterator;
  let index = 0;
  return {
    next() {
      const next = iterator.next();
      if (!next.done) onAdmit(index++, next.value);
      return next;
    },
  };
}

/** Runs the probes the options describe, through the one engine; events go to the hooks as they happen. */
export async function runProbe(options: Options, hooks: RunHooks, libc: Libc = loadBackend(options.backend).libc): Promise<RunSummary> {
  const origin = performance.now();
  const started = Date.now();
  const accepts = (kind: VerdictKind) => acceptsVerdict(options.expectation, kind);
  const policy = policyOf(options, accepts, started);
  // only a sweep whose targets' results alone are wanted is sharded: records, calls and packets are one thread's
  const shardable = options.threads !== 1 && options.scan && policy.kind === 'once' && !hooks.keepRecords && !hooks.emitCalls && !hooks.onAdmit && !options.packets && options.concurrency > 1;
  const shard = shardable ? (require('./shard') as typeof import('./shard')) : null;
  const admitted = admitting(options.targets, hooks.onAdmit);
  const { threads, targets } = shard ? shard.threadsFor(options.threads, admitted, options.targets.count) : { threads: 1, targets: admitted };
  const engineOptions: EngineOptions = {
    targets,
    libc,
    plan: options.scan ? SCAN_PLAN : planOf(options.mode, options.repeat, options.format === 'classic'),
    policy,
    accepts,
    timeoutMs: options.timeoutMs,
    synRetries: options.synRetries,
    tcpInfo: options.tcpInfo,
    family: options.family,
    source: options.source,
    concurrency: options.scan ? options.concurrency : 1,
    sequential: !options.scan,
    // a single repeat, poll or blocking probe shows a self-connect or EAGAIN as it is; many targets and retries look
    // past a passing one
    retryOnce: options.scan || options.mode === 'fresh',
    maxPollMs: hooks.maxPollMs ?? (options.scan ? 250 : null),
    keepRecords: hooks.keepRecords,
    emitCalls: hooks.emitCalls,
    signal: hooks.signal,
    onEvent: hooks.onEvent,
    origin,
    // loaded only for --packets: start-up pays for what a run uses
    packets: options.packets ? (hooks.packets ?? (require('../packet/socket') as typeof import('../packet/socket')).openCapture(libc, options.pcap)) : null,
  };
  const summary = shard && threads > 1
    ? await shard.runShards(engineOptions, libc.backend as BackendName, threads, VERDICTS.filter(accepts))
    : await runEngine(engineOptions);
  return { ...summary, backend: libc.backend, durationMs: Date.now() - started };
}
