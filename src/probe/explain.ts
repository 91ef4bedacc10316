import { C } from '../libc/constants';
import { E } from '../libc/errno';
import type { TcpInfo } from '../libc/tcp-info';
import { formatAddress } from '../net/address';
import { formatEndpoint, isUnix, sameEndpoint, type UnixEndpoint } from '../net/endpoint';
import { plural } from '../usage';
import type { CallRecord, PacketRecord } from './record';

/** The platform the explanations describe; they are read off Linux's TCP stack. */
export const EXPLAINED_PLATFORM = 'Linux';

const ANSWERS: Readonly<Record<number, string>> = {
  [E.ECONNREFUSED]: 'the peer answered the SYN with a RST: nothing listens on that port',
  [E.ETIMEDOUT]:
    'the kernel retransmitted the SYN as many times as net.ipv4.tcp_syn_retries (or TCP_SYNCNT) allows, got no answer at all, and gave up',
  [E.ENETUNREACH]: 'no route to that network (for 127.0.0.1: lo is down), so no SYN was sent',
  [E.EHOSTUNREACH]: 'the host is unreachable: no ARP/neighbour answer, or an ICMP host-unreachable came back',
  [E.EADDRNOTAVAIL]:
    'no local address can reach it (for ::1: lo is down and has no address), or no ephemeral port is free (or, from a fixed --source port, that port and this peer are still in TIME_WAIT)',
  [E.EACCES]: 'a local policy forbade it (a firewall or BPF rule, or a broadcast address without SO_BROADCAST)',
  [E.EPERM]: 'a local policy forbade it (a netfilter rule or seccomp filter)',
  [E.EMFILE]: 'this process already has as many fds open as RLIMIT_NOFILE (ulimit -n) allows',
  [E.ENFILE]: 'the whole system is out of file handles (fs.file-max)',
};

function answer(errno: number): string {
  return ANSWERS[errno] ?? 'the call failed here, before any packet could tell';
}

/** The attempt's socket is an AF_UNIX one. */
const onUnixSocket = (history: readonly CallRecord[]) => history.some((r) => r.call === 'socket' && r.family === 'AF_UNIX');

/** Earlier records of the same attempt on the same fd. */
function historyOf(records: readonly CallRecord[], index: number): CallRecord[] {
  const current = records[index];
  const fd = 'fd' in current ? current.fd : undefined;
  return records
    .slice(0, index)
    .filter((r) => r.attempt === current.attempt && (fd === undefined || !('fd' in r) || r.fd === fd));
}

function explainBind(record: CallRecord & { call: 'bind' }): string {
  const address = formatAddress(record.local.address);
  const fixedPort = record.local.port !== 0;
  if (record.ret === 0) {
    return fixedPort
      ? `the socket will connect from ${formatEndpoint(record.local)}: the SYN leaves from this address and port`
      : `the socket will connect from ${address}; port 0: the kernel picked a free source port for it already`;
  }
  switch (record.errno) {
    case E.EADDRINUSE:
      return fixedPort
        ? `another socket already holds ${formatEndpoint(record.local)}: a listener, a connection from that port, or one in TIME_WAIT (which only SO_REUSEADDR on both lets you bind over); nothing was sent`
        : `no source port is free on ${address}; nothing was sent`;
    case E.EADDRNOTAVAIL:
      return `${address} is not an address of any interface on this machine (ip addr lists them), so nothing can leave from it; nothing was sent`;
    case E.EACCES:
      return `ports below net.ipv4.ip_unprivileged_port_start (1024) need CAP_NET_BIND_SERVICE; nothing was sent`;
    default:
      return answer(record.errno);
  }
}

/**
 * connect() on an AF_UNIX stream socket: settled within the call, never EINPROGRESS. The kernel looks the name up
 * (a file, or an abstract name in this network namespace), finds a listening socket bound to it, and queues the
 * connection on its backlog, or says at once why not.
 */
