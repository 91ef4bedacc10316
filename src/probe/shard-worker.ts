import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadBackend } from '../libc/load';
import type { TargetSpec } from '../target/parse';
import { runEngine } from './engine';
import type { ProbeEvent, TargetResult } from './result';
import { ChunkNumbering, decodeChunk, isPlainResult, type FromWorker, type ShardSetup, type TargetChunk, type ToWorker } from './shard-wire';
import type { Verdict } from './verdict';

/*
 * One shard of a sweep (src/probe/shard.ts): the engine over this thread's own Libc, fed chunks of targets by the
 * main thread; results go back in batches, in the order the chunks came.
 */

/** Results are sent when this many are waiting, when a chunk's are all in, and every so often (when the engine yields). */
const BATCH = 1024;
const FLUSH_MS = 100;
/** How long the engine's pull for more targets sleeps between looks, when the main thread has not answered yet. */
const PULL_WAIT_MS = 1;

const port = parentPort as MessagePort;
const setup = workerData as ShardSetup;
const controller = new AbortController();
const queue: TargetChunk[] = [];
let ended = false;

function take(message: ToWorker): void {
  if (message.type === 'chunk') queue.push(message.chunk);
  else if (message.type === 'end') ended = true;
  else {
    ended = true;
    controller.abort();
  }
}
port.on('message', take);

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The next chunk: the engine's pull is synchronous, so it waits here for one, if the main thread is late. */
function nextChunk(): TargetChunk | undefined {
  for (;;) {
    if (queue.length) return queue.shift();
    if (ended) return undefined;
    const message = receiveMessageOnPort(port);
    if (message) take(message.message as ToWorker);
    else Atomics.wait(sleeper, 0, 0, PULL_WAIT_MS);
  }
}

const numbering = new ChunkNumbering<TargetChunk>();

function* targets(): Generator<TargetSpec> {
  for (let chunk = nextChunk(); chunk; chunk = nextChunk()) {
    numbering.took(chunk);
    send({ type: 'want' }); // one waiting while this one is probed: no wait for the main thread between chunks
    yield* decodeChunk(chunk);
  }
}

function send(message: FromWorker): void {
  port.postMessage(message);
}

// --- results, batched ------------------------------------------------------------------------------------------

/** By what they say: each attempt makes its own verdict object, and a sweep's say one of a few things. */
const verdictNumbers = new Map<string, number>();
let newVerdicts: Verdict[] = [];
let batch: { first: number; from: number; verdicts: number[]; handshakes: number[]; whole: TargetResult[] } | null = null;

function flush(): void {
  if (!batch) return;
  const { first, from, verdicts, handshakes, whole } = batch;
  send({ type: 'results', first, from, verdicts: Int32Array.from(verdicts), handshakes: Float64Array.from(handshakes), whole, newVerdicts });
  batch = null;
  newVerdicts = [];
}

/** A target's result, numbered as the caller numbers it, into the batch of its chunk. */
function add(result: TargetResult): void {
  const { chunk, offset } = numbering.place(result.index);
  if (batch && batch.first !== chunk.first) flush();
  batch ??= { first: chunk.first, from: offset, verdicts: [], handshakes: [], whole: [] };
  if (isPlainResult(result)) {
    const verdict = result.verdict!;
    const key = `${verdict.kind} ${verdict.errnoName} ${verdict.failedCall}`; // no local end: a plain result has none
    let number = verdictNumbers.get(key);
    if (number === undefined) {
      number = verdictNumbers.size;
      verdictNumbers.set(key, number);
      newVerdicts.push(verdict);
    }
    batch.verdicts.push(number);
    batch.handshakes.push(result.addresses[0].handshakeMs ?? NaN);
  } else {
    batch.verdicts.push(-1);
    batch.handshakes.push(NaN);
    batch.whole.push({ ...result, index: chunk.first + offset });
  }
  if (batch.verdicts.length >= BATCH || offset === chunk.count - 1) flush();
}

async function main(): Promise<void> {
  const { libc } = loadBackend(setup.backend);
  send({ type: 'want' }); // asked only once ready: until then the main thread's engine takes them
  const accepted = new Set(setup.acceptedKinds);
  const flusher = setInterval(flush, FLUSH_MS);
  const summary = await runEngine({
    targets: targets(),
    libc,
    plan: setup.plan,
    policy: { kind: 'once' },
    accepts: (kind) => accepted.has(kind),
    timeoutMs: setup.timeoutMs,
    synRetries: setup.synRetries,
    tcpInfo: setup.tcpInfo,
    family: setup.family,
    source: setup.source,
    concurrency: setup.concurrency,
    sequential: false,
    retryOnce: setup.retryOnce,
    maxPollMs: setup.maxPollMs,
    keepRecords: false,
    emitCalls: false,
    signal: controller.signal,
    onEvent: (event: ProbeEvent) => {
      if (event.type === 'target') add(event.result);
    },
    origin: setup.origin - performance.timeOrigin, // the run's time base, in this thread's performance.now()
    packets: null,
  });
  clearInterval(flusher);
  flush();
  send({ type: 'done', interrupted: summary.interrupted, concurrency: summary.concurrency });
  port.off('message', take);
  port.close();
}

void main();
