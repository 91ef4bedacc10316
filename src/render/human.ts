import { formatAddress } from '../target/address';
import type { CallRecord } from '../probe/record';
import type { Verdict } from '../probe/verdict';
import type { Endpoint } from '../libc/sockaddr';
import { formatEndpoint } from './endpoint';
import type { Palette } from './palette';
import { familyName } from '../probe/trace';

/** `{AF_INET, 127.0.0.1:12345}`: the sockaddr as the issue's strace-like language writes it. */
function formatSockaddr(endpoint: Endpoint): string {
  return `{${familyName(endpoint)}, ${formatEndpoint(endpoint)}}`;
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
    case 'poll': {
      const fds = record.fds.map((p) => `{fd=${p.fd}, events=${p.events}}`).join(', ');
      return `poll([${fds}], ${record.fds.length}, ${record.timeoutMs})`;
    }
    case 'getsockopt':
      return `getsockopt(${record.fd}, ${record.level}, ${record.option}, [${record.value}], [4])`;
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
  return String(record.ret);
}

/** One trace line: call, result, and the time the call took in seconds (strace -T's `<0.000021>`). */
export function formatRecordLine(record: CallRecord, palette: Palette): string {
  const seconds = (record.durationUs / 1e6).toFixed(6);
  return `${formatCall(record)} = ${formatReturn(record, palette)} ${palette.dim(`<${seconds}>`)}`;
}

/** The closing line: what the kernel's answers mean for this address. */
export function formatVerdict(verdict: Verdict, peer: Endpoint, palette: Palette): string {
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
          : `timed out: no answer from ${target} yet`,
      );
    case 'unreachable':
      return palette.bad(`unreachable: no route from here to ${formatAddress(peer.address)} (${verdict.errnoName})`);
    case 'unresolved':
      return palette.bad(`unresolved: ${target}`);
    case 'local-error':
      return palette.bad(`local error: ${verdict.failedCall}() failed with ${verdict.errnoName}`);
    case 'self-connect':
      return palette.warn(
        `self-connect: nothing listens on ${target}; the kernel picked port ${peer.port} as the source port and connected the socket to itself`,
      );
  }
}
