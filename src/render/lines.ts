import { formatEndpointHost, formatHostPort } from '../net/endpoint';
import { targetMeets, type Expectation } from '../probe/expectation';
import type { AddressResult, TargetResult } from '../probe/result';
import type { VerdictKind } from '../probe/verdict';
import type { TargetSource } from '../target/source';
import { thousands } from '../usage';
import { formatCaptureTotals } from './packet';
import type { Palette } from './palette';
import type { Output, Sink } from './sink';

const LABELS: Readonly<Record<VerdictKind, string>> = {
  connected: 'connected',
  refused: 'refused',
  timeout: 'timed out',
  unreachable: 'unreachable',
  unresolved: 'unresolved',
  'local-error': 'local error',
  'self-connect': 'self-connect',
};

/** Above this many targets, refused ones are counted rather than listed (a port sweep is mostly refusals). */
export const LIST_REFUSED_UP_TO = 64;

/** The name column's width at most; and where the names are unknown until read (a file), one IPv4 `HOST:PORT`. */
const MAX_WIDTH = 48;
const UNKNOWN_WIDTH = '255.255.255.255:65535'.length;

const attempts = (n: number) => (n === 1 ? '1 attempt' : `${n} attempts`);

/** A duration as the command line writes it: `250ms`, `2s`, `1.5s`, `1m`, `1h`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

/** --stable's window, and whether a target met the expectation (so that its line may say it held that long). */
export interface StableWindow {
  readonly ms: number;
  readonly expectation: Expectation;
}

/** An address that did not decide the target: its verdict, or for an abandoned one the last answer it was told. */
function formatOtherAddress(address: AddressResult): string {
  const kind = address.verdict?.kind ?? address.lastAnswer?.kind;
  const said = kind ? LABELS[kind] : 'no answer yet';
  return `${formatEndpointHost(address.peer)} ${address.status === 'done' ? said : `${address.status}, last ${said}`}`;
}

/**
 * One line per target: `127.0.0.1:5432  connected  0.214 ms`, with the address it went to for a name, the errno
 * for a failure (with --wait, the last one), and the attempts made when it was waited for (with --stable, and
 * met: `after 9 attempts (stable 2s)`).
 */
export function formatTargetLine(target: TargetResult, palette: Palette, width: number, stable?: StableWindow): string {
  const name = formatHostPort(target.host, target.port).padEnd(width);
  if (!target.verdict) {
    const tried = target.addresses.filter((a) => a.stats.attempts > 0);
    const n = tried.reduce((sum, a) => sum + a.stats.attempts, 0);
    const last = tried.map((a) => a.lastAnswer?.errnoName ?? a.lastAnswer?.kind).find(Boolean);
    const seen = n ? `  after ${attempts(n)}${last ? `, last ${last}` : ''}` : '';
    return `${name}  ${palette.warn('interrupted')}${seen}`;
  }
  const kind = target.verdict.kind;
  const colour = kind === 'connected' ? palette.good : kind === 'timeout' || kind === 'self-connect' ? palette.warn : palette.bad;
  const details: string[] = [];
  const chosen = target.addresses.find((a) => a.verdict === target.verdict) ?? target.addresses[0];
  if (target.resolution?.error) details.push(target.resolution.error);
  if (chosen) {
    if (target.resolution) details.push(`via ${formatEndpointHost(chosen.peer)}`);
    const n = chosen.stats.attempts;
    const last = chosen.lastAnswer;
    if (kind === 'timeout' && n > 1 && last) details.push(`last ${last.errnoName ?? LABELS[last.kind]}`);
    else if (chosen.verdict?.errnoName) {
      const { failedCall, errnoName } = chosen.verdict;
      details.push(failedCall ? `${failedCall}() ${errnoName}` : errnoName); // a local error names its call: bind() EADDRINUSE
    }
    if (chosen.handshakeMs !== null) details.push(`${chosen.handshakeMs.toFixed(3)} ms`);
    const held = stable && targetMeets(target, stable.expectation) ? ` (stable ${formatDuration(stable.ms)})` : '';
    if (n > 1) details.push(`after ${attempts(n)}${held}`);
  }
  const others = target.addresses.filter((a) => a !== chosen).map(formatOtherAddress);
  if (others.length) details.push(`(${others.join(', ')})`);
  return `${name}  ${colour(LABELS[kind].padEnd(12))} ${details.join('  ')}`.trimEnd();
}

