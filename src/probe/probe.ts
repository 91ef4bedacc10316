import { loadLibc, type BackendName } from '../libc/load';
import type { Endpoint } from '../libc/sockaddr';
import { parseHost, parsePort, UsageError } from '../target/parse';
import { resolveName, type Family, type Resolution } from '../target/resolve';
import type { CallRecord } from './record';
import { StatsAccumulator, type AttemptStats } from './stats';
import { STRATEGIES, type Mode } from './strategies';
import { TracedLibc } from './trace';
import { targetVerdict, verdictOf, type Verdict } from './verdict';

export interface ProbeOptions {
  /** IPv4 or IPv6 address (`::1`, `[::1]`, `fe80::1%lo`) or a host name, resolved once. */
  readonly host: string;
  readonly port: number;
  /** How connect() is called; default `repeat`. */
  readonly mode?: Mode;
  /** connect() calls on the one socket in repeat and blocking modes; default 3 (repeat), 1 (blocking). */
  readonly repeat?: number;
  /** Sockets opened one after the other in fresh mode; default 4. */
  readonly attempts?: number;
  /** How long to wait for an answer, in ms; default 2000. */
  readonly timeoutMs?: number;
  /** Pause between fresh attempts, in ms; default 1000. */
  readonly intervalMs?: number;
  /** TCP_SYNCNT: SYN retransmissions before ETIMEDOUT (default: the kernel's net.ipv4.tcp_syn_retries). */
  readonly synRetries?: number;
  /** Resolve the name to this family only. */
  readonly family?: Family;
  readonly backend?: BackendName;
  /** Aborting stops the probe between calls; every socket is still closed and the report says what was seen. */
  readonly signal?: AbortSignal;
  /**
   * Keep every record and attempt in the report (default true). Off, only the events carry them, so a long fresh
   * run (100,000 attempts) keeps its memory flat; the statistics are kept either way.
   */
  readonly keepRecords?: boolean;
  /** Called with each step as soon as it is known (for streaming output). */
  readonly onEvent?: (event: ProbeEvent) => void;
}

/** What a probe learns, in the order it learns it. */
export type ProbeEvent =
  | { readonly type: 'resolution'; readonly resolution: Resolution }
  | { readonly type: 'call'; readonly peer: Endpoint; readonly record: CallRecord }
  | { readonly type: 'attempt'; readonly peer: Endpoint; readonly attempt: AttemptResult }
  | { readonly type: 'address'; readonly result: AddressResult };

/** One fresh-socket attempt, with the time from connect() to the kernel's answer. */
export interface AttemptResult {
  readonly attempt: number;
  readonly verdict: Verdict;
  /** Milliseconds from the connect() call to the answer; null when there was none (timeout, local error). */
  readonly handshakeMs: number | null;
}

/** Everything learned about one address. */
export interface AddressResult {
  readonly peer: Endpoint;
  /** Every call (empty unless keepRecords). */
  readonly records: readonly CallRecord[];
  /** Every attempt (empty unless keepRecords). */
  readonly attempts: readonly AttemptResult[];
  /** The last attempt, kept either way (null if the probe was stopped before its first call). */
  readonly lastAttempt: AttemptResult | null;
  /** Over the attempts (fresh mode's ping-style summary; one attempt in the other modes). */
  readonly stats: AttemptStats;
  /** The last attempt's verdict (the only one, in every mode but fresh). */
  readonly verdict: Verdict;
}

export interface ProbeReport {
  readonly host: string;
  readonly port: number;
  readonly mode: Mode;
  readonly backend: BackendName;
  /** The resolution step; null when the host was an address. */
  readonly resolution: Resolution | null;
  /** One per address, in the resolver's order. */
  readonly results: readonly AddressResult[];
  /**
   * The target's verdict: connected if any address connected (a client trying each address in turn gets through),
   * otherwise the first address's verdict; `unresolved` when the name gave no address.
   */
  readonly verdict: Verdict;
  /** True when aborted (SIGINT, SIGTERM) before the probe finished. */
  readonly interrupted: boolean;
}

