import { constants } from 'node:os';
import { BACKENDS, type BackendName } from './libc/load';
import type { InetEndpoint } from './net/endpoint';
import type { Expectation } from './probe/expectation';
import { EXIT_CODES, type VerdictKind } from './probe/verdict';
import type { TargetSpec } from './target/parse';
import { formatSource } from './target/source-address';
import { TargetSource } from './target/source';
import type { Family } from './target/resolve';
import { quote, UsageError } from './usage';

export const MODES = ['repeat', 'poll', 'fresh', 'blocking'] as const;
/** How connect() is called on one target: see --help. */
export type Mode = (typeof MODES)[number];

export const FORMATS = ['human', 'classic', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** Every verdict --expect can name. */
export const VERDICTS = Object.keys(EXIT_CODES).filter((k) => k !== 'usage') as VerdictKind[];

/** What a caller sets, the CLI (after parsing argv) and the API alike; anything left out takes its default. */
export interface OptionsInput {
  /** A list, or a source that makes them one at a time (address ranges, a file). */
  readonly targets: readonly TargetSpec[] | TargetSource;
  readonly mode?: Mode;
  /** connect() calls on the one socket (repeat, blocking). */
  readonly repeat?: number;
  /** Attempts, each on a fresh socket (fresh). */
  readonly count?: number;
  /** How long one attempt waits for an answer. */
  readonly timeoutMs?: number;
  /** Pause between attempts (fresh, --wait). */
  readonly intervalMs?: number;
  /** Retry until every target meets the expectation, or this many ms have passed; Infinity: no deadline. */
  readonly waitMs?: number;
  /** With waitMs: each address must meet the expectation on consecutive attempts for this long (a miss restarts it). */
  readonly stableMs?: number;
  /** Handshakes in flight at once, at most (also bounded by the fd limit). */
  readonly concurrency?: number;
  /** Threads a sweep is probed on (default 1; 0: one per core for a sweep big enough to pay for them). */
  readonly threads?: number;
  readonly synRetries?: number;
  readonly family?: Family;
  /** bind() to this before connect() (port 0: the kernel picks one); targets are kept to its family. */
  readonly source?: InetEndpoint;
  readonly backend?: BackendName;
  readonly format?: Format;
  readonly explain?: boolean;
  /** Read TCP_INFO at the end of each attempt that connected or timed out (--explain does too). */
  readonly tcpInfo?: boolean;
  readonly expect?: readonly VerdictKind[];
  readonly expectSequence?: readonly string[];
  readonly any?: boolean;
  /** Line output lists only the targets that connected, and counts the rest (nmap's --open). */
  readonly open?: boolean;
  /** Start each human output line with the wall-clock time (strace -tt). */
  readonly timestamps?: boolean;
  /** Capture the probe's own packets (an AF_PACKET socket: root or CAP_NET_RAW) and show them with the calls. */
  readonly packets?: boolean;
  /** Write the probe's packets to this file, in pcap format (captures them, as `packets` does). */
  readonly pcap?: string;
}

/** A run's options, every one decided and checked. */
export interface Options {
  /** Pulled one at a time by the engine, once; its count, sweep and width are known without expanding it. */
  readonly targets: TargetSource;
  readonly mode: Mode;
  /**
   * Several targets, or --wait: every target probed at once, each attempt one connect() on a SOCK_NONBLOCK socket
   * awaited with poll(), one line per target. Otherwise one target's every call is shown, in `mode`.
   */
  readonly scan: boolean;
  readonly repeat: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** --wait's deadline, in ms from the start; Infinity: none (until met or interrupted); null: no --wait. */
  readonly waitMs: number | null;
  /** --stable's window, in ms; null: none (the wait ends on the first answer that meets the expectation). */
  readonly stableMs: number | null;
  readonly concurrency: number;
  /** 0: one per core for a sweep of SHARD_FROM targets or more (src/probe/shard.ts). */
  readonly threads: number;
  readonly synRetries: number | null;
  /** Names resolve to this family only: -4 / -6, or the family of --source. */
  readonly family: Family | null;
  readonly source: InetEndpoint | null;
  /** The backend asked for; undefined: ffi-napi where it loads, else koffi (see loadBackend). */
  readonly backend: BackendName | undefined;
  readonly format: Format;
  readonly explain: boolean;
  /** getsockopt(TCP_INFO) before close() after an attempt that connected or timed out: --tcp-info or --explain. */
  readonly tcpInfo: boolean;
  readonly expectation: Expectation;
  readonly open: boolean;
  readonly timestamps: boolean;
  /** Capture the probe's packets: --packets, or --pcap. */
  readonly packets: boolean;
  /** Where --pcap writes them; null: nowhere. */
  readonly pcap: string | null;
}

/** Every default, in one place. */
export const DEFAULTS = {
  mode: 'repeat',
  repeat: { repeat: 3, blocking: 1 },
  count: 4,
  timeoutMs: 2000,
  intervalMs: { fresh: 1000, wait: 250 },
  concurrency: 512,
  // one: on the machines measured, a loopback sweep's kernel work does not scale over threads (bench/sweep.sh)
  threads: 1,
  format: 'human',
} as const;

const MAX_MS = 2 ** 31 - 1; // poll() takes an int of milliseconds

/** Where each number may lie. */
const RANGES: { readonly [K in keyof OptionsInput]?: readonly [min: number, max: number] } = {
  repeat: [1, 1_000_000],
  count: [1, 1_000_000],
  timeoutMs: [1, MAX_MS],
  intervalMs: [0, MAX_MS],
  waitMs: [1, MAX_MS],
  stableMs: [1, MAX_MS],
  concurrency: [1, 65_536],
  threads: [0, 64],
  synRetries: [1, 127],
};

type OptionName = keyof OptionsInput;
/** How an option is named in messages: the API's own key, or the CLI's flag. */
export type OptionSpelling = (name: OptionName) => string;
const API_SPELLING: OptionSpelling = (name) => name;

/** The shape of a run, as far as deciding what each option means goes. */
interface Shape {
  readonly mode: Mode;
  readonly scan: boolean;
  readonly wait: boolean;
  readonly format: Format;
  /** Every target is a unix socket: TCP's options have nothing to act on (in a mixed run they skip unix sockets). */
  readonly unixOnly: boolean;
}

const NOT_TCP = 'every target is a unix socket, and it is TCP';

/**
 * The option x mode table: for each option that acts only in some ways of probing, why it would do nothing in
 * this one (undefined: it acts). An option that would do nothing is a usage error, never silently ignored.
 */
const DOES_NOTHING: { readonly [K in OptionName]?: (s: Shape, spell: OptionSpelling) => string | undefined } = {
  repeat: (s, spell) =>
    s.scan
      ? `several targets and ${spell('waitMs')} make one connect() per socket`
      : s.mode === 'poll' || s.mode === 'fresh'
        ? `${spell('mode')} ${s.mode} makes one connect() per socket`
        : undefined,
  count: (s, spell) =>
    s.mode === 'fresh' && !s.scan ? undefined : `only ${spell('mode')} fresh makes a set number of attempts`,
  intervalMs: (s, spell) =>
    s.wait || (s.mode === 'fresh' && !s.scan) ? undefined : `only ${spell('mode')} fresh and ${spell('waitMs')} make several attempts`,
  synRetries: (s) => (s.unixOnly ? `${NOT_TCP}'s (TCP_SYNCNT)` : undefined),
  tcpInfo: (s, spell) =>
    s.unixOnly
      ? `${NOT_TCP}'s (TCP_INFO)`
      : s.format === 'classic'
      ? `${spell('format')} classic prints what the seed program prints, and it reads no TCP_INFO`
      : s.scan && s.format === 'human'
        ? `one line per target shows no calls; ${spell('format')} json or ndjson shows them`
        : undefined,
  stableMs: (s, spell) => (s.wait ? undefined : `it is a window within ${spell('waitMs')}: give ${spell('waitMs')} too`),
  open: (s, spell) =>
    !s.scan
      ? `one target without ${spell('waitMs')} shows its calls, not a line per target`
      : s.format !== 'human'
        ? `${spell('format')} ${s.format} keeps every target, with its verdict`
        : undefined,
  timeoutMs: (s, spell) =>
    s.format === 'classic' && s.mode === 'repeat' && !s.scan
      ? `${spell('format')} classic in repeat mode never waits for an answer, as the seed program does not`
      : undefined,
  packets: (s, spell) =>
    s.unixOnly
      ? 'every target is a unix socket, and a unix socket sends no packets'
      : s.format === 'classic'
        ? `${spell('format')} classic prints what the seed program prints, and it captures nothing`
        : undefined,
  pcap: (s) => (s.unixOnly ? 'every target is a unix socket, and a unix socket sends no packets' : undefined),
  timestamps: (s, spell) =>
    s.format === 'human'
      ? undefined
      : s.format === 'classic'
        ? `${spell('format')} classic prints what the C program prints, byte for byte`
        : `${spell('format')} ${s.format} carries its own times (startedAt, and each call's startMs)`,
};

function checkRange(input: OptionsInput, name: OptionName, spell: OptionSpelling): void {
  const value = input[name];
  const range = RANGES[name];
  if (value === undefined || !range) return;
  const [min, max] = range;
  if (value === Infinity && name === 'waitMs') return; // no deadline
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${spell(name)} must be a whole number from ${min} to ${max}, not ${quote(String(value))}`);
  }
}

function checkChoice<T>(value: T | undefined, choices: readonly T[], what: string): void {
  if (value !== undefined && !choices.includes(value)) {
    throw new UsageError(`${what} must be one of ${choices.join(', ')}, not ${quote(String(value))}`);
  }
}

const ERRNO_NAMES = new Set(Object.keys(constants.errno));

function checkSequence(names: readonly string[] | undefined, spell: OptionSpelling): void {
  const bad = names?.find((n) => n !== '0' && !ERRNO_NAMES.has(n));
  if (bad !== undefined) {
    throw new UsageError(`${spell('expectSequence')} takes errno names (or 0) separated by commas, not ${quote(bad)}`);
  }
}

/** A source endpoint an API caller built by hand: checked before its bytes reach a sockaddr. */
function checkSource(source: InetEndpoint | undefined, spell: OptionSpelling): void {
  if (source === undefined) return;
  const { address, port } = source;
  const length = address?.family === 4 ? 4 : address?.family === 6 ? 16 : -1;
  if (!(address?.bytes instanceof Uint8Array) || address.bytes.length !== length || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${spell('source')} must be an IPv4 or IPv6 address and a port from 0 to 65535`);
  }
}

