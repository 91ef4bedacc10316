import { readdirSync } from 'node:fs';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { C } from '../libc/constants';
import { E } from '../libc/errno';
import { loadLibc, type BackendName } from '../libc/load';
import type { Endpoint } from '../libc/sockaddr';
import type { HostSpec, TargetSpec } from '../target/parse';
import { resolveName, type Family, type Resolution } from '../target/resolve';
import type { CallRecord } from './record';
import { TracedLibc } from './trace';
import { targetVerdict, verdictOf, type Verdict } from './verdict';

export interface ConcurrentOptions {
  readonly targets: readonly TargetSpec[];
  /** How long one attempt waits for an answer, in ms. */
  readonly timeoutMs: number;
  /** Retry each target (a fresh socket each time) until it connects or this many ms have passed. */
  readonly waitMs?: number;
  /** Pause before a retry, in ms. */
  readonly intervalMs: number;
  /** Handshakes in flight at once, at most; also bounded by the fds the process may still open. */
  readonly concurrency: number;
  readonly synRetries?: number;
  readonly family?: Family;
  readonly backend?: BackendName;
  readonly signal?: AbortSignal;
  /** Keep every call record in the results (for JSON); off, a sweep's memory stays flat. Default true. */
  readonly keepRecords?: boolean;
  /** Keep every target's result in the report; off, only the events carry them (a sweep streams). Default true. */
  readonly keepResults?: boolean;
  /** Emit a `call` event per libc call (for streaming); off, a sweep skips that work. Default true. */
  readonly streamCalls?: boolean;
  readonly onEvent?: (event: ConcurrentEvent) => void;
}

/** What was learned about one address of a target. */
export interface EndpointResult {
  readonly peer: Endpoint;
  readonly verdict: Verdict;
  /** Fresh sockets used (more than 1 only with waiting). */
  readonly attempts: number;
  /** The last attempt's time from connect() to the answer, in ms; null without an answer. */
  readonly handshakeMs: number | null;
  /** From the first attempt's socket() to the end, in ms. */
  readonly elapsedMs: number;
  /** The errno name of the last failure seen (from connect or SO_ERROR), if any. */
  readonly lastErrno: string | null;
  /** The calls made for this address (empty when records are not kept). */
  readonly records: readonly CallRecord[];
}

export interface TargetResult {
  /** Position in the user's list of targets. */
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly resolution: Resolution | null;
  readonly endpoints: readonly EndpointResult[];
  /** connected if any address connected, else the first address's; null if interrupted before it finished. */
  readonly verdict: Verdict | null;
  /** For a target the interruption left unfinished: what its addresses had been told so far. */
  readonly unfinished?: { readonly attempts: number; readonly lastErrno: string | null };
}

export interface ConcurrentReport {
  /** Every target in the order given (empty with keepResults off: then only the `target` events carry them). */
  readonly targets: readonly TargetResult[];
  /** The number of handshakes actually allowed in flight (the fd limit may lower --concurrency). */
  readonly concurrency: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
}

export type ConcurrentEvent =
  | { readonly type: 'resolution'; readonly resolution: Resolution }
  /** `peer` is null for calls that serve many targets at once (the batch poll). */
  | { readonly type: 'call'; readonly peer: Endpoint | null; readonly record: CallRecord }
  | { readonly type: 'attempt'; readonly target: number; readonly peer: Endpoint; readonly attempt: number; readonly verdict: Verdict }
  /** Emitted in the user's order, each as soon as it and every target before it are done. */
  | { readonly type: 'target'; readonly result: TargetResult };

interface Job {
  readonly target: number;
  readonly peer: Endpoint;
  attempts: number;
  firstStartMs: number;
  readyAt: number;
  lastErrno: string | null;
  readonly records: CallRecord[];
  result?: EndpointResult;
}

/** One attempt: its socket, its deadline, and the calls made for it. */
interface InFlight {
  readonly job: Job;
  fd: number;
  readonly deadline: number;
  connectStartMs: number;
  readonly records: CallRecord[];
}

const DONE_RECORDS: CallRecord[] = []; // never written: records are kept only with keepRecords

/** fds the process may still open, keeping a reserve for Node itself (stdout, DNS, timers). */
function fdBudget(traced: TracedLibc): number {
  const RESERVE = 32;
  const limit = traced.libc.getrlimit(C.RLIMIT_NOFILE);
  const soft = limit.ret === 0 ? limit.soft : 1024;
  return soft - readdirSync('/proc/self/fd').length - RESERVE;
}

async function resolveAll(hosts: readonly HostSpec[], options: ConcurrentOptions, origin: number) {
  const names = [...new Set(hosts.filter((h) => h.kind === 'name').map((h) => h.text))];
  const resolved = await Promise.all(names.map((name) => resolveName(name, options.family, origin)));
  const byName = new Map(resolved.map((r) => [r.name, r]));
  resolved.forEach((resolution) => options.onEvent?.({ type: 'resolution', resolution }));
  return byName;
}

