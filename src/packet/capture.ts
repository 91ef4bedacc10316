import type { Libc } from '../libc/libc';
import { addressWord, type IpAddress } from '../net/address';
import type { InetEndpoint } from '../net/endpoint';
import type { PacketEnd, PacketRecord } from '../probe/record';
import { decodePacket, flagLetters, TCP_ACK, TCP_SYN, type DecodedPacket } from './decode';
import { PeerScope } from './filter';
import type { PcapWriter } from './pcap';
import type { PacketSocket, RawPacket } from './socket';

/** Whom a socket's packets are for: an attempt, by its number. */
export interface PacketOwner {
  readonly number: number;
}

export interface CapturedPacket<O extends PacketOwner> {
  readonly owner: O;
  readonly packet: PacketRecord;
}

export interface CaptureTotals {
  /** The probe's own packets, each counted once. */
  readonly captured: number;
  /** What the kernel dropped because the capture's queue was full (PACKET_STATISTICS), as tcpdump reports it. */
  readonly dropped: number;
}

/** Packets read per drain at most: a flood of someone else's traffic cannot hold the probe up. */
const MAX_PER_DRAIN = 65_536;
/** Tries of the clock link and of the call overhead at start: the narrowest is the one kept. */
const CALIBRATION_TRIES = 20;
/** How long a closed socket's packets are still recognised (its FIN exchange, a late RST). */
const LINGER_MS = 2_000;

/** What is known of one of the probe's sockets (it connects to one peer); it names no attempt, so it may linger. */
interface SocketFlows {
  /** The peer's key. */
  readonly peer: string;
  /** The flows learned from its SYNs (a repeat-mode socket starts a new handshake, from a new port, after a refusal). */
  readonly flows: string[];
}

/** A connect() whose SYN is still to be seen: the next one to its peer, stamped after it began, is its socket's. */
interface Waiting<O> {
  /** null when packets are only counted. */
  readonly owner: O | null;
  readonly socket: SocketFlows;
  readonly sinceMs: number;
}

/** An address as a map key: the number for IPv4, hex for IPv6. */
function hostKey(bytes: Uint8Array): string {
  return bytes.length === 4 ? String(addressWord(bytes)) : Buffer.from(bytes).toString('hex');
}
const endKey = (address: IpAddress, port: number) => `${hostKey(address.bytes)}.${port}`;
const flowKey = (local: string, peer: string) => `${local}>${peer}`;

/**
 * The link between the kernel's packet timestamps (CLOCK_REALTIME) and the records' clock (performance.now(),
 * monotonic): read the real-time clock between two reads of the monotonic one; the link is off by at most half
 * the time between them. Sampled again at each drain that found packets, so that a clock step or slew does not
 * accumulate over a long run.
 */
class ClockLink {
  private realtimeNs = 0n;
  private monotonicMs = 0;
  /** Half the narrowest bracket seen, in us. */
  errorUs = Infinity;

  constructor(private readonly libc: Libc) {}

  sample(tries: number): void {
    let best = Infinity;
    for (let i = 0; i < tries; i++) {
      const before = performance.now();
      const real = this.libc.realtimeNs();
      const after = performance.now();
      if (real.ret !== 0 || after - before >= best) continue;
      best = after - before;
      this.realtimeNs = real.ns;
      this.monotonicMs = (before + after) / 2;
    }
    if (best !== Infinity) this.errorUs = (best * 1000) / 2;
  }

  /** performance.now()'s reading at a real-time instant. */
  toMonotonicMs(realtimeNs: bigint): number {
    return this.monotonicMs + Number(realtimeNs - this.realtimeNs) / 1e6;
  }
}

/**
 * The probe's packets: it keeps the capture's filter wide enough for every peer, reads what the kernel queued,
 * and keeps only the segments of the probe's own sockets (and ICMP errors about them), each with its owner.
 *
 * Which socket a segment belongs to: a socket's first SYN is recognised as the one to its peer that left after
 * its connect() began (its local port is then known, so every later segment of that flow is matched exactly).
 * Nothing else is kept, printed or written.
 */
export class Capture<O extends PacketOwner> {
  private readonly scope = new PeerScope();
  private readonly clock: ClockLink;
  /**
   * Flows known to be a socket's: `local>peer` keys, to its owner; to null when packets are only counted (a closed
   * socket's flow lingers, and an owner would keep its attempt, address and target alive with it).
   */
  private readonly flows = new Map<string, O | null>();
  /** The probe's open sockets that called connect(). */
  private readonly sockets = new Map<O, SocketFlows>();
  /** Flows whose socket is closed: still recognised while they linger, and free for a new socket's SYN. */
  private readonly closedFlows = new Set<string>();
  /** connect() calls whose SYN has not been seen yet, by peer, oldest first. */
  private readonly awaitingSyn = new Map<string, Waiting<O>[]>();
  /**
   * Closed sockets, oldest first, from `lingeringHead` on (a queue that is not shifted one by one): their flows
   * and a SYN not seen yet are still recognised for a moment (the FIN exchange; packets read after the close).
   */
  private lingering: { socket: SocketFlows; until: number }[] = [];
  private lingeringHead = 0;
  private captured = 0;
  /** One FFI call's overhead, in us: a packet stamped closer than this to a call's start may be either side of it. */
  private readonly callOverheadUs: number;