function handshakeMs(records: readonly CallRecord[], verdict: Verdict): number | null {
  if (verdict.kind === 'timeout' || verdict.kind === 'local-error') return null;
  const first = records.find((r) => r.call === 'connect');
  const answered = records.filter((r) => r.call === 'connect' || r.call === 'poll').at(-1);
  if (!first || !answered) return null;
  return answered.startMs + answered.durationUs / 1000 - first.startMs;
}

function concludeAttempt(attempt: number, records: readonly CallRecord[]): AttemptResult {
  const verdict = verdictOf(records);
  return { attempt, verdict, handshakeMs: handshakeMs(records, verdict) };
}

function checkOptions(options: ProbeOptions): void {
  const whole = (value: number | undefined, what: string, min: number, max: number) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) {
      throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not ${value}`);
    }
  };
  parsePort(String(options.port));
  whole(options.repeat, 'repeat', 1, 1_000_000);
  whole(options.attempts, 'attempts', 1, 1_000_000);
  whole(options.timeoutMs, 'timeoutMs', 1, 2 ** 31 - 1);
  whole(options.intervalMs, 'intervalMs', 0, 2 ** 31 - 1);
  whole(options.synRetries, 'synRetries', 1, 127);
}

/**
 * Probes a host and port: resolves the name once (if it is one), then probes every address in order with the
 * chosen mode, keeping every libc call as a record. Throws UsageError for invalid options; never throws for
 * anything the network or the kernel answers.
 */
export async function probe(options: ProbeOptions): Promise<ProbeReport> {
  checkOptions(options);
  const host = parseHost(options.host);
  if (host.kind === 'address' && options.family !== undefined && host.address.family !== options.family) {
    throw new UsageError(`${host.text} is not an IPv${options.family} address`);
  }
  const mode = options.mode ?? 'repeat';
  const keepRecords = options.keepRecords ?? true;
  const backend = options.backend ?? 'ffi-napi';
  const libc = loadLibc(backend);
  const origin = performance.now();
  const resolution = host.kind === 'name' ? await resolveName(host.text, options.family, origin) : null;
  if (resolution) options.onEvent?.({ type: 'resolution', resolution });
  const addresses = resolution ? resolution.addresses : host.kind === 'address' ? [host.address] : [];
  const strategy = STRATEGIES[mode];
  const results: AddressResult[] = [];
  for (const address of addresses) {
    if (options.signal?.aborted) break;
    const peer = { address, port: options.port };
    const records: CallRecord[] = [];
    const attempts: AttemptResult[] = [];
    const stats = new StatsAccumulator();
    let last: AttemptResult | undefined;
    let attemptRecords: CallRecord[] = [];
    const endAttempt = () => {
      if (attemptRecords.length === 0) return;
      last = concludeAttempt(attemptRecords[0].attempt, attemptRecords);
      stats.add(last);
      if (keepRecords) attempts.push(last);
      options.onEvent?.({ type: 'attempt', peer, attempt: last });
      attemptRecords = [];
    };
    const traced = new TracedLibc(
      libc,
      (record) => {
        if (attemptRecords.length && record.attempt !== attemptRecords[0].attempt) endAttempt();
        attemptRecords.push(record);
        if (keepRecords) records.push(record);
        options.onEvent?.({ type: 'call', peer, record });
      },
      origin,
    );
    await strategy(traced, {
      peer,
      repeat: options.repeat ?? (mode === 'blocking' ? 1 : 3),
      attempts: options.attempts ?? 4,
      timeoutMs: options.timeoutMs ?? 2000,
      intervalMs: options.intervalMs ?? 1000,
      synRetries: options.synRetries,
      signal: options.signal,
    });
    endAttempt();
    const verdict = last?.verdict ?? verdictOf([]);
    const result = { peer, records, attempts, lastAttempt: last ?? null, stats: stats.result(), verdict };
    results.push(result);
    options.onEvent?.({ type: 'address', result });
  }
  return {
    host: host.text,
    port: options.port,
    mode,
    backend,
    resolution,
    results,
    verdict: targetVerdict(results.map((r) => r.verdict), resolution),
    interrupted: options.signal?.aborted ?? false,
  };
}
