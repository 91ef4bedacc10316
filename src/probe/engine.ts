import { readdirSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { C } from '../libc/constants';
import { E } from '../libc/errno';
import type { Libc, SysResult } from '../libc/libc';
import { isUnix, type Endpoint, type InetEndpoint } from '../net/endpoint';
import type { TargetSpec } from '../target/parse';
import { Resolver, type Family, type Resolution } from '../target/resolve';
import type { Plan } from './plan';
import { attemptDeadline, nextAttempt, type Policy, type PolicyProgress } from './policy';
import type { Capture, CapturedPacket, CaptureTotals } from '../packet/capture';
import type { PacketCapture } from '../packet/socket';
import type { CallRecord, PacketRecord } from './record';
import type { AddressResult, AddressStatus, AttemptResult, PacketSeen, ProbeEvent, TargetResult } from './result';
import { StatsAccumulator } from './stats';
import { Tracer } from './trace';
import { targetVerdict, VerdictFold, type Verdict, type VerdictKind } from './verdict';

export interface EngineOptions {
  /**
   * Pulled one at a time, as slots free up: a long list is never expanded into jobs up front. If it throws (a
   * bad line in a targets file), no more are admitted, those admitted are finished, and the summary says why.
   */
  readonly targets: Iterator<TargetSpec>;
  readonly libc: Libc;
  readonly plan: Plan;
  readonly policy: Policy;
  /** Which verdicts count as met (--expect; by default connected): a target's verdict never hides an unmet address. */
  readonly accepts: (kind: VerdictKind) => boolean;
  readonly timeoutMs: number;
  readonly synRetries: number | null;
  /** getsockopt(TCP_INFO) before closing an attempt that connected or got no answer (the kernel's account of it). */
  readonly tcpInfo: boolean;
  readonly family: Family | null;
  /** bind() every socket to this before connect() (--source); a fixed port gets SO_REUSEADDR first. */
  readonly source: InetEndpoint | null;
  /** Attempts awaiting an answer at once, at most (the fd budget may lower it). */
  readonly concurrency: number;
  /** One address at a time, in order, so that a trace of one target reads top to bottom. */
  readonly sequential: boolean;
  /**
   * A self-connect (no listener; the kernel picked the target port as source port), or a TCP connect() that said
   * EAGAIN (no room for another connection just then: a passing squeeze in a big sweep), is tried once more.
   */
  readonly retryOnce: boolean;
  /** The longest a poll() may block, so that a live display gets its turns; null: until the nearest deadline. */
  readonly maxPollMs: number | null;
  /** Keep every record and attempt in the address results (a JSON document needs them; a stream does not). */
  readonly keepRecords: boolean;
  /** Emit a `call` event per libc call (a quiet or line-per-target run skips that work). */
  readonly emitCalls: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent: (event: ProbeEvent) => void;
  /** performance.now() when the run started: the time base of every record. */
  readonly origin: number;
  /** --packets: the capture socket, opened already (and --pcap's file); the engine reads and closes them. */
  readonly packets: PacketCapture | null;
}

export interface EngineSummary {
  readonly interrupted: boolean;
  /** Attempts actually allowed in flight at once (the fd limit may lower --concurrency). */
  readonly concurrency: number;
  /** What the targets' iterator threw, which ended the run early; undefined when it ran out as it should. */
  readonly stoppedBy?: unknown;
  /** --packets: the probe's packets seen, and what the kernel dropped. */
  readonly capture?: CaptureTotals;
}

/** One socket's life: its answer so far, its fd while open, and when the answer came. */
class Attempt {
  /** The answer so far, folded call by call. */
  readonly verdict = new VerdictFold();
  fd = -1;
  /** Stopped by an abort before its calls were all made: it has no verdict. */
  cutShort = false;
  /** Date.now() times at which it was parked to await its answer, and at which that wait stops. */
  parkedAt = 0;
  deadline = Infinity;
  polled = false;
  connectStartMs = NaN;
  answeredAtMs: number | null = null;

  constructor(readonly job: Job, readonly number: number) {}

  /** A connect() or SO_ERROR gave the answer (connected, refused, ...), so no wait is needed. */
  get settled(): boolean {
    return this.verdict.answer !== undefined;
  }

  get connected(): boolean {
    return this.verdict.answer === 'connected';
  }
}

/** One address of a target, tried as its policy says. */
class Job implements PolicyProgress {
  status: AddressStatus | 'pending' | 'running' = 'pending';
  attemptsMade = 0;
  finalAttemptMade = false;
  stableSince: number | null = null;
  retried = false;
  readyAt = 0;
  inFlight: Attempt | null = null;
  verdict: Verdict | null = null;
  lastAnswer: Verdict | null = null;
  handshakeMs: number | null = null;
  /** Made when the first attempt concludes: nothing but what a handshake needs lives while it is in flight. */
  stats: StatsAccumulator | null = null;
  /** The result once reported (an address event), so that its target reuses it: a sweep allocates it once. */
  reported: AddressResult | null = null;

  constructor(
    readonly target: TargetState,
    readonly peer: Endpoint,
    /** Kept only when records are (shared empty arrays otherwise: a sweep makes none per address). */
    readonly attempts: AttemptResult[],
    readonly records: CallRecord[],
    readonly packets: PacketRecord[],
  ) {}

  get ended(): boolean {
    return this.status === 'done' || this.status === 'abandoned' || this.status === 'interrupted';
  }

  result(): AddressResult {
    return {
      peer: this.peer,
      status: this.status === 'pending' || this.status === 'running' ? 'interrupted' : this.status,
      verdict: this.verdict,
      lastAnswer: this.lastAnswer,
      handshakeMs: this.verdict?.kind === 'timeout' ? null : this.handshakeMs,
      stats: (this.stats ?? new StatsAccumulator()).result(),
      attempts: this.attempts,
      records: this.records,
      packets: this.packets,
    };
  }
}

interface TargetState {
  readonly index: number;
  readonly spec: TargetSpec;
  resolution: Resolution | null;
  jobs: Job[];
  /** Date.now() time of the next lookup of a name that did not resolve yet (--wait). */
  resolveAt: number;
  result: TargetResult | null;
}

/** fds the process may still open, keeping a reserve for Node itself (stdout, DNS, timers). */
export function fdBudget(libc: Libc): number {
  const RESERVE = 32;
  const limit = libc.getrlimit(C.RLIMIT_NOFILE);
  const soft = limit.ret === 0 ? limit.soft : 1024;
  try {
    return soft - readdirSync('/proc/self/fd').length - RESERVE;
  } catch {
    return 1; // the table is full already (EMFILE): one socket at a time, and socket() will say why
  }
}

/** Never written: what an address keeps of its records and attempts when they are not kept. */
export const NONE: never[] = [];

/** Attempts started in one go before the event loop gets a turn (signals, output). */
const STARTS_PER_TURN = 512;

/**
 * The probing engine, for one target and for many: it admits targets as slots free up, resolves names, runs each
 * attempt's calls as its plan says, parks attempts that await an answer and waits for all of them in one poll()
 * (the only poll() connprobe makes), finishes them, and asks each address's policy what comes next. Events come
 * out as they happen; targets in the caller's order. Every socket it opens, it closes, aborted or not.
 */
export function runEngine(options: EngineOptions): Promise<EngineSummary> {
  return new Engine(options).run();
}

class Engine {
  private readonly tracer: Tracer<Attempt>;
  private readonly capture: Capture<Attempt> | null;
  private readonly resolver: Resolver;
  private readonly open = new Map<number, TargetState>(); // admitted and not yet reported, by index
  private admitted = 0;
  private reported = 0;
  private targetsLeft = true;
  private stoppedBy: { readonly error: unknown } | undefined;
  private readonly pending: Job[] = []; // never started, in order
  private readonly scheduled: Job[] = []; // their next attempt at readyAt, soonest first
  private readonly unresolved: TargetState[] = []; // names to look up again at resolveAt, soonest first
  private readonly parked = new Map<number, Attempt>(); // fd -> attempt awaiting its answer
  private readonly emittedResolutions = new WeakSet<Resolution>();
  private resolving = 0;
  private activeJobs = 0;
  private limit = 1;
  private finished = false;
  private wake: (() => void) | null = null;

  constructor(private readonly o: EngineOptions) {
    const wantsRecords = o.keepRecords || o.emitCalls;
    this.capture = o.packets ? packetReader(o.packets, o.libc, o.origin, wantsRecords) : null;
    const sink = wantsRecords ? (owner: Attempt | null, record: CallRecord, packets: readonly CapturedPacket<Attempt>[]) => this.onRecord(owner, record, packets) : null;
    this.tracer = new Tracer<Attempt>(o.libc, sink, o.origin, this.capture);
    this.resolver = new Resolver(o.family, o.origin);
  }

  private get aborted(): boolean {
    return this.o.signal?.aborted ?? false;
  }

  async run(): Promise<EngineSummary> {
    this.limit = this.o.concurrency === 1 ? 1 : Math.max(1, Math.min(this.o.concurrency, fdBudget(this.o.libc)));
    while (!this.aborted) {
      await this.startDue();
      if (this.aborted) break;
      if (this.parked.size > 0) {
        this.pollParked();
        // a signal taken by another of the process's threads does not interrupt poll(): its handler runs now,
        // before any wait that ran out is called a timeout (it was an interruption)
        await yieldToEventLoop();
        if (!this.aborted) this.expireParked();
        continue;
      }
      const wakeAt = this.nextStart();
      if (wakeAt === null && this.resolving === 0) break; // nothing parked, scheduled or being looked up: done
      await this.sleepUntil(wakeAt);
    }
    if (this.aborted) this.interrupt();
    this.finished = true;
    const capture = this.capture?.finish();
    return { interrupted: this.aborted, concurrency: this.limit, ...(this.stoppedBy && { stoppedBy: this.stoppedBy.error }), ...(capture && { capture }) };
  }

  private onRecord(owner: Attempt | null, record: CallRecord, packets: readonly CapturedPacket<Attempt>[]): void {
    // one attempt of an address is in flight at a time: its records go straight to the address, in order
    if (owner && this.o.keepRecords) owner.job.records.push(record);
    if (this.o.keepRecords) for (const { owner: of, packet } of packets) of.job.packets.push(packet);
    if (this.o.emitCalls) {
      const seen = packets.length === 0 ? NONE : packets.map(({ owner: of, packet }): PacketSeen => ({ target: of.job.target.index, peer: of.job.peer, packet }));
      this.o.onEvent({ type: 'call', target: owner ? owner.job.target.index : null, peer: owner ? owner.job.peer : null, record, packets: seen });
    }
  }

  // --- admitting targets and jobs -------------------------------------------------------------------------------

  /** Starts every attempt that is due, while slots are free. */
  private async startDue(): Promise<void> {
    for (let started = 0; !this.aborted; started++) {
      if (started > 0 && started % STARTS_PER_TURN === 0) await yieldToEventLoop();
      const now = Date.now();
      while (this.unresolved.length && this.unresolved[0].resolveAt <= now) this.lookUp(this.unresolved.shift()!);
      if (this.parked.size >= this.limit) return;
      const job = this.scheduled.length && this.scheduled[0].readyAt <= now ? this.scheduled.shift()! : this.takePending();
      if (!job) return;
      const starting = this.startAttempt(job);
      const outcome = starting instanceof Promise ? await starting : starting; // only a blocking plan awaits
      if (outcome === 'no-fd') {
        if (job.status === 'pending') this.pending.unshift(job);
        else this.scheduled.unshift(job);
        return;
      }
    }
  }

  private takePending(): Job | undefined {
    if (this.o.sequential && this.activeJobs > 0) return undefined;
    while (this.pending.length === 0 && this.admitTarget());
    return this.pending.shift();
  }

  /** Admits the next target, if any (and if not too many lookups are under way); false when none was admitted. */
  private admitTarget(): boolean {
    if (!this.targetsLeft || this.resolving >= this.limit) return false;
    let next: IteratorResult<TargetSpec>;
    try {
      next = this.o.targets.next();
    } catch (error) {
      this.stoppedBy = { error };
      next = { done: true, value: undefined };
    }
    if (next.done) {
      this.targetsLeft = false;
      return false;
    }
    const spec = next.value;
    const target: TargetState = { index: this.admitted++, spec, resolution: null, jobs: [], resolveAt: 0, result: null };
    this.open.set(target.index, target);
    if (spec.host.kind === 'address') this.addJobs(target, [spec.host.address]);
    else if (spec.host.kind === 'unix') this.addJob(target, spec.host.endpoint); // a path: nothing to resolve
    else this.lookUp(target);
    return true;
  }

  private addJobs(target: TargetState, addresses: Resolution['addresses']): void {
    const { port } = target.spec;
    if (port === null) return; // a unix target has its one job already
    for (const address of addresses) this.addJob(target, { address, port });
  }

  private addJob(target: TargetState, peer: Endpoint): void {
    const keep = this.o.keepRecords;
    const job = new Job(target, peer, keep ? [] : NONE, keep ? [] : NONE, keep && this.capture ? [] : NONE);
    target.jobs.push(job);
    this.pending.push(job);
  }

  private lookUp(target: TargetState): void {
    this.resolving++;
    void this.resolver.resolve(target.spec.host.text).then((resolution) => {
      this.resolving--;
      if (this.finished || this.aborted) return;
      target.resolution = resolution;
      if (!this.emittedResolutions.has(resolution)) {
        this.emittedResolutions.add(resolution); // a name many targets share is shown once per lookup
        this.o.onEvent({ type: 'resolution', target: target.index, resolution });
      }
      const { policy } = this.o;
      if (resolution.addresses.length > 0) {
        this.addJobs(target, resolution.addresses);
      } else if (policy.kind === 'until' && Date.now() + policy.intervalMs < policy.deadline) {
        target.resolveAt = Date.now() + policy.intervalMs; // not yet: a service that appears while we wait
        insertBy(this.unresolved, target, (t) => t.resolveAt);
      } else {
        this.settle(target);
      }
      this.wake?.();
    });
  }

  // --- one attempt ----------------------------------------------------------------------------------------------

  /** socket(), set-up and the plan's connect() calls; the attempt is then parked, or finished. */
  private startAttempt(job: Job): 'parked' | 'finished' | 'no-fd' | Promise<'finished'> {
    const { plan } = this.o;
    const attempt = new Attempt(job, job.attemptsMade + 1);
    const socket = this.tracer.socket(attempt, job.peer, plan.setup === 'sock-nonblock');
    if (socket.ret === -1 && (socket.errno === E.EMFILE || socket.errno === E.ENFILE) && this.parked.size > 0) {
      this.limit = this.parked.size; // the fd limit is tighter than counted: never exceed what is in flight now
      return 'no-fd';
    }
    if (job.status === 'pending') this.activeJobs++;
    job.status = 'running';
    job.inFlight = attempt;
    if (socket.ret === -1) {
      this.conclude(attempt);
      return 'finished';
    }
    attempt.fd = socket.ret;
    if (!this.setUp(attempt)) {
      this.endAttempt(attempt);
      return 'finished';
    }
    if (plan.blocks) return this.connectBlocking(attempt);
    for (let i = 0; i < plan.connects; i++) this.connect(attempt);
    if (!attempt.settled && plan.awaitAnswer !== 'never') {
      attempt.parkedAt = Date.now();
      attempt.deadline = plan.awaitAnswer === 'glance' ? attempt.parkedAt : attemptDeadline(this.o.policy, attempt.parkedAt, this.o.timeoutMs);
      this.parked.set(attempt.fd, attempt);
      return 'parked';
    }
    this.endAttempt(attempt);
    return 'finished';
  }

  private setUp(attempt: Attempt): boolean {
    const { fd } = attempt;
    switch (this.o.plan.setup) {
      case 'fcntl': {
        const flags = this.tracer.fcntlGetFlags(attempt, fd);
        if (!ok(flags) || !ok(this.tracer.fcntlSetFlags(attempt, fd, flags.ret | C.O_NONBLOCK))) return false;
        break;
      }
      case 'send-timeout':
        if (!ok(this.tracer.setSendTimeout(attempt, fd, this.o.timeoutMs))) return false;
        break;
      case 'sock-nonblock':
        break;
    }
    // TCP_SYNCNT is TCP's: skipped on a unix socket (a run of unix targets only refuses --syn-retries)
    if (this.o.synRetries !== null && !isUnix(attempt.job.peer) && !ok(this.tracer.setSynCount(attempt, fd, this.o.synRetries))) return false;
    return this.o.source === null || this.bindSource(attempt);
  }

  /**
   * bind() to --source. A fixed port gets SO_REUSEADDR first: this run's own earlier connection from that port,
   * in TIME_WAIT for a minute after close(), would otherwise refuse every later bind() with EADDRINUSE.
   */
  private bindSource(attempt: Attempt): boolean {
    const source = this.o.source!;
    if (source.port !== 0 && !ok(this.tracer.setReuseAddress(attempt, attempt.fd))) return false;
    return ok(this.tracer.bind(attempt, attempt.fd, source));
  }

  /** connect(), timed: the handshake starts with the first call and is answered by the first that settles it. */
  private connect(attempt: Attempt): void {
    const settledBefore = attempt.settled;
    this.tracer.connect(attempt, attempt.fd, attempt.job.peer);
    const { lastStartMs, lastDurationUs } = this.tracer;
    if (Number.isNaN(attempt.connectStartMs)) attempt.connectStartMs = lastStartMs;
    if (!settledBefore && attempt.settled) attempt.answeredAtMs = lastStartMs + lastDurationUs / 1000;
  }

  /** A blocking socket: each connect() waits itself; the event loop gets a turn between calls (a signal may stop them). */
  private async connectBlocking(attempt: Attempt): Promise<'finished'> {
    for (let i = 0; i < this.o.plan.connects; i++) {
      if (this.aborted) {
        attempt.cutShort = true;
        break;
      }
      this.connect(attempt);
      await yieldToEventLoop();
    }
    if (this.aborted) attempt.cutShort = true; // interrupted during the last call: its answer may be EINTR's
    this.endAttempt(attempt);
    return 'finished';
  }

  /** One poll() over every parked attempt, up to the nearest deadline or start; whatever it reported is finished. */
  private pollParked(): void {
    const fds = [...this.parked.keys()];
    const owner = fds.length === 1 ? this.parked.get(fds[0])! : null; // a poll for one attempt is that attempt's call
    // an attempt's first wait is its whole timeout, as man 2 connect's poll() would be given
    const now = owner && !owner.polled ? owner.parkedAt : Date.now();
    if (owner) owner.polled = true;
    let wakeAt = Infinity;
    for (const attempt of this.parked.values()) wakeAt = Math.min(wakeAt, attempt.deadline);
    if (this.parked.size < this.limit) wakeAt = Math.min(wakeAt, this.nextStart() ?? Infinity);
    let timeoutMs = Math.max(0, wakeAt - now);
    if (this.o.maxPollMs !== null) timeoutMs = Math.min(timeoutMs, this.o.maxPollMs);
    if (this.resolving > 0) timeoutMs = Math.min(timeoutMs, 5); // a lookup's answer is waiting for the event loop
    const polled = this.tracer.poll(owner, fds, timeoutMs);
    const answeredAtMs = this.tracer.elapsedMs();
    if (polled.ret > 0) {
      for (let i = 0; i < fds.length; i++) {
        if (polled.revents[i] === 0) continue;
        const attempt = this.parked.get(fds[i])!;
        this.parked.delete(attempt.fd);
        attempt.answeredAtMs = answeredAtMs;
        this.tracer.socketError(attempt, attempt.fd);
        this.endAttempt(attempt);
      }
    }
  }

  /** Finishes the parked attempts whose wait has run out. */
  private expireParked(): void {
    // poll() rounds its timeout up; a deadline within a millisecond of now has been waited for
    const expired = Date.now() + 1;
    for (const attempt of [...this.parked.values()]) {
      if (attempt.deadline > expired) continue;
      this.parked.delete(attempt.fd);
      this.endAttempt(attempt);
    }
  }

  /**
   * getsockname() if it connected (the only way to tell a connection from a self-connect), TCP_INFO if asked and
   * there was a handshake to tell of (connected, unanswered, or ETIMEDOUT), then close().
   */
  private endAttempt(attempt: Attempt): void {
    if (!this.aborted) {
      if (attempt.connected) this.tracer.getsockname(attempt, attempt.fd);
      const { answer } = attempt.verdict;
      // TCP_INFO is TCP's: a unix socket has no handshake to account for
      const told = answer === undefined || answer === 'connected' || answer === 'timeout';
      if (this.o.tcpInfo && told && !isUnix(attempt.job.peer)) this.tracer.tcpInfo(attempt, attempt.fd);
    }
    this.tracer.close(attempt, attempt.fd);
    this.conclude(attempt);
  }

  /** The attempt's verdict, and what its address does next. */
  private conclude(attempt: Attempt): void {
    const { job } = attempt;
    job.inFlight = null;
    if (attempt.cutShort) return this.endJob(job, 'interrupted', null);
    const verdict = attempt.verdict.verdict();
    const answered = verdict.kind !== 'timeout' && verdict.kind !== 'local-error' && attempt.answeredAtMs !== null;
    const result: AttemptResult = { attempt: attempt.number, verdict, handshakeMs: answered ? attempt.answeredAtMs! - attempt.connectStartMs : null };
    this.o.onEvent({ type: 'attempt', target: job.target.index, peer: job.peer, attempt: result });
    job.lastAnswer = verdict;
    if (this.o.retryOnce && !job.retried && worthRetrying(verdict)) {
      job.retried = true; // once, on a fresh socket, under the same attempt number
      return this.schedule(job, Date.now());
    }
    job.retried = false;
    job.attemptsMade++;
    (job.stats ??= new StatsAccumulator()).add(result);
    if (this.o.keepRecords) job.attempts.push(result);
    if (result.handshakeMs !== null) job.handshakeMs = result.handshakeMs;
    const next = nextAttempt(this.o.policy, job, verdict.kind, Date.now());
    if (next.kind === 'again') return this.aborted ? this.endJob(job, 'interrupted', null) : this.schedule(job, next.at);
    // a wait that ran out: timed out, still naming the last answer's errno
    this.endJob(job, 'done', next.kind === 'gave-up' ? { ...verdict, kind: 'timeout', local: null } : verdict);
  }

  private schedule(job: Job, at: number): void {
    job.readyAt = at;
    insertBy(this.scheduled, job, (j) => j.readyAt);
  }

  private endJob(job: Job, status: AddressStatus, verdict: Verdict | null): void {
    if (job.status === 'running') this.activeJobs--;
    job.status = status;
    job.verdict = verdict;
    this.report(job);
    this.settleIfDone(job.target);
  }

  // --- targets ----------------------------------------------------------------------------------------------------

  /**
   * A target is settled once each address is; while waiting, as soon as one address connected (if that is what
   * is expected): the attempts still under way on its other addresses are then closed and reported abandoned.
   */
  private settleIfDone(target: TargetState): void {
    if (target.result) return;
    const { policy } = this.o;
    const connected = target.jobs.some((j) => j.verdict?.kind === 'connected');
    if (policy.kind === 'until' && connected && policy.accepts('connected')) {
      for (const job of target.jobs) if (!job.ended) this.abandon(job);
    }
    if (target.jobs.every((j) => j.ended)) this.settle(target);
  }

  private abandon(job: Job): void {
    const attempt = job.inFlight;
    if (attempt) {
      this.parked.delete(attempt.fd);
      this.tracer.close(attempt, attempt.fd);
        job.inFlight = null;
    }
    remove(this.scheduled, job);
    remove(this.pending, job);
    if (job.status === 'running') this.activeJobs--;
    job.status = 'abandoned';
    this.report(job);
  }

  private report(job: Job): void {
    job.reported = job.result();
    this.o.onEvent({ type: 'address', target: job.target.index, result: job.reported });
  }

  /** Its result, reported in order; `cut` when an abort came before it had any address to try. */
  private settle(target: TargetState, cut = false): void {
    const addresses: AddressResult[] = [];
    const verdicts: Verdict[] = [];
    let interrupted = cut;
    for (const job of target.jobs) {
      const address = job.reported ?? job.result();
      addresses.push(address);
      if (address.verdict) verdicts.push(address.verdict);
      interrupted ||= address.status === 'interrupted';
    }
    target.result = {
      index: target.index,
      host: target.spec.host.text,
      port: target.spec.port,
      resolution: target.resolution,
      verdict: interrupted ? null : targetVerdict(verdicts, target.resolution, this.o.accepts),
      addresses,
    };
    this.reportInOrder();
  }

  /** Reports settled targets in the caller's order. */
  private reportInOrder(): void {
    for (let target = this.open.get(this.reported); target?.result; target = this.open.get(this.reported)) {
      this.open.delete(this.reported++);
      this.o.onEvent({ type: 'target', result: target.result });
    }
  }

  /** Aborted: every open socket is closed, every unsettled address and target reported as interrupted. */
  private interrupt(): void {
    for (const attempt of this.parked.values()) {
      this.tracer.close(attempt, attempt.fd);
      attempt.cutShort = true;
      this.conclude(attempt);
    }
    this.parked.clear();
    for (const target of [...this.open.values()]) {
      for (const job of target.jobs) if (!job.ended) this.endJob(job, 'interrupted', null);
      if (!target.result) this.settle(target, true);
    }
  }

  // --- time -------------------------------------------------------------------------------------------------------

  /** The Date.now() time of the next scheduled start or lookup; null if none is scheduled. */
  private nextStart(): number | null {
    const start = this.scheduled.length ? this.scheduled[0].readyAt : Infinity;
    const lookUp = this.unresolved.length ? this.unresolved[0].resolveAt : Infinity;
    const next = Math.min(start, lookUp);
    return next === Infinity ? null : next;
  }

  /** Sleeps until `at` (or, with null, until woken), a lookup's answer or an abort, whichever comes first. */
  private sleepUntil(at: number | null): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.o.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = at === null ? undefined : setTimeout(done, Math.max(0, at - Date.now()));
      this.wake = done;
      this.o.signal?.addEventListener('abort', done, { once: true });
    });
  }
}

const ok = (result: SysResult) => result.ret !== -1;

/** The capture's reader, loaded only for --packets: start-up pays for what a run uses. */
function packetReader(packets: PacketCapture, libc: Libc, origin: number, keep: boolean): Capture<Attempt> {
  const { Capture } = require('../packet/capture') as typeof import('../packet/capture');
  return new Capture<Attempt>(packets.socket, libc, origin, packets.pcap, keep);
}

/** A verdict that says more about this instant than about the peer (see EngineOptions.retryOnce). */
const worthRetrying = (verdict: Verdict) =>
  verdict.kind === 'self-connect' || (verdict.kind === 'local-error' && verdict.failedCall === 'connect' && verdict.errnoName === 'EAGAIN');

/** Inserts into a list kept sorted by key, after any equal keys (first come, first served). */
function insertBy<T>(list: T[], item: T, key: (item: T) => number): void {
  let i = list.length;
  while (i > 0 && key(list[i - 1]) > key(item)) i--;
  list.splice(i, 0, item);
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
