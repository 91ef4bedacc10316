import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIPv4, parseIPv6 } from '../../src/net/address';
import type { InetEndpoint } from '../../src/net/endpoint';
import { PeerScope, RangeSet, SNAP_LENGTH } from '../../src/packet/filter';
import { icmp4Error, icmp6Error, ipv4, tcp4, tcp6 } from './bytes';

/** A deterministic pseudo-random sequence (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('RangeSet', () => {
  it('covers everything added (a superset), keeps at most 32 sorted, disjoint ranges, within 0..max', () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const set = new RangeSet(0xffff);
      const added: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const value = Math.floor(next() * 0x10000);
        set.add(value);
        added.push(value);
        const list = set.list;
        assert.ok(list.length <= 32, `${list.length} ranges`);
        for (let r = 0; r < list.length; r++) {
          assert.ok(list[r][0] <= list[r][1] && list[r][0] >= 0 && list[r][1] <= 0xffff, `range ${list[r]}`);
          if (r > 0) assert.ok(list[r][0] > list[r - 1][1] + 1, 'sorted, apart');
        }
      }
      for (const value of added) assert.ok(set.covers(value), `seed ${seed}: ${value} lost`);
    }
  });

  it('add() says whether the set changed: false for a value covered already', () => {
    const set = new RangeSet(0xffff);
    assert.equal(set.add(80), true);
    assert.equal(set.add(80), false);
    assert.equal(set.add(443), true);
    assert.deepEqual(set.list, [[80, 80], [443, 443]]);
  });

  it('a sweep in order changes the set a logarithmic number of times, and never grows past max', () => {
    const set = new RangeSet(0xffff);
    let changes = 0;
    for (let port = 1; port <= 65535; port++) if (set.add(port)) changes++;
    assert.ok(changes <= 20, `${changes} changes for 65,535 ports in order`);
    assert.deepEqual(set.list, [[1, 65535]]);
    const down = new RangeSet(0xffff);
    let downChanges = 0;
    for (let port = 65535; port >= 1; port--) if (down.add(port)) downChanges++;
    assert.ok(downChanges <= 20, `${downChanges} changes going down`);
    assert.ok(down.list.length === 1 && down.list[0][0] >= 0 && down.list[0][0] <= 1 && down.list[0][1] === 65535, `${down.list}`);
  });

  it('IPv4 addresses as 32-bit numbers: the top of the range is kept', () => {
    const set = new RangeSet(0xffffffff);
    set.add(0xfffffffe);
    set.add(0xffffffff);
    assert.ok(set.covers(0xffffffff));
    assert.ok(set.list.every(([, hi]) => hi <= 0xffffffff));
  });
});

// --- a classic BPF interpreter, for the opcodes the program uses: the kernel's rules (linux/filter.h) ----------

interface Meta {
  readonly ifindex: number;
  /** sll_pkttype: 0 PACKET_HOST (received), 4 PACKET_OUTGOING. */
  readonly pkttype: number;
  /** The ether type (ETH_P_IP 0x0800, ETH_P_IPV6 0x86dd). */
  readonly protocol: number;
}

