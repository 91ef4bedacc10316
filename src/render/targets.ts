import type { TargetOutcomeDocument } from './json';
import type { Palette } from './palette';
import type { VerdictKind } from '../probe/verdict';
import { formatAddress } from '../target/address';
import type { TargetSpec } from '../target/parse';

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
const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * One line per target: `127.0.0.1:5432  connected  0.214 ms`, with the address it went to for a name, the errno
 * for a failure, and the attempts and time taken when it was waited for.
 */
export function formatTargetLine(target: TargetOutcomeDocument, palette: Palette, width: number): string {
  const name = hostPort(target.host, target.port).padEnd(width);
  if (!target.verdict) {
    const so = target.unfinished;
    const seen = so && so.attempts ? `  after ${attempts(so.attempts)}${so.lastErrno ? `, last ${so.lastErrno}` : ''}` : '';
    return `${name}  ${palette.warn('interrupted')}${seen}`;
  }
  const kind = target.verdict.kind;
  const colour = kind === 'connected' ? palette.good : kind === 'timeout' || kind === 'self-connect' ? palette.warn : palette.bad;
  const details: string[] = [];
  const chosen = target.addresses.find((a) => a.verdict === target.verdict) ?? target.addresses[0];
  if (target.resolution?.error) details.push(`${target.resolution.error}`);
  if (chosen) {
    if (target.resolution) details.push(`via ${formatAddress(chosen.peer.address)}`);
    const errno = chosen.verdict.errnoName ?? (chosen.verdict.kind === 'connected' ? null : chosen.lastErrno);
    if (errno) details.push(kind === 'timeout' && chosen.attempts > 1 ? `last ${errno}` : errno);
    if (chosen.handshakeMs !== null) details.push(`${chosen.handshakeMs.toFixed(3)} ms`);
    if (chosen.attempts > 1) details.push(`after ${attempts(chosen.attempts)}`);
  }
  const others = target.addresses.filter((a) => a !== chosen).map((a) => `${formatAddress(a.peer.address)} ${LABELS[a.verdict.kind]}`);
  if (others.length) details.push(`(${others.join(', ')})`);
  return `${name}  ${colour(LABELS[kind].padEnd(12))} ${details.join('  ')}`.trimEnd();
}

/** Target lines streamed in the user's order; a big sweep's refusals are counted, not listed. */
export function targetLines(write: (line: string) => void, palette: Palette, targets: readonly TargetSpec[]) {
  let width = 0;
  for (const t of targets) width = Math.max(width, hostPort(t.host.text, t.port).length);
  width = Math.min(48, width);
  const listRefused = targets.length <= LIST_REFUSED_UP_TO;
  const counts = new Map<string, number>();
  let hidden = 0;
  return {
    onTarget(target: TargetOutcomeDocument) {
      const label = target.verdict ? LABELS[target.verdict.kind] : 'interrupted';
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (!listRefused && target.verdict?.kind === 'refused') hidden++;
      else write(formatTargetLine(target, palette, width));
    },
    finish(durationMs: number) {
      if (hidden) write(palette.dim(`not shown: ${hidden} refused`));
      if (targets.length > 1) {
        const summary = [...counts].map(([label, n]) => `${n} ${label}`).join(', ');
        write(palette.dim(`${targets.length} targets: ${summary} (${(durationMs / 1000).toFixed(2)} s)`));
      }
    },
  };
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
