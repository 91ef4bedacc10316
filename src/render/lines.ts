import { formatEndpointHost, formatHostPort } from '../net/endpoint';
import type { AddressResult, TargetResult } from '../probe/result';
import type { VerdictKind } from '../probe/verdict';
import type { TargetSpec } from '../target/parse';
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

const attempts = (n: number) => (n === 1 ? '1 attempt' : `${n} attempts`);
const hostPort = formatHostPort;

/** An address that did not decide the target: its verdict, or for an abandoned one the last answer it was told. */
function formatOtherAddress(address: AddressResult): string {
  const kind = address.verdict?.kind ?? address.lastAnswer?.kind;
  const said = kind ? LABELS[kind] : 'no answer yet';
  return `${formatEndpointHost(address.peer)} ${address.status === 'done' ? said : `${address.status}, last ${said}`}`;
}

/**
 * One line per target: `127.0.0.1:5432  connected  0.214 ms`, with the address it went to for a name, the errno
 * for a failure (with --wait, the last one), and the attempts made when it was waited for.
 */
export function formatTargetLine(target: TargetResult, palette: Palette, width: number): string {
  const name = hostPort(target.host, target.port).padEnd(width);
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
    else if (chosen.verdict?.errnoName) details.push(chosen.verdict.errnoName);
    if (chosen.handshakeMs !== null) details.push(`${chosen.handshakeMs.toFixed(3)} ms`);
    if (n > 1) details.push(`after ${attempts(n)}`);
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
 * Several targets, or --wait, for people: target lines streamed in the caller's order (a big sweep's refusals
 * counted, not listed), a closing count, and on a terminal a live line while waiting. It needs no records.
 */
export function linesSink(out: Output, targets: readonly TargetSpec[], waiting: boolean): Sink {
  const { palette } = out;
  let width = 0;
  for (const t of targets) width = Math.max(width, hostPort(t.host.text, t.port).length);
  width = Math.min(48, width);
  const listRefused = targets.length <= LIST_REFUSED_UP_TO;
  const counts = new Map<string, number>();
  let hidden = 0;
  const write = (line: string) => {
    out.progress?.(null);
    out.write(`${line}\n`);
  };

  const live = waiting && out.progress ? out.progress : undefined;
  const started = Date.now();
  // only a live line needs the names still waited for (a sweep would keep one string per port alive)
  const unsettled = live ? new Map(targets.map((t, i) => [i, hostPort(t.host.text, t.port)])) : undefined;
  let lastErrno: string | null = null;
  const ticker = live && unsettled
    ? setInterval(() => live(progressLine([...unsettled.values()], Date.now() - started, lastErrno, targets.length - unsettled.size, targets.length)), PROGRESS_MS)
    : undefined;

  return {
    needs: { records: false, calls: false },
    maxPollMs: live ? PROGRESS_MS : undefined,
    start() {},
    onEvent(event) {
      if (event.type === 'attempt' && event.attempt.verdict.errnoName) lastErrno = event.attempt.verdict.errnoName;
      if (event.type !== 'target') return;
      const target = event.result;
      unsettled?.delete(target.index);
      const label = target.verdict ? LABELS[target.verdict.kind] : 'interrupted';
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (!listRefused && target.verdict?.kind === 'refused') hidden++;
      else write(formatTargetLine(target, palette, width));
    },
    end(run) {
      if (ticker) clearInterval(ticker);
      out.progress?.(null);
      if (hidden) write(palette.dim(`not shown: ${hidden} refused`));
      if (targets.length > 1) {
        const summary = [...counts].map(([label, n]) => `${n} ${label}`).join(', ');
        write(palette.dim(`${targets.length} targets: ${summary} (${(run.durationMs / 1000).toFixed(2)} s)`));
      }
    },
  };
}
