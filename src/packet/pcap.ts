import { closeSync, openSync, writeSync } from 'node:fs';

/** pcap's magic for nanosecond timestamps (libpcap 1.5+, Wireshark and tcpdump -r read it). */
const MAGIC_NANOSECONDS = 0xa1b23c4d;
/** LINKTYPE_RAW: each record is an IPv4 or IPv6 packet with no link-layer header, what a cooked socket reads. */
const LINKTYPE_RAW = 101;

/** --pcap FILE: the probe's packets, as a classic pcap file, written as they are seen. */
export class PcapWriter {
  private readonly fd: number;

  /** Creates (or truncates) the file and writes the header; throws what the file system said. */
  constructor(path: string, snapLength: number) {
    this.fd = openSync(path, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(MAGIC_NANOSECONDS, 0);
    header.writeUInt16LE(2, 4); // version 2.4
    header.writeUInt16LE(4, 6);
    // thiszone and sigfigs stay 0
    header.writeUInt32LE(snapLength, 16);
    header.writeUInt32LE(LINKTYPE_RAW, 20);
    writeSync(this.fd, header);
  }

  /** One record: the kernel's timestamp, the bytes kept, and the packet's whole length. */
  write(realtimeNs: bigint, bytes: Buffer, length: number): void {
    const record = Buffer.alloc(16 + bytes.length);
    record.writeUInt32LE(Number(realtimeNs / 1_000_000_000n), 0);
    record.writeUInt32LE(Number(realtimeNs % 1_000_000_000n), 4);
    record.writeUInt32LE(bytes.length, 8);
    record.writeUInt32LE(length, 12);
    bytes.copy(record, 16);
    writeSync(this.fd, record);
  }

  close(): void {
    closeSync(this.fd);
  }
}
