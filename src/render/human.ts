import { describePollEvents, familyName } from '../libc/decode';
import { formatAddress } from '../net/address';
import { formatEndpoint, formatEndpointHost, formatHostPort, isUnix, type Endpoint, type UnixEndpoint } from '../net/endpoint';
import type { Mode } from '../options';
import type { CallRecord, PacketRecord } from '../probe/record';
import type { AddressResult, AttemptResult, PacketSeen, ProbeEvent, TargetResult } from '../probe/result';
import type { AttemptStats } from '../probe/stats';
import type { Verdict, VerdictKind } from '../probe/verdict';
import type { Resolution } from '../target/resolve';
import { formatCaptureTotals, formatPacketLine, packetsAround, TcpdumpFormatter } from './packet';
import { plural } from '../usage';
import type { Palette } from './palette';
import type { Output, Sink } from './sink';

const C_ESCAPES: Readonly<Record<number, string>> = { 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/**
 * sun_path quoted as strace quotes a string: printable ASCII as it is, `"` and `\` escaped, C's escapes for
 * \t \n \v \f \r, and every other byte (non-ASCII included) in octal, padded to 3 digits only before a digit.
 */
export function quoteSunPath(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (C_ESCAPES[byte]) out += C_ESCAPES[byte];
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else {
      const next = bytes[i + 1];
      const octal = byte.toString(8);
      out += `\\${next >= 0x30 && next <= 0x37 ? octal.padStart(3, '0') : octal}`;
    }
  }
  return `"${out}"`;
}

/** sun_path as strace shows it: `"/run/x.sock"`, `@"name"` (abstract); an unnamed socket shows none. */
function formatSunPath({ path }: UnixEndpoint): string {
  return path.startsWith('@') ? `@${quoteSunPath(path.slice(1))}` : quoteSunPath(path);
}

/**
 * `{AF_INET, 127.0.0.1:12345}`: the sockaddr as the issue's strace-like language writes it; `{AF_UNIX,
 * "/run/x.sock"}`, `{AF_UNIX, @"name"}`, and `{AF_UNIX}` for an unnamed socket, as strace does.
 */
function formatSockaddr(endpoint: Endpoint): string {
  if (isUnix(endpoint)) return endpoint.path === '' ? '{AF_UNIX}' : `{AF_UNIX, ${formatSunPath(endpoint)}}`;
  return `{${familyName(endpoint.address.family)}, ${formatEndpoint(endpoint)}}`;
}

/** The call with its arguments, as strace shows it. */
export function formatCall(record: CallRecord): string {
  switch (record.call) {
    case 'socket':
      return `socket(${record.family}, ${record.type}, ${record.protocol})`;
    case 'fcntl':
      return record.cmd === 'F_GETFL' ? `fcntl(${record.fd}, F_GETFL)` : `fcntl(${record.fd}, F_SETFL, ${record.flags})`;
    case 'connect':
      return `connect(${record.fd}, ${formatSockaddr(record.peer)}, ${record.addrlen})`;
    case 'bind':
      return `bind(${record.fd}, ${formatSockaddr(record.local)}, ${record.addrlen})`;
    case 'poll': {
      const fds = record.fds.map((p) => `{fd=${p.fd}, events=${p.events}}`).join(', ');
      return `poll([${fds}], ${record.fds.length}, ${record.timeoutMs})`;
    }
    case 'getsockopt': {
      if (record.option === 'TCP_INFO') {
        const fields = Object.entries(record.value ?? {}).map(([name, value]) => `${name}=${value}`);
        return `getsockopt(${record.fd}, ${record.level}, ${record.option}, ${record.value ? `{${fields.join(', ')}}` : '...'}, [${record.optlen}])`;
      }
      const value = record.valueErrnoName ? `${record.valueErrnoName}=${record.value} (${record.valueStrerror})` : record.value;
      return `getsockopt(${record.fd}, ${record.level}, ${record.option}, [${value}], [4])`;
    }
    case 'setsockopt':
      return `setsockopt(${record.fd}, ${record.level}, ${record.option}, ${record.value})`;
    case 'getsockname':
      return `getsockname(${record.fd}, ${record.local ? formatSockaddr(record.local) : '...'})`;
    case 'close':
      return `close(${record.fd})`;
  }
}

/** What the call returned: `3`, `0x2 (flags O_RDWR)`, `-1 ECONNREFUSED (Connection refused) errno=111`. */
export function formatReturn(record: CallRecord, palette: Palette): string {
  if (record.ret === -1) {
    return palette.bad(`-1 ${record.errnoName} (${record.strerror})`) + palette.dim(` errno=${record.errno}`);
  }
  if (record.call === 'fcntl' && record.returnedFlags) {
    return `0x${record.ret.toString(16)} (flags ${record.returnedFlags})`;
  }
  if (record.call === 'poll') {
    if (record.ret === 0) return '0 (Timeout)';
    const ready = record.fds.filter((p) => p.revents !== 0);
    const revents = ready.map((p) => `{fd=${p.fd}, revents=${describePollEvents(p.revents)}}`).join(', ');
    return `${record.ret} ([${revents}])`;
  }
  return String(record.ret);
}

