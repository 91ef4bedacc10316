import { C } from '../libc/constants';
import { addressWord } from '../net/address';
import type { InetEndpoint } from '../net/endpoint';
import { ICMP_ERRORS, IP_PROTOCOL } from './decode';

/*
 * The classic BPF program the capture socket runs, so that the kernel queues only what may be the probe's: TCP
 * segments to or from its peers (addresses and ports), and ICMP errors (which quote the segment they are about;
 * JS checks that). Every segment is checked again in JS against the probe's own sockets: the filter is allowed to
 * be wider than the peers (a range that covers them), never narrower.
 */

/** Ranges kept per set before the closest two are merged: the program stays far below BPF's 4,096 instructions. */
const MAX_RANGES = 32;
/** IPv6 addresses compared one by one; beyond that, any IPv6 address passes (ports still filter). */
const MAX_IPV6 = 16;
/** Bytes of each packet kept: every header a probe's segment has, and room to spare. */
export const SNAP_LENGTH = 512;

/** A set of integers as at most MAX_RANGES inclusive ranges, grown generously: a superset of what was added. */
export class RangeSet {
  private ranges: [number, number][] = [];

  constructor(private readonly max: number) {}

  covers(value: number): boolean {
    return this.ranges.some(([lo, hi]) => value >= lo && value <= hi);
  }

  /**
   * Adds a value; false if it was covered already. A range that ends next to it grows by its own width again, so
   * a sweep in order (ports 1, 2, 3, ...) changes the set a logarithmic number of times, not once per value.
   */
  add(value: number): boolean {
    if (this.covers(value)) return false;
    const before = this.ranges.find(([, hi]) => hi === value - 1);
    const after = this.ranges.find(([lo]) => lo === value + 1);
    if (before) before[1] = Math.min(this.max, value + (before[1] - before[0] + 1));
    else if (after) after[0] = Math.max(0, value - (after[1] - after[0] + 1));
    else this.ranges.push([value, value]);
    this.ranges.sort((a, b) => a[0] - b[0]);
    this.normalise();
    return true;
  }

  /** Merges overlapping or touching ranges, then the closest pairs while there are too many. */
  private normalise(): void {
    const merged: [number, number][] = [];
    for (const range of this.ranges) {
      const last = merged.at(-1);
      if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
      else merged.push(range);
    }
    while (merged.length > MAX_RANGES) {
      let closest = 0;
      for (let i = 1; i < merged.length - 1; i++) if (merged[i + 1][0] - merged[i][1] < merged[closest + 1][0] - merged[closest][1]) closest = i;
      merged[closest][1] = merged[closest + 1][1];
      merged.splice(closest + 1, 1);
    }
    this.ranges = merged;
  }

  get list(): readonly (readonly [number, number])[] {
    return this.ranges;
  }
}

/** What the filter lets through: the peers' addresses and ports, as sets that only grow. */
export class PeerScope {
  private readonly ipv4 = new RangeSet(0xffffffff);
  private readonly ipv6 = new Map<string, Uint8Array>();
  private anyIpv6 = false;
  private readonly ports = new RangeSet(0xffff);

  /** Widens the scope to cover a peer; true if it changed (the program must be attached again). */
  add(peer: InetEndpoint): boolean {
    const { address } = peer;
    let changed = this.ports.add(peer.port);
    if (address.family === 4) {
      changed = this.ipv4.add(addressWord(address.bytes)) || changed;
    } else if (!this.anyIpv6) {
      const key = Buffer.from(address.bytes).toString('hex');
      if (!this.ipv6.has(key)) {
        this.ipv6.set(key, address.bytes);
        if (this.ipv6.size > MAX_IPV6) this.anyIpv6 = true;
        changed = true;
      }
    }
    return changed;
  }

  /** The program, 8 bytes per instruction (struct sock_filter), ready for SO_ATTACH_FILTER. */
  program(): Buffer {
    return assemble(this.instructions());
  }