function explainUnixConnect(record: CallRecord & { call: 'connect' }, peer: UnixEndpoint, nonblocking: boolean): string | undefined {
  const abstract = peer.path.startsWith('@');
  if (record.ret === 0) {
    return 'a listening socket is bound to that name: the kernel queued this connection on its backlog within the call (no handshake, no packets): connected';
  }
  switch (record.errno) {
    case E.ENOENT:
      return 'no such file: nothing was ever bound there, or it was removed (or a directory on the path is missing)';
    case E.ECONNREFUSED:
      return abstract
        ? 'nobody holds that abstract name in this network namespace: an abstract name vanishes with the last socket bound to it'
        : 'the file is there but no socket listens on it: a socket file outlives its listener (it stays until unlinked), and connect() needs a listening socket bound to it (a file that is not a socket refuses too)';
    case E.EAGAIN:
      return nonblocking
        ? "the listener's backlog is full (it is not accepting fast enough): a non-blocking AF_UNIX connect() says so at once, where TCP would drop the SYN and say nothing"
        : "the listener's backlog stayed full for as long as SO_SNDTIMEO allows: the blocking connect() gave up waiting for room";
    case E.EACCES:
      return 'permission denied: connect() needs write permission on the socket file (and search permission on every directory above it)';
    case E.EPERM:
      return 'a local policy forbade it (an LSM such as SELinux or AppArmor, or a seccomp filter)';
    case E.EPROTOTYPE:
      return 'the socket bound there is not a stream socket (SOCK_DGRAM or SOCK_SEQPACKET): a stream socket can connect only to a stream listener';
    default:
      return undefined; // EISCONN and the rest read as for TCP
  }
}

function explainConnect(record: CallRecord & { call: 'connect' }, history: readonly CallRecord[]): string {
  const nonblocking = history.some((r) => r.call === 'fcntl' && r.cmd === 'F_SETFL' && r.ret === 0);
  const earlier = history.filter((r): r is CallRecord & { call: 'connect' } => r.call === 'connect');
  const previous = earlier.at(-1);
  const handshakeUnderWay = previous !== undefined && (previous.errno === E.EINPROGRESS || previous.errno === E.EALREADY);
  const unix = isUnix(record.peer) ? explainUnixConnect(record, record.peer, nonblocking) : undefined;
  if (unix !== undefined) return unix;
  if (record.ret === 0) {
    if (!nonblocking) return 'blocking socket: the call waited while the SYN, SYN-ACK and ACK went by; connected';
    return handshakeUnderWay
      ? 'the SYN-ACK came back since the last call and the kernel sent the ACK: this call reports the success (once; later calls say EISCONN)'
      : 'the handshake completed within the call itself: connected';
  }
  switch (record.errno) {
    case E.EINPROGRESS:
      if (!nonblocking) {
        return 'blocking socket, but SO_SNDTIMEO expired before any answer: the handshake is still under way';
      }
      if (previous && previous.errno !== E.EINPROGRESS && previous.errno !== E.EALREADY && previous.ret !== 0) {
        return `the previous call consumed the pending ${previous.errnoName} and the socket went back to unconnected, so this call started a new handshake: a new SYN was sent`;
      }
      return 'SYN sent; the handshake is under way, and a non-blocking connect() returns without waiting for the answer';
    case E.EALREADY:
      return 'a handshake on this fd is still waiting for an answer (no SYN-ACK, no RST yet); the kernel does not start another';
    case E.EISCONN:
      return 'the socket is already connected; there is nothing left for connect() to do';
    case E.ECONNREFUSED:
      return handshakeUnderWay
        ? 'the RST came back while you weren\'t looking: it left a pending error on the socket, and this call reported it and cleared it'
        : nonblocking
          ? `the RST arrived during the call: ${answer(record.errno)}`
          : `blocking socket: the call waited for the answer, and ${answer(record.errno)}`;
    default:
      return handshakeUnderWay
        ? `the pending error is reported by this call and cleared: ${answer(record.errno)}`
        : answer(record.errno);
  }
}

const micros = (us: number) => (us >= 10_000 ? `${(us / 1000).toFixed(0)} ms` : `${us} us`);

