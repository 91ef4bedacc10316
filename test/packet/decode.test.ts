import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress } from '../../src/net/address';
import { decodePacket, flagLetters } from '../../src/packet/decode';
import { icmp4Error, icmp6Error, ipv4, ipv6, SYN_OPTIONS, tcp4, tcp6, tcpSegment } from './bytes';

describe('flagLetters: tcpdump\'s letters, in its order (F S R P . U E W)', () => {
  for (const [bits, letters] of [
    [0x02, 'S'],
    [0x12, 'S.'],
    [0x14, 'R.'],
    [0x04, 'R'],
    [0x10, '.'],
    [0x11, 'F.'],
    [0x18, 'P.'],
    [0x19, 'FP.'],
    [0xc2, 'SEW'],
    [0xff, 'FSRP.UEW'],
    [0x00, 'none'],
  ] as const) {
    it(`0x${bits.toString(16)} -> ${letters}`, () => assert.equal(flagLetters(bits), letters));
  }
});

describe('decodePacket', () => {
  it('an IPv4 SYN with Linux\'s options: addresses, ports, numbers, options as tcpdump writes them', () => {
    const p = decodePacket(tcp4({ src: '127.0.0.1', dst: '127.0.0.1', sport: 38356, dport: 12345, seq: 4173340972, flags: 0x02, options: SYN_OPTIONS }))!;
    assert.equal(p.family, 4);
    assert.equal(formatAddress(p.src), '127.0.0.1');
    assert.equal(p.icmp, null);
    assert.deepEqual({ ...p.tcp }, {
      srcPort: 38356,
      dstPort: 12345,
      seq: 4173340972,
      ack: 0,
      flags: 0x02,
      window: 65495,
      options: ['mss 65495', 'sackOK', 'TS val 1 ecr 0', 'nop', 'wscale 10'],
      payloadLength: 0,
    });
  });

  it('a RST-ACK with no options; seq and ack above 2^31 stay unsigned', () => {
    const p = decodePacket(tcp4({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, seq: 0xfffffffe, ack: 0x80000001, flags: 0x14, window: 0 }))!;
    assert.equal(p.tcp!.seq, 0xfffffffe);
    assert.equal(p.tcp!.ack, 0x80000001);
    assert.deepEqual(p.tcp!.options, []);
    assert.equal(flagLetters(p.tcp!.flags), 'R.');
  });

  it('payload length comes from the IP header, past IP options, and even when the bytes are cut short (snap length)', () => {
    const packet = ipv4('127.0.0.1', '127.0.0.2', 6, tcpSegment({ src: '', dst: '', sport: 1, dport: 2, flags: 0x18, payload: 700 }), 6);
    const whole = decodePacket(packet)!;
    assert.equal(whole.tcp!.srcPort, 1, 'the TCP header starts after the 24-byte IP header');
    assert.equal(whole.tcp!.payloadLength, 700);
    assert.equal(decodePacket(packet.subarray(0, 64))!.tcp!.payloadLength, 700);
  });

  it('an IPv6 segment', () => {
    const p = decodePacket(tcp6({ src: '::1', dst: 'fe80::1', sport: 5, dport: 443, seq: 7, ack: 9, flags: 0x10 }))!;
    assert.equal(p.family, 6);
    assert.equal(formatAddress(p.dst), 'fe80::1');
    assert.equal(p.tcp!.dstPort, 443);
    assert.equal(p.tcp!.ack, 9);
  });

  it('malformed options end with `bad opt`; unknown kinds are named; eol stops', () => {
    const opts = (options: number[]) => decodePacket(tcp4({ src: '1.2.3.4', dst: '5.6.7.8', sport: 1, dport: 2, flags: 2, options }))!.tcp!.options;
    assert.deepEqual(opts([2, 3, 5, 1]), ['bad opt'], 'mss of length 3: tcpdump prints [bad opt] and stops there, as the decoder\'s own comment says');
    assert.deepEqual(opts([1, 30, 2, 1]), ['nop', 'unknown-30', 'nop']);
    assert.deepEqual(opts([1, 0, 2, 4, 5, 0xb4]), ['nop', 'eol']);
    assert.deepEqual(opts([2, 40, 0, 0]), ['bad opt'], 'an option longer than the header');
    assert.deepEqual(opts([5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1]), ['sack 1 {1:2}', 'nop', 'nop']);
  });

  it('an ICMP host-unreachable quoting a SYN: type, code, length, and the quoted segment\'s ends', () => {
    const syn = tcp4({ src: '10.77.0.1', dst: '10.77.0.2', sport: 43136, dport: 81, seq: 1, flags: 2, options: SYN_OPTIONS });
    const p = decodePacket(icmp4Error('10.77.0.2', '10.77.0.1', 3, 1, syn))!;
    assert.equal(p.tcp, null);
    assert.equal(p.icmp!.type, 3);
    assert.equal(p.icmp!.code, 1);
    assert.equal(p.icmp!.length, 8 + 20 + 8);
    const q = p.icmp!.quoted!;
    assert.deepEqual([formatAddress(q.src), q.srcPort, formatAddress(q.dst), q.dstPort, q.protocol], ['10.77.0.1', 43136, '10.77.0.2', 81, 6]);
  });

  it('an ICMP echo quotes nothing; an ICMPv6 destination unreachable quotes its IPv6 segment', () => {
    assert.equal(decodePacket(ipv4('1.1.1.1', '2.2.2.2', 1, Buffer.from([8, 0, 0, 0, 0, 1, 0, 1])))!.icmp!.quoted, null);
    const syn = tcp6({ src: '2001:db8::1', dst: '2001:db8::2', sport: 50000, dport: 22, flags: 2 });
    const p = decodePacket(icmp6Error('2001:db8::ff', '2001:db8::1', 1, 4, syn))!;
    assert.equal(p.family, 6);
    assert.deepEqual([p.icmp!.type, p.icmp!.code], [1, 4]);
    assert.deepEqual([formatAddress(p.icmp!.quoted!.src), p.icmp!.quoted!.srcPort, p.icmp!.quoted!.dstPort], ['2001:db8::1', 50000, 22]);
  });

  it('what connprobe does not read is null: UDP, ICMPv4 inside IPv6, a cut header, not IP at all', () => {
    assert.equal(decodePacket(ipv4('1.1.1.1', '2.2.2.2', 17, Buffer.alloc(8))), null);
    assert.equal(decodePacket(ipv6('::1', '::1', 1, Buffer.alloc(8))), null);
    assert.equal(decodePacket(tcp4({ src: '1.1.1.1', dst: '2.2.2.2', sport: 1, dport: 2, flags: 2 }).subarray(0, 30)), null);
    assert.equal(decodePacket(Buffer.alloc(10)), null);
    assert.equal(decodePacket(Buffer.from([0x45])), null);
    assert.equal(decodePacket(Buffer.alloc(0)), null);
  });
});