/**
 * The live line a --wait shows on a terminal (stderr): what it waits for, for how long, and the last errno.
 * Rewritten in place; cleared before anything else is printed.
 */
export function progressLine(waiting: readonly string[], elapsedMs: number, lastErrno: string | null, done: number, total: number): string {
  const shown = waiting.slice(0, 3).join(', ') + (waiting.length > 3 ? ` +${waiting.length - 3}` : '');
  const errno = lastErrno ? `, last ${lastErrno}` : '';
  return `waiting ${(elapsedMs / 1000).toFixed(1)}s for ${shown} (${done}/${total} ready${errno})`;
}

/** How often the live line is redrawn, and so the longest a poll() blocks while it shows. */
const PROGRESS_MS = 100;

/**
 * Several targets, or --wait, for people: target lines streamed in the caller's order (a sweep's refusals counted,
 * not listed; with `openOnly`, as nmap's --open, every target that did not connect), a closing count, and on a
 * terminal a live line while waiting. It needs no records, and reads its rules from the source without expanding it.
 */
/** What a line-per-target run shows beyond its lines: only connected targets (--open), and --stable's window. */
export interface LinesShape {
  readonly openOnly?: boolean;
  readonly stable?: StableWindow;
}

export function linesSink(out: Output, targets: TargetSource, waiting: boolean, { openOnly = false, stable }: LinesShape = {}): Sink {
  const { palette } = out;
  const width = Math.min(MAX_WIDTH, targets.width ?? UNKNOWN_WIDTH);
  const listRefused = !targets.sweep && targets.count! <= LIST_REFUSED_UP_TO;
  const counts = new Map<string, number>();
  const hidden = new Map<string, number>();
  let reported = 0;
  const write = (line: string) => {
    out.progress?.(null);
    out.write(`${line}\n`);
  };
  const tally = (map: Map<string, number>, label: string) => map.set(label, (map.get(label) ?? 0) + 1);
  const list = (map: Map<string, number>) => [...map].map(([label, n]) => `${thousands(n)} ${label}`).join(', ');

  const live = waiting && out.progress ? out.progress : undefined;
  const started = Date.now();
  // only a live line needs the names still waited for, learnt as targets are admitted (a sweep keeps none)
  const unsettled = live ? new Map<number, string>() : undefined;
  let admitted = 0;
  let lastErrno: string | null = null;
  const ticker = live && unsettled
    ? setInterval(() => live(progressLine([...unsettled.values()], Date.now() - started, lastErrno, reported, targets.count ?? admitted)), PROGRESS_MS)
    : undefined;

  return {
    needs: { records: false, calls: false },
    maxPollMs: live ? PROGRESS_MS : undefined,
    onAdmit: unsettled
      ? (index, target) => {
          admitted++;
          unsettled.set(index, formatHostPort(target.host.text, target.port));
        }
      : undefined,
    start() {},
    onEvent(event) {
      if (event.type === 'attempt' && event.attempt.verdict.errnoName) lastErrno = event.attempt.verdict.errnoName;
      if (event.type !== 'target') return;
      const target = event.result;
      reported++;
      unsettled?.delete(target.index);
      const kind = target.verdict?.kind;
      const label = kind ? LABELS[kind] : 'interrupted';
      tally(counts, label);
      if (openOnly ? kind !== 'connected' : !listRefused && kind === 'refused') tally(hidden, label);
      else write(formatTargetLine(target, palette, width, stable));
    },
    end(run) {
      if (ticker) clearInterval(ticker);
      out.progress?.(null);
      if (hidden.size) write(palette.dim(`not shown: ${list(hidden)}`));
      const total = targets.count ?? reported;
      if (total > 1) write(palette.dim(`${thousands(total)} targets: ${list(counts)} (${(run.durationMs / 1000).toFixed(2)} s)`));
      if (run.capture) write(palette.dim(formatCaptureTotals(run.capture)));
    },
  };
}