/** Runs the program over a packet (network header on); the number of bytes kept, 0 for dropped. */
function runBpf(program: Buffer, packet: Buffer, meta: Meta): number {
  let a = 0;
  let x = 0;
  const count = program.length / 8;
  const load = (offset: number, size: number): number | null => {
    if (offset === -0x1000) return meta.protocol;
    if (offset === -0x1000 + 4) return meta.pkttype;
    if (offset === -0x1000 + 8) return meta.ifindex;
    if (offset < 0 || offset + size > packet.length) return null; // out of bounds: the kernel drops the packet
    return size === 4 ? packet.readUInt32BE(offset) : size === 2 ? packet.readUInt16BE(offset) : packet[offset];
  };
  for (let pc = 0, steps = 0; pc < count && steps < 100_000; pc++, steps++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program[pc * 8 + 2];
    const jf = program[pc * 8 + 3];
    const k = program.readUInt32LE(pc * 8 + 4);
    const sk = program.readInt32LE(pc * 8 + 4);
    const size = { 0x00: 4, 0x08: 2, 0x10: 1 }[code & 0x18] ?? 0;
    switch (code) {
      case 0x20:
      case 0x28:
      case 0x30: {
        const v = load(sk, size);
        if (v === null) return 0;
        a = v;
        break;
      }
      case 0x40:
      case 0x48:
      case 0x50: {
        const v = load(x + sk, size);
        if (v === null) return 0;
        a = v;
        break;
      }
      case 0xb1: {
        const v = load(sk, 1);
        if (v === null) return 0;
        x = (v & 0x0f) * 4;
        break;
      }
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += a >>> 0 === k ? jt : jf;
        break;
      case 0x25:
        pc += a >>> 0 > k ? jt : jf;
        break;
      case 0x35:
        pc += a >>> 0 >= k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} at ${pc}: not one the filter should use`);
    }
  }
  throw new Error('ran off the end of the program');
}

const LO = 1;
const OUT = { ifindex: LO, pkttype: 4, protocol: 0x0800 };
const OUT6 = { ...OUT, protocol: 0x86dd };
const inet = (address: string, port: number): InetEndpoint => ({ address: (parseIPv4(address) ?? parseIPv6(address))!, port });

describe('PeerScope: the classic BPF program the capture socket runs', () => {
  it('before any peer: passes no TCP segment at all', () => {
    const program = new PeerScope().program();
    assert.equal(runBpf(program, tcp4({ src: '127.0.0.1', dst: '127.0.0.1', sport: 40000, dport: 80, flags: 2 }), OUT), 0);
  });

  it('passes the probe\'s segments both ways, keeps SNAP_LENGTH bytes, and drops lo\'s received copy', () => {
    const scope = new PeerScope();
    assert.equal(scope.add(inet('127.0.0.1', 12345)), true);
    assert.equal(scope.add(inet('127.0.0.1', 12345)), false, 'the same peer again: no new program needed');
    const program = scope.program();
    assert.ok(program.length % 8 === 0 && program.length / 8 < 4096);
    const syn = tcp4({ src: '127.0.0.1', dst: '127.0.0.1', sport: 38356, dport: 12345, flags: 2 });
    const rst = tcp4({ src: '127.0.0.1', dst: '127.0.0.1', sport: 12345, dport: 38356, flags: 0x14 });
    assert.equal(runBpf(program, syn, OUT), SNAP_LENGTH);
    assert.equal(runBpf(program, rst, OUT), SNAP_LENGTH);
    assert.equal(runBpf(program, syn, { ...OUT, pkttype: 0 }), 0, 'lo\'s received copy');
    assert.equal(runBpf(program, syn, { ifindex: 3, pkttype: 0, protocol: 0x0800 }), SNAP_LENGTH, 'received on another interface: kept');
  });

  it('drops other ports and other addresses, UDP, and ICMP that is not an error', () => {
    const scope = new PeerScope();
    scope.add(inet('10.77.0.2', 81));
    const program = scope.program();
    assert.equal(runBpf(program, tcp4({ src: '10.77.0.1', dst: '10.77.0.2', sport: 40000, dport: 81, flags: 2 }), OUT), SNAP_LENGTH);
    assert.equal(runBpf(program, tcp4({ src: '10.77.0.1', dst: '10.77.0.2', sport: 40000, dport: 82, flags: 2 }), OUT), 0, 'another port');
    assert.equal(runBpf(program, tcp4({ src: '10.77.0.1', dst: '10.77.0.3', sport: 40000, dport: 81, flags: 2 }), OUT), 0, 'another host');
    assert.equal(runBpf(program, ipv4('10.77.0.1', '10.77.0.2', 17, Buffer.from([0x9c, 0x40, 0, 81, 0, 8, 0, 0])), OUT), 0, 'UDP to the port');
    assert.equal(runBpf(program, ipv4('10.77.0.2', '10.77.0.1', 1, Buffer.from([0, 0, 0, 0, 0, 1, 0, 1])), OUT), 0, 'echo reply');
    const syn = tcp4({ src: '10.77.0.1', dst: '10.77.0.2', sport: 40000, dport: 81, flags: 2 });
    assert.equal(runBpf(program, icmp4Error('10.77.0.2', '10.77.0.1', 3, 1, syn), { ifindex: 3, pkttype: 0, protocol: 0x0800 }), SNAP_LENGTH, 'host unreachable');
    assert.equal(runBpf(program, ipv4('10.77.0.2', '10.77.0.1', 6, Buffer.alloc(4)), OUT), 0, 'a TCP header cut short');
  });

  it('an IPv4 header with options: ports are read after it', () => {
    const scope = new PeerScope();
    scope.add(inet('127.0.0.1', 8080));
    const withOptions = ipv4('127.0.0.1', '127.0.0.1', 6, tcp4({ src: '127.0.0.1', dst: '127.0.0.1', sport: 50000, dport: 8080, flags: 2 }).subarray(20), 7);
    assert.equal(runBpf(scope.program(), withOptions, OUT), SNAP_LENGTH);
  });

  it('IPv6: the peer\'s address and port pass, others do not; ICMPv6 errors pass', () => {
    const scope = new PeerScope();
    scope.add(inet('::1', 443));
    const program = scope.program();
    assert.equal(runBpf(program, tcp6({ src: '::1', dst: '::1', sport: 50000, dport: 443, flags: 2 }), OUT6), SNAP_LENGTH);
    assert.equal(runBpf(program, tcp6({ src: '::1', dst: '::1', sport: 50000, dport: 444, flags: 2 }), OUT6), 0);
    assert.equal(runBpf(program, tcp6({ src: '::2', dst: '::3', sport: 443, dport: 443, flags: 2 }), OUT6), 0);
    const syn = tcp6({ src: '::1', dst: '::1', sport: 50000, dport: 443, flags: 2 });
    assert.equal(runBpf(program, icmp6Error('::1', '::1', 1, 4, syn), OUT6), SNAP_LENGTH);
    assert.equal(runBpf(program, icmp6Error('::1', '::1', 128, 0, Buffer.alloc(0)), OUT6), 0, 'echo request');
  });

  it('assembles for as many IPv6 peers as it compares one by one (16), and beyond (any IPv6 address)', () => {
    for (const count of [12, 13, 16, 17, 40]) {
      const scope = new PeerScope();
      for (let i = 1; i <= count; i++) scope.add(inet(`2001:db8::${i.toString(16)}`, 80));
      const program = scope.program(); // a RangeError here: a conditional jump past 255 instructions
      assert.equal(runBpf(program, tcp6({ src: '2001:db8::ffff', dst: `2001:db8::${count.toString(16)}`, sport: 50000, dport: 80, flags: 2 }), OUT6), SNAP_LENGTH, `${count} peers`);
    }
  });

  it('assembles for dual-stack targets: ten hosts with an IPv4 and an IPv6 address each, on ten ports', () => {
    const scope = new PeerScope();
    for (let n = 1; n <= 10; n++) {
      scope.add(inet(`10.0.${n}.1`, 1000 + 7 * n));
      scope.add(inet(`2001:db8::${n.toString(16)}`, 1000 + 7 * n));
    }
    const program = scope.program();
    assert.equal(runBpf(program, tcp4({ src: '10.0.0.1', dst: '10.0.10.1', sport: 50000, dport: 1070, flags: 2 }), OUT), SNAP_LENGTH);
  });

  it('never narrower than its peers: after many random peers (v4 and v6), every peer\'s segments still pass', () => {
    const next = random(7);
    const scope = new PeerScope();
    const peers: InetEndpoint[] = [];
    for (let i = 0; i < 300; i++) {
      const v6 = next() < 0.2;
      const host = v6 ? `2001:db8::${Math.floor(next() * 0xffff).toString(16)}` : `10.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}`;
      const peer = inet(host, 1 + Math.floor(next() * 65535));
      scope.add(peer);
      peers.push(peer);
    }
    const program = scope.program();
    assert.ok(program.length / 8 < 4096, `${program.length / 8} instructions`);
    for (const peer of peers) {
      const v6 = peer.address.family === 6;
      const host = v6 ? '2001:db8::ffff:1' : '192.0.2.1';
      const make = v6 ? tcp6 : tcp4;
      const dst = peer.address.family === 6 ? [...peer.address.bytes].map((b) => b.toString(16).padStart(2, '0')).join('').replace(/(.{4})(?!$)/g, '$1:') : [...peer.address.bytes].join('.');
      const out = make({ src: host, dst, sport: 33000, dport: peer.port, flags: 2 });
      const back = make({ src: dst, dst: host, sport: peer.port, dport: 33000, flags: 0x14 });
      const meta = v6 ? OUT6 : OUT;
      assert.equal(runBpf(program, out, meta), SNAP_LENGTH, `to ${dst} ${peer.port}`);
      assert.equal(runBpf(program, back, { ...meta, ifindex: 2, pkttype: 0 }), SNAP_LENGTH, `from ${dst} ${peer.port}`);
    }
  });
});
