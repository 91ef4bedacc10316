import { formatAddress, type IpAddress } from '../net/address';
import type { PacketEnd, PacketRecord } from '../probe/record';
import type { PacketSeen, ProbeEvent } from '../probe/result';
import { plural } from '../usage';

/** `127.0.0.1.45678`, `::1.45678`: an end as tcpdump writes it (the port after a dot); an address alone for ICMP. */
function formatEnd(end: PacketEnd): string {
  const text = formatAddress(end.address);
  return end.port === undefined ? text : `${text}.${end.port}`;
}

/** tcpdump's words for ICMP destination-unreachable codes (v4), about the address the error is for. */
const ICMP_UNREACHABLE: Readonly<Record<number, (about: string, port: number) => string>> = {
  0: (about) => `net ${about} unreachable`,
  1: (about) => `host ${about} unreachable`,
  2: (about) => `${about} protocol 6 unreachable`,
  3: (about, port) => `${about} tcp port ${port} unreachable`,
  9: (about) => `net ${about} unreachable - admin prohibited`,
  10: (about) => `host ${about} unreachable - admin prohibited`,
  13: (about) => `host ${about} unreachable - admin prohibited filter`,
};

/** tcpdump's words for ICMPv6 destination-unreachable codes. */
const ICMP6_UNREACHABLE: Readonly<Record<number, string>> = {
  0: 'unreachable route',
  1: 'unreachable prohibited',
  3: 'unreachable address',
  4: 'unreachable port',
  5: 'unreachable source address policy',
  6: 'unreachable reject route',
};

function formatIcmp(packet: PacketRecord): string {
  const { type, code, about } = packet.icmp!;
  const host = formatAddress(about.dst.address);
  if (packet.protocol === 'icmp6') {
    const what = type === 1 ? `destination unreachable, ${ICMP6_UNREACHABLE[code] ?? `code ${code}`} ${host}` : `type ${type}, code ${code} about ${host}`;
    return `ICMP6, ${what}, length ${packet.length}`;
  }
  const what =
    type === 3 ? (ICMP_UNREACHABLE[code]?.(host, about.dst.port) ?? `${host} unreachable - code ${code}`) : type === 11 ? 'time exceeded in-transit' : `type-#${type}`;
  return `ICMP ${what}, length ${packet.length}`;
}

/** `IP` or `IP6`, as tcpdump names the network layer. */
const layer = (address: IpAddress) => (address.family === 4 ? 'IP' : 'IP6');

/**
 * tcpdump's line for a packet, with its relative sequence numbers: as tcpdump does by default, the first segment
 * of a conversation that carries an ACK (the SYN-ACK, or a RST answering a SYN) shows absolute numbers and sets
 * each side's base; later ones with an ACK show numbers relative to it. One formatter per run: it keeps that state.
 */
export class TcpdumpFormatter {
  private readonly bases = new Map<string, { seq: number; ack: number }>();

  format(packet: PacketRecord): string {
    const ends = `${layer(packet.src.address)} ${formatEnd(packet.src)} > ${formatEnd(packet.dst)}`;
    if (packet.protocol !== 'tcp') return `${ends}: ${formatIcmp(packet)}`;
    let seq = packet.seq!;
    let ack = packet.ack;
    if (ack !== undefined) {
      const forward = `${formatEnd(packet.src)}>${formatEnd(packet.dst)}`;
      const reverse = `${formatEnd(packet.dst)}>${formatEnd(packet.src)}`;
      const base = this.bases.get(forward);
      if (!base || packet.flags.includes('S')) {
        this.bases.set(forward, { seq, ack: ack - 1 });
        this.bases.set(reverse, { seq: ack - 1, ack: seq });
      } else {
        seq = (seq - base.seq) >>> 0;
        ack = (ack - base.ack) >>> 0;
      }
    }
    const parts = [`Flags [${packet.flags}]`];
    if (packet.length > 0) parts.push(`seq ${seq}:${(seq + packet.length) >>> 0}`);
    else if (/[SFR]/.test(packet.flags)) parts.push(`seq ${seq}`);
    if (ack !== undefined) parts.push(`ack ${ack}`);
    parts.push(`win ${packet.window}`);
    if (packet.options?.length) parts.push(`options [${packet.options.join(',')}]`);
    parts.push(`length ${packet.length}`);
    return `${ends}: ${parts.join(', ')}`;
  }
}

/** A packet line of the trace: the time since the probe began, the interface, which way, then tcpdump's words. */
export function formatPacketLine(packet: PacketRecord, formatter: TcpdumpFormatter): string {
  return `  ${(packet.timeMs / 1000).toFixed(6)} ${packet.interface} ${packet.direction.padEnd(3)} ${formatter.format(packet)}`;
}

/** The end of a capture, as tcpdump ends one. */
export function formatCaptureTotals(totals: { readonly captured: number; readonly dropped: number }): string {
  return `${plural(totals.captured, 'packet')} captured, ${plural(totals.dropped, 'packet')} dropped by kernel`;
}

/**
 * A call's packets in the order to tell them: those stamped before the call began come before its line, the rest
 * after it (each is told after the call it was stamped during).
 */
export function packetsAround(event: ProbeEvent & { type: 'call' }): { before: PacketSeen[]; after: PacketSeen[] } {
  const before: PacketSeen[] = [];
  const after: PacketSeen[] = [];
  for (const seen of event.packets) (seen.packet.timeMs < event.record.startMs ? before : after).push(seen);
  return { before, after };
}