  constructor(
    private readonly socket: PacketSocket,
    libc: Libc,
    /** performance.now() when the run started. */
    private readonly origin: number,
    private readonly pcap: PcapWriter | null,
    /** Make a record of each packet (records are wanted); else they are only counted (and written to --pcap). */
    private readonly keep: boolean,
  ) {
    this.clock = new ClockLink(libc);
    this.clock.sample(CALIBRATION_TRIES);
    let fastest = Infinity; // the least a call costs: what separates a call's recorded start from the syscall's
    for (let i = 0; i < CALIBRATION_TRIES; i++) {
      const start = performance.now();
      libc.realtimeNs();
      fastest = Math.min(fastest, performance.now() - start);
    }
    this.callOverheadUs = fastest * 1000;
  }

  /** Widens the filter to a peer the probe is about to connect to. */
  cover(peer: InetEndpoint): void {
    if (this.scope.add(peer)) this.socket.setFilter(this.scope.program());
  }

  /**
   * A connect() to `peer` began at `startMs`: the next unclaimed SYN to it, stamped after that, is this socket's.
   * Every call is noted (whether it sent a SYN is known only when the packets are read).
   */
  connecting(owner: O, peer: InetEndpoint, startMs: number): void {
    let socket = this.sockets.get(owner);
    if (!socket) this.sockets.set(owner, (socket = { peer: endKey(peer.address, peer.port), flows: [] }));
    // not kept: an entry that may outlive its socket holds no attempt
    const waiting: Waiting<O> = { owner: this.keep ? owner : null, socket, sinceMs: startMs };
    const queue = this.awaitingSyn.get(socket.peer);
    if (queue) queue.push(waiting);
    else this.awaitingSyn.set(socket.peer, [waiting]);
  }

  /** The socket is closed: what is known of it lingers for a moment, then is forgotten. */
  closed(owner: O): void {
    const socket = this.sockets.get(owner);
    if (!socket) return; // it never called connect()
    this.sockets.delete(owner);
    for (const key of socket.flows) this.closedFlows.add(key);
    this.lingering.push({ socket, until: performance.now() + LINGER_MS });
  }

  /** Reads what the kernel queued: the probe's packets, in the order they were seen (none unless kept). */
  drain(): CapturedPacket<O>[] {
    const out: CapturedPacket<O>[] = [];
    let sampled = false;
    for (let i = 0; i < MAX_PER_DRAIN; i++) {
      const raw = this.socket.read();
      if (!raw) break;
      if (!sampled) {
        this.clock.sample(3);
        sampled = true;
      }
      const captured = this.take(raw);
      if (captured) out.push(captured);
    }
    this.forgetLingering();
    return out;
  }

  /**
   * Closes the capture: how many packets were the probe's, and how many were dropped. Where packets are told with
   * calls, the capture ends with the last call (a packet after it, such as the peer's FIN, has no call to follow,
   * and the totals count what was told); where they are only counted, what is queued still is read first.
   */
  finish(): CaptureTotals {
    if (!this.keep) this.drain();
    this.socket.close();
    this.pcap?.close();
    return { captured: this.captured, dropped: this.socket.statistics().drops };
  }

  private take(raw: RawPacket): CapturedPacket<O> | null {
    const decoded = decodePacket(raw.bytes, this.keep);
    if (!decoded) return null;
    const timeMs = this.clock.toMonotonicMs(raw.realtimeNs) - this.origin;
    const claim = this.claim(decoded, timeMs);
    if (!claim) return null;
    this.captured++;
    this.pcap?.write(raw.realtimeNs, raw.bytes, raw.length);
    if (claim.owner === null) return null;
    return { owner: claim.owner, packet: this.record(decoded, claim.owner, claim.direction, timeMs, this.socket.interfaceName(raw.ifindex)) };
  }