/** The one family targets may have: -4 / -6, or --source's (which must agree with them). */
function familyOf(input: OptionsInput, spell: OptionSpelling): Family | undefined {
  const sourceFamily = input.source?.address.family;
  if (input.family !== undefined && sourceFamily !== undefined && sourceFamily !== input.family) {
    throw new UsageError(`${spell('family')} asks for IPv${input.family}, but ${spell('source')} ${formatSource(input.source!)} is an IPv${sourceFamily} address`);
  }
  return input.family ?? sourceFamily;
}

/**
 * Decides every option: checks each value, applies the defaults, and refuses combinations where an option would
 * do nothing. Throws UsageError (one line, naming the option as `spell` writes it) before anything is probed.
 * `concurrently`: probe as several targets are (one connect() per socket, one poll()) even one target, as the
 * API's probeConcurrently does, and judge the options by that shape.
 */
export function resolveOptions(input: OptionsInput, spell: OptionSpelling = API_SPELLING, concurrently = false): Options {
  const targets = input.targets instanceof TargetSource ? input.targets : TargetSource.of(input.targets);
  if (targets.count === 0) throw new UsageError('missing target: give HOST PORT or HOST:PORT');
  for (const name of Object.keys(RANGES) as OptionName[]) checkRange(input, name, spell);
  checkChoice(input.mode, MODES, spell('mode'));
  checkChoice(input.format, FORMATS, spell('format'));
  checkChoice(input.backend, BACKENDS, spell('backend'));
  checkChoice(input.family, [4, 6] as const, spell('family'));
  input.expect?.forEach((kind) => checkChoice(kind, VERDICTS, spell('expect')));
  checkSequence(input.expectSequence, spell);
  checkSource(input.source, spell);
  const family = familyOf(input, spell);
  if (family !== undefined) {
    targets.checkHosts((host) => {
      // a unix socket binds and connects in AF_UNIX: --source's address cannot be its source (-4 / -6 leave it be)
      if (host.kind === 'unix') {
        if (input.source === undefined) return;
        throw new UsageError(`${host.text} is a unix socket: ${spell('source')} ${formatSource(input.source)} is an IP address, and a socket binds and connects in one family`);
      }
      const hostFamily = host.kind === 'range' ? host.family : host.kind === 'address' ? host.address.family : family;
      if (hostFamily !== family) {
        const why = input.family === undefined ? `, as ${spell('source')} ${formatSource(input.source!)} is: a socket binds and connects in one family` : '';
        throw new UsageError(`${host.text} is not an IPv${family} address${why}`);
      }
    });
  }

  const wait = input.waitMs !== undefined;
  const scan = concurrently || targets.many || wait;
  const format = input.format ?? DEFAULTS.format;
  const mode = input.mode ?? DEFAULTS.mode;
  if (scan && mode !== 'poll' && input.mode !== undefined) {
    throw new UsageError(`${spell('mode')} ${mode} probes one target without ${spell('waitMs')}; several targets and ${spell('waitMs')} use poll()`);
  }
  if (scan && format === 'classic') throw new UsageError(`${spell('format')} classic shows one socket: give one target, no ${spell('waitMs')}`);
  if (scan && input.explain) throw new UsageError(`${spell('explain')} follows one socket: give one target, no ${spell('waitMs')}`);
  if (input.expectSequence && (scan || (mode !== 'repeat' && mode !== 'blocking'))) {
    throw new UsageError(`${spell('expectSequence')} checks the connect() calls of repeat or blocking mode, on one target`);
  }
  const shape: Shape = { mode, scan, wait, format, unixOnly: targets.unixOnly };
  for (const [name, reason] of Object.entries(DOES_NOTHING) as [OptionName, NonNullable<(typeof DOES_NOTHING)[OptionName]>][]) {
    const why = input[name] === undefined ? undefined : reason(shape, spell);
    if (why) throw new UsageError(`${spell(name)} does nothing here: ${why}`);
  }
  if (input.source && format === 'classic') {
    throw new UsageError(`${spell('format')} classic prints what the C reference program does, and it makes no bind(): no ${spell('source')}`);
  }
  const fixedPort = input.source !== undefined && input.source.port !== 0;
  if (fixedPort && input.concurrency !== undefined && input.concurrency > 1) {
    throw new UsageError(`${spell('concurrency')} does nothing here: a fixed source port (${spell('source')} ${formatSource(input.source!)}) makes one handshake at a time`);
  }
  if (input.stableMs !== undefined && input.waitMs !== undefined && input.stableMs >= input.waitMs) {
    throw new UsageError(`${spell('stableMs')} must be shorter than ${spell('waitMs')}: the window has to fit in the wait`);
  }

  return {
    targets,
    mode,
    scan,
    repeat: input.repeat ?? input.expectSequence?.length ?? (mode === 'blocking' ? DEFAULTS.repeat.blocking : DEFAULTS.repeat.repeat),
    count: input.count ?? DEFAULTS.count,
    timeoutMs: input.timeoutMs ?? DEFAULTS.timeoutMs,
    intervalMs: input.intervalMs ?? (wait ? DEFAULTS.intervalMs.wait : DEFAULTS.intervalMs.fresh),
    waitMs: input.waitMs ?? null,
    stableMs: input.stableMs ?? null,
    concurrency: fixedPort ? 1 : input.concurrency ?? DEFAULTS.concurrency,
    threads: input.threads ?? DEFAULTS.threads,
    synRetries: input.synRetries ?? null,
    family: family ?? null,
    source: input.source ?? null,
    backend: input.backend,
    format,
    explain: input.explain ?? false,
    // --explain and --packets read the kernel's account too, wherever calls are shown
    tcpInfo: input.tcpInfo === true || ((input.explain === true || input.packets === true) && format !== 'classic' && !(scan && format === 'human')),
    expectation: {
      verdicts: input.expect ? new Set(input.expect) : undefined,
      sequence: input.expectSequence,
      any: input.any ?? false,
    },
    open: input.open ?? false,
    timestamps: input.timestamps ?? false,
    packets: input.packets === true || input.pcap !== undefined,
    pcap: input.pcap ?? null,
  };
}