  private instructions(): Instruction[] {
    const ipv6 = this.anyIpv6 ? null : [...this.ipv6.values()];
    return [
      // on lo every segment is seen twice, sent and received: the received copy is dropped here
      ld(W, ANCILLARY_IFINDEX),
      ...test(LOOPBACK_IFINDEX, 'lo', 'ether-type'),
      label('lo'),
      ld(W, ANCILLARY_PKTTYPE),
      ...test(C.PACKET_HOST, 'drop', 'ether-type'),
      label('ether-type'),
      ld(W, ANCILLARY_PROTOCOL),
      ...test(C.ETH_P_IP, 'ipv4', 'not-ipv4'),
      label('not-ipv4'),
      ...test(C.ETH_P_IPV6, 'ipv6', 'drop'),
      // IPv4: X = the header's length, so that [x + n] reads the TCP or ICMP header
      label('ipv4'),
      ldx4TimesIhl(),
      ld(B, 9),
      ...test(IP_PROTOCOL.TCP, 'ipv4-tcp', 'ipv4-not-tcp'),
      label('ipv4-not-tcp'),
      ...test(IP_PROTOCOL.ICMP, 'ipv4-icmp', 'drop'),
      label('ipv4-icmp'),
      ldInd(B, 0),
      ...oneOf(ICMP_ERRORS[4], 'accept', 'drop'),
      label('ipv4-tcp'),
      ld(W, 12),
      ...inRanges(this.ipv4.list, 'ipv4-src-port', 'ipv4-dst'),
      label('ipv4-src-port'),
      ldInd(H, 0),
      ...inRanges(this.ports.list, 'accept', 'ipv4-dst'),
      label('ipv4-dst'),
      ld(W, 16),
      ...inRanges(this.ipv4.list, 'ipv4-dst-port', 'drop'),
      label('ipv4-dst-port'),
      ldInd(H, 2),
      ...inRanges(this.ports.list, 'accept', 'drop'),
      // IPv6: a probe's segments carry no extension headers, so TCP or ICMPv6 starts at 40
      label('ipv6'),
      ld(B, 6),
      ...test(IP_PROTOCOL.TCP, 'ipv6-tcp', 'ipv6-not-tcp'),
      label('ipv6-not-tcp'),
      ...test(IP_PROTOCOL.ICMPV6, 'ipv6-icmp', 'drop'),
      label('ipv6-icmp'),
      ld(B, 40),
      ...oneOf(ICMP_ERRORS[6], 'accept', 'drop'),
      label('ipv6-tcp'),
      ...ipv6In(ipv6, 8, 'ipv6-src-port', 'ipv6-dst'),
      label('ipv6-src-port'),
      ld(H, 40),
      ...inRanges(this.ports.list, 'accept', 'ipv6-dst'),
      label('ipv6-dst'),
      ...ipv6In(ipv6, 24, 'ipv6-dst-port', 'drop'),
      label('ipv6-dst-port'),
      ld(H, 42),
      ...inRanges(this.ports.list, 'accept', 'drop'),
      label('accept'),
      ret(SNAP_LENGTH),
      label('drop'),
      ret(0),
    ];
  }
}

// --- a small assembler: symbolic labels, resolved to classic BPF's forward offsets --------------------------------

const LOOPBACK_IFINDEX = 1; // lo is interface 1 in every network namespace
const SKF_AD_OFF = -0x1000;
const ANCILLARY_PROTOCOL = SKF_AD_OFF + 0;
const ANCILLARY_PKTTYPE = SKF_AD_OFF + 4;
const ANCILLARY_IFINDEX = SKF_AD_OFF + 8;

const W = 0x00;
const H = 0x08;
const B = 0x10;
const BPF_LD_ABS = 0x20;
const BPF_LD_IND = 0x40;
const BPF_LDX_B_MSH = 0xb1;
const BPF_JA = 0x05;
const BPF_JEQ_K = 0x15;
const BPF_JGT_K = 0x25;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;

type Instruction =
  | { readonly kind: 'label'; readonly name: string }
  | { readonly kind: 'op'; readonly code: number; readonly k: number }
  | { readonly kind: 'jump'; readonly code: number; readonly k: number; readonly yes: string; readonly no: string }
  | { readonly kind: 'ja'; readonly to: string };

const label = (name: string): Instruction => ({ kind: 'label', name });
const ld = (size: number, offset: number): Instruction => ({ kind: 'op', code: BPF_LD_ABS | size, k: offset });
const ldInd = (size: number, offset: number): Instruction => ({ kind: 'op', code: BPF_LD_IND | size, k: offset });
const ldx4TimesIhl = (): Instruction => ({ kind: 'op', code: BPF_LDX_B_MSH, k: 0 });
const jeq = (k: number, yes: string, no: string): Instruction => ({ kind: 'jump', code: BPF_JEQ_K, k, yes, no });
const ret = (k: number): Instruction => ({ kind: 'op', code: BPF_RET_K, k });
const ja = (to: string): Instruction => ({ kind: 'ja', to });

