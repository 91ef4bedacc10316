import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../libc/load';
import type { TargetSpec } from '../target/parse';
import { fdBudget, runEngine, type EngineOptions, type EngineSummary } from './engine';
import type { TargetResult } from './result';
import { ChunkNumbering, encodeChunk, rebuildResult, type FromWorker, type ResultBatch, type ShardSetup, type ToWorker } from './shard-wire';
import type { Verdict, VerdictKind } from './verdict';

/** Targets handed to a worker at a time: contiguous ports of one address do not contend in the kernel as interleaved ones do. */
const CHUNK = 4096;

/** With threads 0, a sweep smaller than this runs on the main thread alone: a worker's start costs more than it saves. */
export const SHARD_FROM = 8192;

/** Each engine's longest poll() in a sharded run: a stop reaches a worker within this, and chunks are handed out. */
const SHARD_POLL_MS = 50;

/**
 * Threads for a sweep of `count` targets (null: unknown yet): `requested`, or with 0 one per core for a big enough
 * one; never more than it has chunks, since a thread without one would hold its share of the concurrency idle.
 */
export function shardCount(requested: number, count: number | null): number {
  const wanted = requested > 0 ? requested : count !== null && count < SHARD_FROM ? 1 : availableParallelism();
  return count === null ? wanted : Math.max(1, Math.min(wanted, Math.ceil(count / CHUNK)));
}

/**
 * A run's first `SHARD_FROM` targets, read ahead to tell whether it is big enough to shard when its size is
 * unknown (a file), and the iterator that gives them again, then the rest.
 */
export function readAhead(targets: Iterator<TargetSpec>): { readonly big: boolean; readonly targets: Iterator<TargetSpec> } {
  const ahead: TargetSpec[] = [];
  let thrown: { error: unknown } | undefined;
  try {
    for (let next = targets.next(); !next.done; next = targets.next()) if (ahead.push(next.value) >= SHARD_FROM) break;
  } catch (error) {
    thrown = { error }; // told when the engine reaches it, after the targets before it
  }
  const replay = (function* () {
    yield* ahead;
    if (thrown) throw thrown.error;
    for (let next = targets.next(); !next.done; next = targets.next()) yield next.value;
  })();
  return { big: ahead.length >= SHARD_FROM, targets: replay };
}

/**
 * The threads a sweep of `targets` gets (see shardCount), and the targets to probe: a source of unknown size with
 * threads 0 is read ahead to tell whether it is big enough.
 */
export function threadsFor(requested: number, targets: Iterator<TargetSpec>, count: number | null): { readonly threads: number; readonly targets: Iterator<TargetSpec> } {
  if (requested !== 0 || count !== null) return { threads: shardCount(requested, count), targets };
  const ahead = readAhead(targets);
  return { threads: ahead.big ? shardCount(0, null) : 1, targets: ahead.targets };
}

/**
 * A chunk handed out and not yet reported: its targets, and their results as they come: whole, or (from a
 * worker) as the number of a plain result's verdict and its handshake time, made into a result when reported.
 */
interface ChunkState {
  readonly first: number;
  readonly count: number;
  readonly targets: readonly TargetSpec[];
  readonly results: (TargetResult | undefined)[];
  readonly plainVerdicts: Int32Array;
  readonly handshakes: Float64Array;
  /** The verdicts of the worker that probed it, by number. */
  verdicts: readonly Verdict[];
  /** How many results, from the first, have been reported. */
  reported: number;
}

/**
 * The engine on several threads, for a sweep whose targets alone are reported (no records, no calls): this one
 * and `threads - 1` workers. The targets are handed out in contiguous chunks to whichever engine is free (a stream
 * of unknown length shards too), each engine runs over its own Libc with its share of the concurrency, and the
 * results are reported here in the caller's order (held, as numbers where they are plain, while an earlier chunk
 * is still under way). An abort stops every engine, each closing its sockets; what they had reported is reported,
 * in order.
 */