/** The kernel's own account of the handshake, from TCP_INFO: how many SYNs went out, and what came back. */
function explainTcpInfo(info: Partial<TcpInfo>): string {
  const retransmitted = info.tcpi_total_retrans ?? 0;
  const syns = retransmitted === 0 ? 'the SYN was sent once' : `${plural(retransmitted, 'SYN was', 'SYNs were')} retransmitted`;
  switch (info.tcpi_state) {
    case 'TCP_ESTABLISHED':
      return `the kernel's account: connected; the handshake took 1 RTT of ${micros(info.tcpi_rtt ?? 0)}${retransmitted ? `; ${syns} first` : ''}`;
    case 'TCP_SYN_SENT':
      return `the kernel's account: still SYN_SENT: ${syns}; nothing came back (the next retransmission in ${micros(info.tcpi_rto ?? 0)})`;
    case 'TCP_CLOSE':
      return `the kernel's account: closed; ${syns}, and nothing came back`;
    default:
      return `the kernel's account: ${info.tcpi_state ?? 'no state'}; ${syns}`;
  }
}

const isSyn = (p: PacketRecord) => p.direction === 'out' && p.flags === 'S';
/** What answers a SYN: a SYN-ACK, a RST, or an ICMP error about it. */
const isAnswer = (p: PacketRecord) => p.direction === 'in' && (p.flags.includes('R') || p.flags === 'S.' || p.protocol !== 'tcp');
const answerName = (p: PacketRecord) => (p.protocol !== 'tcp' ? 'ICMP error' : p.flags.includes('R') ? 'RST' : 'SYN-ACK');
const gapUs = (from: PacketRecord, to: PacketRecord) => Math.round((to.timeMs - from.timeMs) * 1000);

/**
 * Where a packet lies against a call: before it, during it, or too close to its start or end to say (the link
 * between the kernel's clock and the records' is only so exact, and the call's FFI overhead blurs its edges).
 */
function placeOf(packet: PacketRecord, record: CallRecord): 'before' | 'during' | 'after' | 'unsure' {
  const margin = packet.timeErrorUs / 1000;
  const end = record.startMs + record.durationUs / 1000;
  if (packet.timeMs + margin < record.startMs) return 'before';
  if (packet.timeMs - margin > end) return 'after';
  if (packet.timeMs - margin > record.startMs && packet.timeMs + margin < end) return 'during';
  return 'unsure';
}

const PLACES = { before: 'before this call', during: 'during this call', after: 'after this call', unsure: 'around the edge of this call' } as const;

/** --packets: what the wire shows about this call, from the attempt's packets so far; undefined when nothing. */
function wireNote(record: CallRecord, packets: readonly PacketRecord[]): string | undefined {
  const mine = packets.filter((p) => p.attempt === record.attempt);
  const syns = mine.filter(isSyn);
  const lastSyn = syns.at(-1);
  const answer = lastSyn && mine.find((p) => p.timeMs >= lastSyn.timeMs && isAnswer(p));
  // an ICMP error about a SYN never seen: a rule rejected the SYN on its way out, and the error is all there is
  const unsent = lastSyn ? undefined : mine.find((p) => p.protocol !== 'tcp');
  const answered = () => {
    if (unsent) return `an ICMP error about its SYN came back ${PLACES[placeOf(unsent, record)]}; the SYN itself never reached the wire (a local rule rejected it on the way out)`;
    if (!lastSyn || !answer) return undefined;
    return `the ${answerName(answer)} came back ${gapUs(lastSyn, answer)} us after the SYN, ${PLACES[placeOf(answer, record)]}`;
  };
  switch (record.call) {
    case 'connect': {
      const sent = lastSyn && placeOf(lastSyn, record) !== 'before' ? `the SYN went out ${PLACES[placeOf(lastSyn, record)]}` : undefined;
      const back = answered();
      // an answer that came while connect() returned EINPROGRESS is what the next call (or poll) reports
      const pending = back && record.errno === E.EINPROGRESS && answer && placeOf(answer, record) === 'during' ? ', and waits on the socket for the next call' : '';
      if (sent) return back ? `${sent}; ${back}${pending}` : `${sent}; nothing has come back yet`;
      return back;
    }
    case 'poll': {
      if (answer || syns.length === 0) return answered();
      const times = syns.map((p) => `${((p.timeMs - syns[0].timeMs) / 1000).toFixed(3)} s`).join(', ');
      return `${plural(syns.length, 'SYN', 'SYNs')} went out (at ${times} from the first), and nothing came back`;
    }
    case 'getsockopt':
      return record.option === 'TCP_INFO' && syns.length > 0 ? `${plural(syns.length, 'SYN was', 'SYNs were')} seen` : undefined;
    default: {
      const during = mine.filter((p) => placeOf(p, record) === 'during');
      return during.length ? `${during.map((p) => `${p.flags || answerName(p)} ${p.direction}`).join(', ')}, during this call` : undefined;
    }
  }
}

