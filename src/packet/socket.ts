import { C } from '../libc/constants';
import { E, errnoName } from '../libc/errno';
import type { Libc, PacketReadResult } from '../libc/libc';
import { quote, UsageError } from '../usage';
import { PeerScope, SNAP_LENGTH } from './filter';
import { PcapWriter } from './pcap';

/** --packets cannot capture here (no CAP_NET_RAW, most often): exit 6 in the CLI, before anything is probed. */
export class CaptureUnavailableError extends Error {
  override name = 'CaptureUnavailableError';
}

/** Room queued packets may take in the kernel: a sweep's segments between two drains, with plenty to spare. */
const RECEIVE_BUFFER_BYTES = 8 << 20;

/** A packet read off the capture socket: its bytes (cut to the snap length), whole length, and where it was seen. */
export interface RawPacket {
  readonly bytes: Buffer;
  readonly length: number;
  readonly ifindex: number;
  /** The kernel's timestamp, CLOCK_REALTIME nanoseconds. */
  readonly realtimeNs: bigint;
}

/**
 * The capture socket, opened the way libpcap opens one: a cooked AF_PACKET socket (from the network header on,
 * whatever the link) bound to no protocol, so it queues nothing until the filter is attached, then bound to every
 * protocol; read without blocking. Its calls are connprobe's own machinery, not the probe's, so they are not traced.
 */
export class PacketSocket {
  private readonly buffer = Buffer.alloc(SNAP_LENGTH);
  private packets = 0;
  private drops = 0;
  private closed = false;
  private readonly names = new Map<number, string>();

  private constructor(private readonly libc: Libc, private readonly fd: number) {}

  /**
   * Opens it, with a filter that passes none of the probe's segments yet (Capture widens it peer by peer); throws
   * CaptureUnavailableError saying which call failed and why.
   */
  static open(libc: Libc): PacketSocket {
    const program = new PeerScope().program();
    const socket = libc.socket(C.AF_PACKET, C.SOCK_DGRAM, 0);
    if (socket.ret === -1) {
      const why = socket.errno === E.EPERM || socket.errno === E.EACCES ? ': it needs CAP_NET_RAW (run as root, or grant the capability to node)' : '';
      throw new CaptureUnavailableError(`--packets: socket(AF_PACKET, SOCK_DGRAM, 0) = -1 ${errnoName(socket.errno)} (${libc.strerror(socket.errno)})${why}`);
    }
    const capture = new PacketSocket(libc, socket.ret);
    const int = (value: number) => {
      const buffer = Buffer.alloc(4);
      buffer.writeInt32LE(value);
      return buffer;
    };
    const steps: [string, () => { ret: number; errno: number }][] = [
      ['setsockopt(SO_ATTACH_FILTER)', () => libc.attachFilter(capture.fd, program)],
      ['setsockopt(SO_RCVBUFFORCE)', () => libc.setsockopt(capture.fd, C.SOL_SOCKET, C.SO_RCVBUFFORCE, int(RECEIVE_BUFFER_BYTES))],
      ['bind(ETH_P_ALL)', () => libc.bindPacket(capture.fd, C.ETH_P_ALL)],
    ];
    for (const [call, step] of steps) {
      const r = step();
      if (r.ret === -1) {
        capture.close();
        throw new CaptureUnavailableError(`--packets: ${call} = -1 ${errnoName(r.errno)} (${libc.strerror(r.errno)})`);
      }
    }
    // SIOCGSTAMPNS's first call turns the kernel's packet timestamps on (there is no packet yet: ENOENT); they
    // are then taken as each packet is sent or received, and read back with the packet
    libc.lastPacketTime(capture.fd);
    return capture;
  }

  /** Replaces the filter (atomically: a packet meets the old program or the new one). */
  setFilter(program: Buffer): void {
    const r = this.libc.attachFilter(this.fd, program);
    if (r.ret === -1) throw new Error(`setsockopt(SO_ATTACH_FILTER) = -1 ${errnoName(r.errno)}`);
  }

  /** The next queued packet, or null when none is (EAGAIN). Its bytes are valid until the next read. */
  read(): RawPacket | null {
    const r: PacketReadResult = this.libc.recvPacket(this.fd, this.buffer, C.MSG_DONTWAIT | C.MSG_TRUNC);
    if (r.ret === -1) return null;
    const stamp = this.libc.lastPacketTime(this.fd);
    return {
      bytes: this.buffer.subarray(0, Math.min(r.ret, this.buffer.length)),
      length: r.ret,
      ifindex: r.ifindex,
      realtimeNs: stamp.ret === 0 ? stamp.ns : this.libc.realtimeNs().ns,
    };
  }

  /** The name of the interface a packet was seen on, asked in the socket's own network namespace (not /sys's). */
  interfaceName(index: number): string {
    let name = this.names.get(index);
    if (name === undefined) this.names.set(index, (name = this.libc.interfaceName(this.fd, index) ?? `if${index}`));
    return name;
  }

  /** Packets the filter passed and the kernel dropped (its queue was full), since the socket was opened. */
  statistics(): { readonly packets: number; readonly drops: number } {
    if (!this.closed) {
      const r = this.libc.packetStatistics(this.fd); // the kernel resets its counters on each read
      if (r.ret === 0) {
        this.packets += r.packets;
        this.drops += r.drops;
      }
    }
    return { packets: this.packets, drops: this.drops };
  }

  close(): void {
    if (this.closed) return;
    this.statistics();
    this.closed = true;
    this.libc.close(this.fd);
  }
}

/** What an engine captures with: the socket, and --pcap's file. */
export interface PacketCapture {
  readonly socket: PacketSocket;
  readonly pcap: PcapWriter | null;
}

/**
 * Opens the capture before anything is probed: the socket (CaptureUnavailableError without CAP_NET_RAW), then
 * the pcap file if one is asked for (a UsageError if it cannot be written).
 */
export function openCapture(libc: Libc, pcapPath: string | null): PacketCapture {
  const socket = PacketSocket.open(libc);
  if (pcapPath === null) return { socket, pcap: null };
  try {
    return { socket, pcap: new PcapWriter(pcapPath, SNAP_LENGTH) };
  } catch (error) {
    socket.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write the pcap file ${quote(pcapPath)}${code ? `: ${code}` : ''}`);
  }
}