/**
 * Probes many targets at once, the way a scanner does it: non-blocking sockets (SOCK_NONBLOCK, no fcntl), many
 * handshakes in flight, one poll() over all their fds, SO_ERROR read only for the fds poll reported, and
 * getsockname() only for those that connected (a self-connect is not an open port). With waitMs, a target that
 * did not connect is retried on a fresh socket, intervalMs later, until it connects or the time is up.
 */
export async function probeConcurrently(options: ConcurrentOptions): Promise<ConcurrentReport> {
  const origin = performance.now();
  const started = Date.now();
  const keepRecords = options.keepRecords ?? true;
  const keepResults = options.keepResults ?? true;
  const streamCalls = options.streamCalls ?? true;
  const byName = await resolveAll(options.targets.map((t) => t.host), options, origin);

  let current: InFlight | undefined; // the attempt whose calls are being made; undefined for the batch poll
  const traced = new TracedLibc(
    loadLibc(options.backend ?? 'ffi-napi'),
    (record) => {
      current?.records.push(record);
      if (streamCalls) options.onEvent?.({ type: 'call', peer: current?.job.peer ?? null, record });
    },
    origin,
  );
  const waitDeadline = options.waitMs === undefined ? undefined : started + options.waitMs;

  // A job per address of each target, made when the target's turn comes and dropped once it is reported:
  // a 65,535-port sweep holds only what is in flight or waiting to be reported in order.
  const targets = options.targets;
  const resolutionOf = (spec: TargetSpec) => (spec.host.kind === 'name' ? byName.get(spec.host.text) ?? null : null);
  const activeJobs = new Map<number, Job[]>(); // targets started and not yet reported
  const jobsOf = (index: number): Job[] => {
    let jobs = activeJobs.get(index);
    if (!jobs) {
      const spec = targets[index];
      const addresses = spec.host.kind === 'address' ? [spec.host.address] : resolutionOf(spec)?.addresses ?? [];
      jobs = addresses.map((address) => ({
        target: index, peer: { address, port: spec.port }, attempts: 0, firstStartMs: 0, readyAt: 0, lastErrno: null,
        records: keepRecords ? [] : DONE_RECORDS,
      }));
      activeJobs.set(index, jobs);
    }
    return jobs;
  };
  let freshTarget = 0; // the next job never started: jobsOf(freshTarget)[freshJob]
  let freshJob = 0;
  const nextFresh = (): Job | undefined => {
    for (; freshTarget < targets.length; freshTarget++, freshJob = 0) {
      const jobs = jobsOf(freshTarget);
      if (freshJob < jobs.length) return jobs[freshJob++];
    }
    return undefined;
  };
  const retries: Job[] = []; // ordered by readyAt: every retry waits the same interval
  const inflight = new Map<number, InFlight>();
  let limit = Math.max(1, Math.min(options.concurrency, fdBudget(traced)));

  /** The target's result: its verdict once every address is done; unfinished (verdict null) otherwise. */
  const resultOf = (index: number): TargetResult => {
    const spec = targets[index];
    const resolution = resolutionOf(spec);
    const jobs = jobsOf(index);
    const endpoints: EndpointResult[] = [];
    for (const job of jobs) if (job.result) endpoints.push(job.result);
    if (endpoints.length === jobs.length) {
      const verdict = targetVerdict(endpoints.map((e) => e.verdict), resolution);
      return { index, host: spec.host.text, port: spec.port, resolution, endpoints, verdict };
    }
    const lastErrno = jobs.map((j) => j.lastErrno).find((e) => e !== null) ?? null;
    const unfinished = { attempts: jobs.reduce((n, j) => n + j.attempts, 0), lastErrno };
    return { index, host: spec.host.text, port: spec.port, resolution, endpoints, verdict: null, unfinished };
  };
  const results: TargetResult[] = [];
  let emitted = 0;
  /** Emits finished targets in the user's order; with `all`, the unfinished ones too (at the end). */
  const emitInOrder = (all = false) => {
    while (emitted < targets.length) {
      const result = resultOf(emitted);
      if (!result.verdict && !all) return;
      activeJobs.delete(emitted++); // reported: its jobs are done with
      if (keepResults) results.push(result);
      options.onEvent?.({ type: 'target', result });
    }
  };

  const finishAttempt = (entry: InFlight, answeredAtMs: number | null) => {
    const { job } = entry;
    const verdict = verdictOf(entry.records);
    job.attempts++;
    job.lastErrno = verdict.errnoName ?? job.lastErrno;
    if (keepRecords) job.records.push(...entry.records);
    options.onEvent?.({ type: 'attempt', target: job.target, peer: job.peer, attempt: job.attempts, verdict });
    const now = Date.now();
    const retry =
      waitDeadline !== undefined && verdict.kind !== 'connected' && now + options.intervalMs < waitDeadline && !options.signal?.aborted;
    if (retry) {
      job.readyAt = now + options.intervalMs;
      retries.push(job);
      return;
    }
    const last = entry.records.at(-1);
    // waited for and never connected: the wait timed out; the last answer stays in lastErrno
    const final: Verdict = waitDeadline !== undefined && verdict.kind !== 'connected' ? { ...verdict, kind: 'timeout' } : verdict;
    job.result = {
      peer: job.peer,
      verdict: final,
      attempts: job.attempts,
      handshakeMs: answeredAtMs === null || final.kind === 'timeout' ? null : answeredAtMs - entry.connectStartMs,
      elapsedMs: (last ? last.startMs + last.durationUs / 1000 : job.firstStartMs) - job.firstStartMs,
      lastErrno: job.lastErrno,
      records: job.records,
    };
    emitInOrder();
  };

  /** Closes the attempt's socket (after getsockname if it connected) and concludes it. */
  const endAttempt = (entry: InFlight, answeredAtMs: number | null, connected: boolean) => {
    current = entry;
    if (connected) traced.getsockname(entry.fd);
    traced.close(entry.fd);
    current = undefined;
    inflight.delete(entry.fd);
    finishAttempt(entry, answeredAtMs);
  };

  /** socket() + connect(); false when the fd table is full and other sockets are in flight (try again later). */
  const startAttempt = (job: Job): boolean => {
    const now = Date.now();
    const deadline = Math.min(now + options.timeoutMs, waitDeadline ?? Infinity);
    const entry: InFlight = { job, fd: -1, deadline, connectStartMs: 0, records: [] };
    current = entry;
    const socket = traced.socket(job.peer, true);
    if (job.attempts === 0) job.firstStartMs = entry.records[0].startMs;
    if (socket.ret === -1) {
      current = undefined;
      if ((socket.errno === E.EMFILE || socket.errno === E.ENFILE) && inflight.size > 0) {
        limit = inflight.size; // the fd limit is tighter than we counted: never exceed what is in flight now
        return false;
      }
      finishAttempt(entry, null);
      return true;
    }
    entry.fd = socket.ret;
    if (options.synRetries !== undefined && traced.setSynCount(entry.fd, options.synRetries).ret === -1) {
      endAttempt(entry, null, false);
      return true;
    }
    const connect = traced.connect(entry.fd, job.peer);
    const connectRecord = entry.records[entry.records.length - 1];
    entry.connectStartMs = connectRecord.startMs;
    current = undefined;
    if (connect.errno === E.EINPROGRESS) {
      inflight.set(entry.fd, entry);
    } else {
      endAttempt(entry, connectRecord.startMs + connectRecord.durationUs / 1000, connect.ret === 0);
    }
    return true;
  };

  const nextReady = (now: number): Job | undefined => {
    if (retries.length && retries[0].readyAt <= now) return retries.shift();
    return nextFresh();
  };

  while (!options.signal?.aborted) {
    let now = Date.now();
    while (inflight.size < limit) {
      const job = nextReady(now);
      if (!job) break;
      if (!startAttempt(job)) {
        if (job.attempts === 0) freshJob--; // the job just taken: take it again next time
        else retries.unshift(job);
        break;
      }
    }
    now = Date.now();
    if (inflight.size === 0) {
      if (retries.length === 0 && freshTarget >= targets.length) break;
      try {
        await sleep(Math.max(0, retries[0].readyAt - now), undefined, { signal: options.signal });
      } catch {
        break; // aborted
      }
      continue;
    }
    let wake = Infinity;
    for (const entry of inflight.values()) wake = Math.min(wake, entry.deadline);
    if (retries.length && inflight.size < limit) wake = Math.min(wake, retries[0].readyAt);
    // a bounded slice, so that signals and output get their turn even during a long wait
    const fds = [...inflight.keys()];
    const polled = traced.poll(fds, Math.max(0, Math.min(wake - now, 250)));
    const answeredAtMs = traced.elapsedMs();
    if (polled.ret > 0) {
      fds.forEach((fd, i) => {
        if (polled.revents[i] === 0) return;
        const entry = inflight.get(fd)!;
        current = entry;
        const pending = traced.socketError(fd);
        current = undefined;
        endAttempt(entry, answeredAtMs, pending.ret === 0 && pending.value === 0);
      });
    }
    now = Date.now();
    for (const entry of [...inflight.values()]) {
      if (entry.deadline <= now) endAttempt(entry, null, false);
    }
    await yieldToEventLoop();
  }

  // interrupted: close whatever is still in flight; those targets stay unfinished
  for (const entry of [...inflight.values()]) {
    current = entry;
    traced.close(entry.fd);
    current = undefined;
    inflight.delete(entry.fd);
  }
  emitInOrder(true);
  return {
    targets: results,
    concurrency: limit,
    interrupted: options.signal?.aborted ?? false,
    durationMs: Date.now() - started,
  };
}