/**
 * One plain-language line on what the kernel did and why this call returned what it did, derived from the sequence
 * so far (not from the errno alone), and, with --packets, from what the wire showed. True to Linux.
 */
export function explain(records: readonly CallRecord[], index: number, packets: readonly PacketRecord[] = []): string {
  const why = explainCall(records, index);
  const wire = packets.length ? wireNote(records[index], packets) : undefined;
  return wire ? `${why}; on the wire: ${wire}` : why;
}

function explainCall(records: readonly CallRecord[], index: number): string {
  const record = records[index];
  const history = historyOf(records, index);
  switch (record.call) {
    case 'socket':
      if (record.ret === -1) return `no socket: ${answer(record.errno)}`;
      return record.family === 'AF_UNIX'
        ? `a new AF_UNIX stream socket, fd ${record.ret}; not connected yet`
        : `a new TCP socket, fd ${record.ret}; nothing is sent yet`;
    case 'fcntl':
      if (record.ret === -1) return answer(record.errno);
      if (record.cmd === 'F_GETFL') return 'read the file status flags, to add O_NONBLOCK to them';
      return onUnixSocket(history)
        ? 'the socket is non-blocking now: connect() will return at once instead of waiting for room in a full backlog'
        : 'the socket is non-blocking now: connect() will return at once instead of waiting for the handshake';
    case 'setsockopt':
      if (record.ret === -1) return answer(record.errno);
      if (record.option === 'SO_REUSEADDR') {
        return 'the fixed source port may be bound even while an earlier connection from it lingers in TIME_WAIT (never while a listener holds it)';
      }
      if (record.option === 'SO_SNDTIMEO' && onUnixSocket(history)) {
        return "bounds a blocking connect(): if the listener's backlog stays full that long, it returns EAGAIN";
      }
      return record.option === 'SO_SNDTIMEO'
        ? 'bounds a blocking connect(): if no answer comes in time, it returns EINPROGRESS'
        : `the kernel gives up with ETIMEDOUT after about as long as ${record.value} SYN retransmissions take (it stops by time, not count: TCP_INFO shows how many went out)`;
    case 'bind':
      return explainBind(record);
    case 'connect':
      return explainConnect(record, history);
    case 'poll': {
      if (record.ret === -1) {
        return record.errno === E.EINTR ? 'a signal interrupted the wait' : answer(record.errno);
      }
      if (record.ret === 0) {
        return `no answer within ${record.timeoutMs} ms: neither a SYN-ACK nor a RST came back for the SYN (and its retransmissions)`;
      }
      const revents = record.fds[0]?.revents ?? 0;
      return revents & C.POLLERR
        ? 'writable with POLLERR: the handshake ended in an error, which SO_ERROR now holds'
        : 'writable: the handshake has finished; SO_ERROR tells whether it succeeded';
    }
    case 'getsockopt':
      if (record.ret === -1) return answer(record.errno);
      if (record.option === 'TCP_INFO') return explainTcpInfo(record.value ?? {});
      return record.value === 0
        ? 'no pending error: the handshake succeeded, connected'
        : `the pending error: ${answer(record.value)}; reading SO_ERROR also clears it`;
    case 'getsockname': {
      const peer = history.filter((r) => r.call === 'connect').at(-1);
      if (!record.local) return answer(record.errno);
      if (isUnix(record.local)) {
        return record.local.path === ''
          ? 'the client end is unnamed: a unix client need not be bound to any path (strace shows {sa_family=AF_UNIX})'
          : `the client end is bound to ${record.local.path}`;
      }
      if (peer?.call === 'connect' && sameEndpoint(peer.peer, record.local)) {
        return 'the local end equals the peer: TCP self-connect. Nothing listens; the kernel picked the target port as the ephemeral source port and the SYN met itself';
      }
      return `the kernel picked local port ${record.local.port} for this connection`;
    }
    case 'close':
      return 'fd released: a connection or a handshake in progress on it is dropped';
  }
}