  /** Whose the packet is, and which way it went; null if it is none of the probe's sockets'. */
  private claim(packet: DecodedPacket, timeMs: number): { owner: O | null; direction: 'out' | 'in' } | null {
    if (packet.tcp) {
      const src = endKey(packet.src, packet.tcp.srcPort);
      const dst = endKey(packet.dst, packet.tcp.dstPort);
      const out = flowKey(src, dst);
      const into = flowKey(dst, src);
      // a new socket's first SYN may reuse a closed one's ports (the kernel hands the same source port out again):
      // a socket waiting for its SYN takes it before a lingering flow does
      if ((packet.tcp.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && this.reusable(out) && this.reusable(into)) {
        const owner = this.learn(src, dst, timeMs);
        if (owner !== undefined) return { owner, direction: 'out' };
      }
      if (this.flows.has(out)) return { owner: this.flows.get(out)!, direction: 'out' };
      if (this.flows.has(into)) return { owner: this.flows.get(into)!, direction: 'in' };
      return null;
    }
    const quoted = packet.icmp?.quoted;
    if (!quoted) return null;
    // an ICMP error quotes a segment the probe sent (a SYN an OUTPUT rule rejected may never have been seen)
    const src = endKey(quoted.src, quoted.srcPort);
    const dst = endKey(quoted.dst, quoted.dstPort);
    const flow = flowKey(src, dst);
    const owner = this.reusable(flow) ? this.learn(src, dst, timeMs) : undefined;
    if (owner !== undefined) return { owner, direction: 'in' };
    return this.flows.has(flow) ? { owner: this.flows.get(flow)!, direction: 'in' } : null;
  }

  /** No open socket of the probe's has this flow (none ever had it, or the one that did is closed). */
  private reusable(flow: string): boolean {
    return !this.flows.has(flow) || this.closedFlows.has(flow);
  }

  /**
   * The first SYN to a peer since a connect() to it began is that socket's: its flow is known from now on. The
   * owner (null: ours, not kept), or undefined when no socket of the probe's is waiting for it.
   */
  private learn(local: string, peer: string, timeMs: number): O | null | undefined {
    const queue = this.awaitingSyn.get(peer);
    const slackMs = (this.clock.errorUs + this.callOverheadUs) / 1000;
    const index = queue?.findIndex((w) => w.sinceMs <= timeMs + slackMs) ?? -1;
    if (!queue || index < 0) return undefined;
    const { owner, socket } = queue[index];
    // a socket has one SYN in flight: its other calls made before this SYN sent none, or their SYN was this one
    this.unqueue(peer, (w) => w.socket !== socket || w.sinceMs > timeMs + slackMs);
    const flow = flowKey(local, peer);
    this.flows.set(flow, owner);
    this.closedFlows.delete(flow);
    const reverse = flowKey(peer, local); // a closed socket's flow the other way: its end is this one's peer now
    if (this.closedFlows.delete(reverse)) this.flows.delete(reverse);
    socket.flows.push(flow);
    return owner;
  }

  private forgetLingering(): void {
    const now = performance.now();
    while (this.lingeringHead < this.lingering.length && this.lingering[this.lingeringHead].until <= now) {
      const { socket } = this.lingering[this.lingeringHead++];
      // a flow a new socket has taken over since is no longer this one's to forget
      for (const key of socket.flows) if (this.closedFlows.delete(key)) this.flows.delete(key);
      this.unqueue(socket.peer, (w) => w.socket !== socket);
    }
    if (this.lingeringHead > 1024 && this.lingeringHead * 2 > this.lingering.length) {
      this.lingering = this.lingering.slice(this.lingeringHead);
      this.lingeringHead = 0;
    }
  }

  /** Keeps, of the connect() calls waiting for a SYN to `peer`, those that `stays` says. */
  private unqueue(peer: string, stays: (waiting: Waiting<O>) => boolean): void {
    const rest = this.awaitingSyn.get(peer)?.filter(stays) ?? [];
    if (rest.length) this.awaitingSyn.set(peer, rest);
    else this.awaitingSyn.delete(peer);
  }

  private record(packet: DecodedPacket, owner: O, direction: 'out' | 'in', timeMs: number, name: string): PacketRecord {
    const common = { attempt: owner.number, direction, timeMs, timeErrorUs: this.clock.errorUs + this.callOverheadUs, interface: name };
    const { tcp, icmp } = packet;
    if (tcp) {
      return {
        ...common,
        protocol: 'tcp',
        src: { address: packet.src, port: tcp.srcPort },
        dst: { address: packet.dst, port: tcp.dstPort },
        flags: flagLetters(tcp.flags),
        seq: tcp.seq,
        ...(tcp.flags & TCP_ACK ? { ack: tcp.ack } : {}),
        window: tcp.window,
        options: tcp.options,
        length: tcp.payloadLength,
      };
    }
    const quoted = icmp!.quoted!;
    const end = (address: IpAddress): PacketEnd => ({ address });
    return {
      ...common,
      protocol: packet.family === 4 ? 'icmp' : 'icmp6',
      src: end(packet.src),
      dst: end(packet.dst),
      flags: '',
      length: icmp!.length,
      icmp: {
        type: icmp!.type,
        code: icmp!.code,
        about: { src: { address: quoted.src, port: quoted.srcPort }, dst: { address: quoted.dst, port: quoted.dstPort } },
      },
    };
  }
}