let labels = 0;
const fresh = (name: string) => `${name}#${labels++}`;

/**
 * A conditional jump reaches 255 instructions at most: each test jumps to a label right after its block, and an
 * unconditional `ja` (32-bit offset) goes on from there.
 */
function block(tests: (yes: string) => Instruction[], yes: string, no: string): Instruction[] {
  const hit = fresh('hit');
  return [...tests(hit), ja(no), label(hit), ja(yes)];
}

/** A (loaded already) equals k: on to `yes`, else `no`, however far either is. */
function test(k: number, yes: string, no: string): Instruction[] {
  return block((hit) => {
    const miss = fresh('miss');
    return [jeq(k, hit, miss), label(miss)];
  }, yes, no);
}

/** A (loaded already) is one of the values. */
function oneOf(values: readonly number[], yes: string, no: string): Instruction[] {
  return block((hit) => values.flatMap((v) => {
    const next = fresh('next');
    return [jeq(v, hit, next), label(next)];
  }), yes, no);
}

/** A (loaded already) is within one of the ranges. */
function inRanges(ranges: readonly (readonly [number, number])[], yes: string, no: string): Instruction[] {
  return block((hit) => ranges.flatMap(([lo, hi]) => {
    const next = fresh('next');
    if (lo === hi) return [jeq(lo, hit, next), label(next)];
    const checkHigh = fresh('high');
    return [
      { kind: 'jump', code: BPF_JGE_K, k: lo, yes: checkHigh, no: next },
      label(checkHigh),
      { kind: 'jump', code: BPF_JGT_K, k: hi, yes: next, no: hit },
      label(next),
    ];
  }), yes, no);
}

/** The 16-byte address at `offset` is one of the addresses (null: any address). */
function ipv6In(addresses: readonly Uint8Array[] | null, offset: number, yes: string, no: string): Instruction[] {
  if (addresses === null) return [ja(yes)];
  return block((hit) => addresses.flatMap((bytes) => {
    const next = fresh('next');
    const out: Instruction[] = [];
    for (let i = 0; i < 4; i++) {
      const same = i === 3 ? hit : fresh('same');
      out.push(ld(W, offset + 4 * i), jeq(addressWord(bytes, 4 * i), same, next));
      if (i < 3) out.push(label(same));
    }
    return [...out, label(next)];
  }), yes, no);
}

/** Resolves labels to offsets and encodes each instruction as struct sock_filter (u16 code, u8 jt, u8 jf, u32 k). */
function assemble(instructions: readonly Instruction[]): Buffer {
  const at = new Map<string, number>();
  let count = 0;
  for (const instruction of instructions) {
    if (instruction.kind === 'label') at.set(instruction.name, count);
    else count++;
  }
  const out = Buffer.alloc(count * C.SIZEOF_SOCK_FILTER);
  let pc = 0;
  const offset = (name: string, max: number) => {
    const target = at.get(name);
    const distance = target === undefined ? -1 : target - pc - 1;
    if (distance < 0 || distance > max) throw new RangeError(`BPF: jump to ${name} is ${distance} instructions`);
    return distance;
  };
  for (const instruction of instructions) {
    if (instruction.kind === 'label') continue;
    const base = pc * C.SIZEOF_SOCK_FILTER;
    switch (instruction.kind) {
      case 'op':
        out.writeUInt16LE(instruction.code, base);
        out.writeInt32LE(instruction.k | 0, base + 4);
        break;
      case 'jump':
        out.writeUInt16LE(instruction.code, base);
        out[base + 2] = offset(instruction.yes, 255);
        out[base + 3] = offset(instruction.no, 255);
        out.writeUInt32LE(instruction.k >>> 0, base + 4);
        break;
      case 'ja':
        out.writeUInt16LE(BPF_JA, base);
        out.writeUInt32LE(offset(instruction.to, 0xffffffff), base + 4);
        break;
    }
    pc++;
  }
  return out;
}