/** One trace line: call, result, and the time the call took in seconds (strace -T's `<0.000021>`). */
export function formatRecordLine(record: CallRecord, palette: Palette): string {
  const seconds = (record.durationUs / 1e6).toFixed(6);
  return `${formatCall(record)} = ${formatReturn(record, palette)} ${palette.dim(`<${seconds}>`)}`;
}

const UNREACHABLE_REASONS: Readonly<Record<string, string>> = {
  ENETUNREACH: 'no route to its network (ENETUNREACH)',
  EHOSTUNREACH: 'the host is unreachable (EHOSTUNREACH)',
  EADDRNOTAVAIL: 'no local address can reach it (EADDRNOTAVAIL)',
};

/** Why bind() refused the source (--source), in a few words; --explain says more. */
const BIND_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the source address and port are in use',
  EADDRNOTAVAIL: "the source address is not one of this machine's",
};

/** Why nothing listens on a unix socket, by the errno that said so. */
function unixRefusal(verdict: Verdict, peer: UnixEndpoint): string {
  if (verdict.errnoName === 'ENOENT') return 'no such file (ENOENT)';
  return peer.path.startsWith('@') ? 'nobody holds that abstract name' : 'no socket listens on that file (ECONNREFUSED)';
}

/** The closing line of a unix socket where it differs from TCP's (there is no SYN, no port). */
function formatUnixVerdict(verdict: Verdict, peer: UnixEndpoint, palette: Palette): string | undefined {
  const target = formatEndpoint(peer);
  switch (verdict.kind) {
    case 'refused':
      return palette.bad(`refused: nothing listens on ${target}: ${unixRefusal(verdict, peer)}`);
    case 'timeout':
      return palette.warn(
        verdict.errnoName === 'EAGAIN'
          ? `timed out: ${target} is not accepting: its listen backlog is full (EAGAIN)`
          : `timed out: ${target} did not accept in time${verdict.errnoName ? ` (last ${verdict.errnoName})` : ''}`,
      );
    default:
      return undefined;
  }
}

/** The closing line: what the kernel's answers mean for this address. */
export function formatVerdict(verdict: Verdict, peer: Endpoint, palette: Palette): string {
  const unix = isUnix(peer) ? formatUnixVerdict(verdict, peer, palette) : undefined;
  if (unix !== undefined) return unix;
  const target = formatEndpoint(peer);
  switch (verdict.kind) {
    case 'connected':
      return palette.good(`connected: ${verdict.local ? formatEndpoint(verdict.local) : '?'} -> ${target}`);
    case 'refused':
      return palette.bad(`refused: nothing listens on ${target} (the SYN was answered with a RST)`);
    case 'timeout':
      return palette.warn(
        verdict.errnoName
          ? `timed out: ${target} never answered the SYNs (${verdict.errnoName})`
          : `timed out: no answer from ${target} (neither SYN-ACK nor RST came back)`,
      );
    case 'unreachable':
      return palette.bad(`unreachable: ${target}: ${UNREACHABLE_REASONS[verdict.errnoName ?? ''] ?? verdict.errnoName}`);
    case 'unresolved':
      return palette.bad(`unresolved: no address for ${target}`);
    case 'local-error': {
      const why = verdict.failedCall === 'bind' ? BIND_REASONS[verdict.errnoName ?? ''] : undefined;
      return palette.bad(`local error: ${verdict.failedCall}() failed with ${verdict.errnoName}${why ? `: ${why}` : ''}`);
    }
    case 'self-connect':
      return palette.warn(
        `self-connect: nothing listens on ${target}; the kernel picked port ${isUnix(peer) ? '?' : peer.port} as the source port and connected the socket to itself`,
      );
  }
}

/** The resolution step, as a call: `getaddrinfo("localhost") = [::1, 127.0.0.1] <0.000412>`. */
export function formatResolution(resolution: Resolution, palette: Palette): string {
  const answer = resolution.error
    ? palette.bad(`${resolution.error} (the name did not resolve)`)
    : `[${resolution.addresses.map(formatAddress).join(', ')}]`;
  return `getaddrinfo("${resolution.name}") = ${answer} ${palette.dim(`<${(resolution.durationUs / 1e6).toFixed(6)}>`)}`;
}

const ms = (value: number) => value.toFixed(3);

/** One fresh-mode attempt, tcping-style. */
export function formatAttempt(attempt: AttemptResult, peer: Endpoint, palette: Palette): string {
  const time = attempt.handshakeMs === null ? '' : ` in ${ms(attempt.handshakeMs)} ms`;
  return `attempt ${attempt.attempt}: ${formatVerdict(attempt.verdict, peer, palette)}${time}`;
}

