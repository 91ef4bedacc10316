import type { HostSpec, TargetSpec } from '../target/parse';
import type { UnixHostSpec } from '../target/unix';
import { NONE, type EngineOptions } from './engine';
import type { AddressResult, TargetResult } from './result';
import { StatsAccumulator } from './stats';
import type { Verdict, VerdictKind } from './verdict';
import type { Endpoint } from '../net/endpoint';
import type { BackendName } from '../libc/load';

/*
 * What the main thread and a shard's worker say to each other. A structured clone of a target object costs
 * about as much as probing it, so a sweep's targets and results cross in typed arrays: a target as its port and
 * the slot of its host (a chunk's hosts once each: a port sweep has one), an address host as bytes; a result as
 * the number of its verdict and its handshake time. Whatever does not fit that form (names, unix sockets, scoped
 * addresses; results with a resolution or a local end) crosses as it is.
 */

/** What a worker is started with: the engine's options that cross as data, the backend, and the accepted verdicts. */
export type ShardSetup = Pick<EngineOptions, 'plan' | 'timeoutMs' | 'synRetries' | 'tcpInfo' | 'family' | 'source' | 'concurrency' | 'retryOnce'> & {
  readonly backend: BackendName;
  readonly acceptedKinds: readonly VerdictKind[];
  readonly maxPollMs: number;
  /** The run's time base as a wall-clock time (performance.timeOrigin + the run's performance.now() origin). */
  readonly origin: number;
};

/** Contiguous targets, in the caller's order from `first` on. */
export interface TargetChunk {
  readonly first: number;
  readonly count: number;
  /** Per target: the slot of its host, and its port (-1: a unix socket's null). */
  readonly hostSlots: Int32Array;
  readonly ports: Int32Array;
  /** Per host slot: an address's text, family (4 or 6), 16 bytes and scope; or, for any other host, `others`. */
  readonly texts: (string | null)[];
  readonly families: Uint8Array;
  readonly bytes: Uint8Array;
  readonly scopes: Uint32Array;
  readonly others: [slot: number, host: HostSpec | UnixHostSpec][];
}

export type ToWorker = { readonly type: 'chunk'; readonly chunk: TargetChunk } | { readonly type: 'end' } | { readonly type: 'stop' };

/** Results of a chunk's targets, in order from `from` (an offset into the chunk). */
export interface ResultBatch {
  readonly type: 'results';
  readonly first: number;
  readonly from: number;
  /** Per target: its verdict's number (verdicts are numbered as they first appear), or -1: in `whole`. */
  readonly verdicts: Int32Array;
  /** Per target: its handshake time in ms; NaN for none. */
  readonly handshakes: Float64Array;
  readonly whole: TargetResult[];
  /** Verdicts numbered for the first time in this batch, in number order. */
  readonly newVerdicts: Verdict[];
}

export type FromWorker =
  | ResultBatch
  /** Another chunk, please (or `end`). */
  | { readonly type: 'want' }
  | { readonly type: 'done'; readonly interrupted: boolean; readonly concurrency: number };

/**
 * Where an engine's targets came from: it numbers them from 0 in the order it takes them, chunk after chunk;
 * each result is placed back in its chunk. Results come in the engine's order, so chunks behind it are dropped.
 */
export class ChunkNumbering<C extends { readonly first: number; readonly count: number }> {
  private readonly taken: { readonly local: number; readonly chunk: C }[] = [];
  private local = 0;

  took(chunk: C): void {
    this.taken.push({ local: this.local, chunk });
    this.local += chunk.count;
  }

  /** The chunk of the engine's target `index`, and the target's offset in it. */
  place(index: number): { readonly chunk: C; readonly offset: number } {
    while (index >= this.taken[0].local + this.taken[0].chunk.count) this.taken.shift();
    const { local, chunk } = this.taken[0];
    return { chunk, offset: index - local };
  }
}

/** Packs targets for a worker. */
export function encodeChunk(first: number, targets: readonly TargetSpec[]): TargetChunk {
  const count = targets.length;
  const hostSlots = new Int32Array(count);
  const ports = new Int32Array(count);
  const slotOf = new Map<object, number>();
  const hosts: (HostSpec | UnixHostSpec)[] = [];
  for (let i = 0; i < count; i++) {
    const { host, port } = targets[i];
    let slot = slotOf.get(host);
    if (slot === undefined) {
      slot = hosts.push(host) - 1;
      slotOf.set(host, slot);
    }
    hostSlots[i] = slot;
    ports[i] = port ?? -1;
  }
  const texts: (string | null)[] = new Array(hosts.length).fill(null);
  const families = new Uint8Array(hosts.length);
  const bytes = new Uint8Array(16 * hosts.length);
  const scopes = new Uint32Array(hosts.length);
  const others: TargetChunk['others'] = [];
  hosts.forEach((host, slot) => {
    if (host.kind !== 'address' || host.address.scopeName !== undefined) return void others.push([slot, host]);
    texts[slot] = host.text;
    families[slot] = host.address.family;
    bytes.set(host.address.bytes, 16 * slot);
    scopes[slot] = host.address.scopeId;
  });
  return { first, count, hostSlots, ports, texts, families, bytes, scopes, others };
}

/** A chunk's targets again, as the worker's engine takes them. */
export function* decodeChunk(chunk: TargetChunk): Generator<TargetSpec> {
  const hosts: (HostSpec | UnixHostSpec)[] = chunk.texts.map((text, slot) => {
    const family = chunk.families[slot] as 4 | 6;
    const bytes = chunk.bytes.slice(16 * slot, 16 * slot + (family === 4 ? 4 : 16));
    return { kind: 'address', text: text!, address: { family, bytes, scopeId: chunk.scopes[slot] } };
  });
  for (const [slot, host] of chunk.others) hosts[slot] = host;
  for (let i = 0; i < chunk.count; i++) {
    const host = hosts[chunk.hostSlots[i]];
    yield (host.kind === 'unix' ? { host, port: null } : { host, port: chunk.ports[i] }) as TargetSpec;
  }
}

/**
 * A result that the verdict's number and the handshake time say all of: one address (the target's own, not a
 * name's), done in one attempt, no local end; the main thread makes it again from the target (`rebuildResult`).
 */
export function isPlainResult(result: TargetResult): boolean {
  if (result.resolution !== null || result.addresses.length !== 1) return false;
  const [address] = result.addresses;
  const { verdict, stats } = address;
  return (
    verdict !== null &&
    address.status === 'done' &&
    result.verdict === verdict &&
    address.lastAnswer === verdict &&
    verdict.local === null &&
    address.attempts.length === 0 &&
    address.records.length === 0 &&
    address.packets.length === 0 &&
    stats.attempts === 1 &&
    stats.verdicts[verdict.kind] === 1 &&
    stats.minMs === address.handshakeMs
  );
}

/** What isPlainResult() let through, made again on the main thread from its target. */
export function rebuildResult(index: number, target: TargetSpec, verdict: Verdict, handshakeMs: number | null): TargetResult {
  const stats = new StatsAccumulator();
  stats.add({ verdict, handshakeMs });
  const { host } = target;
  if (host.kind === 'name') throw new Error('a name has a resolution: its result is never plain');
  const peer: Endpoint = host.kind === 'unix' ? host.endpoint : { address: host.address, port: target.port! };
  const address: AddressResult = { peer, status: 'done', verdict, lastAnswer: verdict, handshakeMs, stats: stats.result(), attempts: NONE, records: NONE, packets: NONE };
  return { index, host: target.host.text, port: target.port, resolution: null, verdict, addresses: [address] };
}