export function runShards(o: EngineOptions, backend: BackendName, requested: number, accepts: readonly VerdictKind[]): Promise<EngineSummary> {
  const limit = Math.max(1, Math.min(o.concurrency, fdBudget(o.libc)));
  const threads = Math.min(requested, limit); // each engine has at least one handshake in flight, and no more in all
  const setup: ShardSetup = {
    backend,
    plan: o.plan,
    acceptedKinds: accepts,
    timeoutMs: o.timeoutMs,
    synRetries: o.synRetries,
    tcpInfo: o.tcpInfo,
    family: o.family,
    source: o.source,
    concurrency: Math.max(1, Math.floor(limit / threads)),
    retryOnce: o.retryOnce,
    maxPollMs: Math.min(SHARD_POLL_MS, o.maxPollMs ?? SHARD_POLL_MS),
    origin: performance.timeOrigin + o.origin,
  };
  const chunks: ChunkState[] = []; // handed out, in order
  let next = 0;
  let targetsLeft = true;
  let stoppedBy: { readonly error: unknown } | undefined;

  /** The next CHUNK targets, or none when they have run out (or the source threw: then no more are taken). */
  function takeChunk(): ChunkState | undefined {
    const targets: TargetSpec[] = [];
    while (targetsLeft && targets.length < CHUNK) {
      try {
        const item = o.targets.next();
        if (item.done) targetsLeft = false;
        else targets.push(item.value);
      } catch (error) {
        stoppedBy = { error };
        targetsLeft = false;
      }
    }
    if (targets.length === 0) return undefined;
    const count = targets.length;
    const chunk: ChunkState = {
      first: next, count, targets, results: new Array(count), plainVerdicts: new Int32Array(count).fill(-1), handshakes: new Float64Array(count), verdicts: [], reported: 0,
    };
    next += targets.length;
    chunks.push(chunk);
    return chunk;
  }

  /** The result at `offset` of a chunk, if it came back. */
  function resultAt(chunk: ChunkState, offset: number): TargetResult | undefined {
    if (offset >= chunk.count) return undefined;
    const number = chunk.plainVerdicts[offset];
    if (number < 0) return chunk.results[offset];
    const handshake = chunk.handshakes[offset];
    return rebuildResult(chunk.first + offset, chunk.targets[offset], chunk.verdicts[number], Number.isNaN(handshake) ? null : handshake);
  }

  /** Reports every result that has all the ones before it. */
  function reportInOrder(): void {
    while (chunks.length) {
      const chunk = chunks[0];
      for (let result = resultAt(chunk, chunk.reported); result; result = resultAt(chunk, chunk.reported)) {
        chunk.results[chunk.reported++] = undefined;
        o.onEvent({ type: 'target', result });
      }
      if (chunk.reported < chunk.count) return;
      chunks.shift();
    }
  }

  /**
   * At the end: what came back and was not reported yet (after an abort: past the targets that were never
   * probed, so an interrupted run's indexes can have gaps where one thread's would not).
   */
  function reportTheRest(): void {
    for (const chunk of chunks) {
      for (let offset = chunk.reported; offset < chunk.count; offset++) {
        const result = resultAt(chunk, offset);
        if (result) o.onEvent({ type: 'target', result });
      }
    }
    chunks.length = 0;
  }

  /** Aborted by the caller's signal, or when a worker failed: this thread's engine stops as the workers do. */
  const stopped = new AbortController();

  /** This thread's own engine, taking chunks as it goes. */
  function runHere(): Promise<EngineSummary> {
    const numbering = new ChunkNumbering<ChunkState>();
    function* targets(): Generator<TargetSpec> {
      for (let chunk = takeChunk(); chunk; chunk = takeChunk()) {
        numbering.took(chunk);
        yield* chunk.targets;
      }
    }
    return runEngine({
      ...o,
      targets: targets(),
      concurrency: setup.concurrency,
      maxPollMs: setup.maxPollMs,
      signal: stopped.signal,
      onEvent(event) {
        if (event.type !== 'target') return;
        const { chunk, offset } = numbering.place(event.result.index);
        chunk.results[offset] = { ...event.result, index: chunk.first + offset };
        reportInOrder();
      },
    });
  }

  return new Promise((resolve, reject) => {
    let running = threads;
    let interrupted = false;
    let concurrency = 0;
    let failure: { readonly error: unknown } | undefined;
    const workers: Worker[] = [];
    // every engine is stopped the same way, by a message to a worker (which closes its sockets and reports): a
    // terminate() could land inside an FFI call
    const stop = () => {
      targetsLeft = false;
      stopped.abort();
      for (const worker of workers) worker.postMessage({ type: 'stop' } satisfies ToWorker);
    };
    const failed = (error: unknown) => {
      failure ??= { error };
      stop();
    };
    const ended = () => {
      if (--running > 0) return;
      o.signal?.removeEventListener('abort', stop);
      if (failure) return reject(failure.error);
      reportTheRest();
      resolve({ interrupted, concurrency, ...(stoppedBy && { stoppedBy: stoppedBy.error }) });
    };
    if (o.signal?.aborted) stopped.abort();
    o.signal?.addEventListener('abort', stop, { once: true });

    for (let i = 1; i < threads; i++) {
      const worker = new Worker(join(__dirname, 'shard-worker.js'), { workerData: setup });
      workers.push(worker);
      const verdicts: Verdict[] = []; // this worker's numbering
      let done = false;
      const hand = () => {
        const chunk = stopped.signal.aborted ? undefined : takeChunk();
        worker.postMessage((chunk ? { type: 'chunk', chunk: encodeChunk(chunk.first, chunk.targets) } : { type: 'end' }) satisfies ToWorker);
      };
      worker.on('message', (message: FromWorker) => {
        try {
          switch (message.type) {
            case 'want':
              return hand();
            case 'results':
              verdicts.push(...message.newVerdicts);
              // once failed, nothing more is reported: the run rejects
              return failure ? undefined : store(message, verdicts);
            case 'done':
              done = true;
              interrupted ||= message.interrupted;
              concurrency += message.concurrency;
          }
        } catch (error) {
          failed(error); // the caller's onEvent threw: the run rejects with it, as one thread's would
        }
      });
      worker.on('error', failed);
      worker.on('exit', () => {
        if (!done) failed(new Error('a worker thread of the sweep ended before its work was done'));
        ended();
      });
    }
    runHere().then(
      (summary) => {
        interrupted ||= summary.interrupted;
        concurrency += summary.concurrency;
        ended();
      },
      (error: unknown) => {
        failed(error);
        ended();
      },
    );
  });

  function store(batch: ResultBatch, verdicts: readonly Verdict[]): void {
    const chunk = chunks.find((c) => c.first === batch.first)!;
    chunk.verdicts = verdicts;
    chunk.plainVerdicts.set(batch.verdicts, batch.from);
    chunk.handshakes.set(batch.handshakes, batch.from);
    let whole = 0;
    for (let i = 0; i < batch.verdicts.length; i++) if (batch.verdicts[i] < 0) chunk.results[batch.from + i] = batch.whole[whole++];
    reportInOrder();
  }
}