/** ping-style statistics: counts per verdict, and min/avg/max/stddev of the handshake time. */
export function formatStats(stats: AttemptStats, peer: Endpoint): string[] {
  const always = { connected: 'connected', refused: 'refused', timeout: 'timed out' } as const;
  const counts = Object.entries(always).map(([kind, label]) => `${stats.verdicts[kind as VerdictKind] ?? 0} ${label}`);
  const others = Object.entries(stats.verdicts)
    .filter(([kind]) => !(kind in always))
    .map(([kind, n]) => `${n} ${kind}`);
  const lines = [
    `--- ${formatEndpoint(peer)} connprobe statistics ---`,
    `${stats.attempts} attempts, ${[...counts, ...others].join(', ')}`,
  ];
  if (stats.minMs !== null && stats.avgMs !== null && stats.maxMs !== null && stats.stddevMs !== null) {
    lines.push(`handshake min/avg/max/stddev = ${[stats.minMs, stats.avgMs, stats.maxMs, stats.stddevMs].map(ms).join('/')} ms`);
  }
  return lines;
}

/** For a name with several addresses: each address's verdict, and what the target's verdict was taken from. */
export function formatTargetSummary(target: TargetResult, palette: Palette): string[] {
  const done = target.addresses.filter((a) => a.verdict);
  if (target.addresses.length < 2 || !target.verdict) return [];
  const parts = done.map((a) => `${formatEndpointHost(a.peer)} ${a.verdict!.kind}`);
  const lines = [`${formatHostPort(target.host, target.port)}: ${parts.join(', ')}`];
  const kinds = new Set(done.map((a) => a.verdict!.kind));
  if (kinds.size > 1) {
    lines.push(
      palette.warn(
        `the addresses disagree: a client that tries only the first (${formatEndpointHost(done[0].peer)}) sees ${done[0].verdict!.kind}; one that tries each in turn sees ${target.verdict.kind}`,
      ),
    );
  }
  return lines;
}

/** An address a signal stopped before it was settled. */
function formatInterrupted(address: AddressResult, palette: Palette): string {
  const n = address.stats.attempts;
  const seen = n ? ` after ${plural(n, 'attempt')}` : '';
  return palette.warn(`interrupted: no verdict for ${formatEndpoint(address.peer)}${seen}`);
}

/**
 * The human view of one target, strace-like and streamed: each call is written as soon as it returns, so a slow
 * handshake shows the calls made so far. With `explain`, every call is followed by one line on why it returned
 * what it did.
 */
export function traceSink(out: Output, mode: Mode, explainCalls: boolean, unix = false): Sink {
  const { palette } = out;
  const write = (line: string, agoUs?: number) => out.write(`${line}\n`, agoUs);
  const records: CallRecord[] = []; // the current socket's calls, which explanations read
  const packets: PacketRecord[] = []; // and its packets (--packets)
  // loaded only for --explain and --packets: start-up pays for what a run uses
  const explainer = explainCalls ? (require('../probe/explain') as typeof import('../probe/explain')) : undefined;
  const tcpdump = new TcpdumpFormatter();
  const packetLine = (packet: PacketRecord) => palette.dim(formatPacketLine(packet, tcpdump));
  const fresh = mode === 'fresh';
  return {
    needs: { records: false, calls: true },
    start() {
      const stack = unix ? 'AF_UNIX sockets' : 'TCP stack';
      if (explainer) write(palette.dim(`# explanations describe ${explainer.EXPLAINED_PLATFORM}'s ${stack}`));
    },
    onEvent(event: ProbeEvent) {
      switch (event.type) {
        case 'resolution':
          write(formatResolution(event.resolution, palette), event.resolution.durationUs);
          break;
        case 'call': {
          const { record } = event;
          if (explainer) records.push(record);
          const { before, after } = packetsAround(event);
          // written as the call returns: a packet was stamped this long before its end (--timestamps shows when)
          const endMs = record.startMs + record.durationUs / 1000;
          const writePacket = ({ packet }: PacketSeen) => write(packetLine(packet), Math.max(0, (endMs - packet.timeMs) * 1000));
          before.forEach(writePacket);
          write(formatRecordLine(record, palette), record.durationUs);
          after.forEach(writePacket);
          if (explainer) for (const { packet } of event.packets) packets.push(packet);
          if (explainer) write(palette.dim(`    # ${explainer.explain(records, records.length - 1, packets)}`));
          break;
        }
        case 'attempt':
          records.length = 0; // the next attempt is a new socket with a history of its own
          packets.length = 0;
          if (fresh) write(formatAttempt(event.attempt, event.peer, palette));
          break;
        case 'address': {
          records.length = 0;
          packets.length = 0;
          const { result } = event;
          if (fresh && result.stats.attempts > 0) formatStats(result.stats, result.peer).forEach(write);
          write(result.verdict ? formatVerdict(result.verdict, result.peer, palette) : formatInterrupted(result, palette));
          break;
        }
        case 'target': {
          const { result } = event;
          if (result.resolution?.error && result.verdict) {
            write(palette.bad(`unresolved: ${result.resolution.name} did not resolve (${result.resolution.error})`));
          }
          if (!result.verdict && result.addresses.length === 0) write(palette.warn(`interrupted: ${result.host} was not probed`));
          formatTargetSummary(result, palette).forEach(write);
          break;
        }
      }
    },
    end(run) {
      if (run.capture) write(palette.dim(`# ${formatCaptureTotals(run.capture)}`));
    },
  };
}
