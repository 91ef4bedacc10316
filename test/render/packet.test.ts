import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIPv4, parseIPv6 } from '../../src/net/address';
import type { PacketRecord } from '../../src/probe/record';
import { formatCaptureTotals, formatPacketLine, TcpdumpFormatter } from '../../src/render/packet';

const ip = (text: string) => (parseIPv4(text) ?? parseIPv6(text))!;

function segment(from: string, to: string, flags: string, seq: number, ack?: number, extra: Partial<PacketRecord> = {}): PacketRecord {
  const [sa, sp] = from.split(' ');
  const [da, dp] = to.split(' ');
  return {
    attempt: 1,
    direction: 'out',
    timeMs: 3.3934,
    timeErrorUs: 10,
    interface: 'lo',
    protocol: 'tcp',
    src: { address: ip(sa), port: Number(sp) },
    dst: { address: ip(da), port: Number(dp) },
    flags,
    seq,
    ...(ack === undefined ? {} : { ack }),
    window: 65495,
    options: [],
    length: 0,
    ...extra,
  };
}

const C = '127.0.0.1 38356';
const S = '127.0.0.1 12345';

describe('TcpdumpFormatter: tcpdump\'s relative sequence numbers', () => {
  it('a handshake: the SYN absolute (no ACK), the SYN-ACK absolute (sets the base), the final ACK `ack 1`, then data relative', () => {
    const f = new TcpdumpFormatter();
    assert.equal(
      f.format(segment(C, S, 'S', 4173340972, undefined, { options: ['mss 65495', 'sackOK', 'TS val 1 ecr 0', 'nop', 'wscale 10'] })),
      'IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [S], seq 4173340972, win 65495, options [mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 10], length 0',
    );
    assert.equal(f.format(segment(S, C, 'S.', 100, 4173340973)), 'IP 127.0.0.1.12345 > 127.0.0.1.38356: Flags [S.], seq 100, ack 4173340973, win 65495, length 0');
    assert.equal(f.format(segment(C, S, '.', 4173340973, 101)), 'IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [.], ack 1, win 65495, length 0');
    assert.equal(f.format(segment(C, S, 'P.', 4173340973, 101, { length: 5 })), 'IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [P.], seq 1:6, ack 1, win 65495, length 5');
    assert.equal(f.format(segment(S, C, '.', 101, 4173340978)), 'IP 127.0.0.1.12345 > 127.0.0.1.38356: Flags [.], ack 6, win 65495, length 0');
    assert.equal(f.format(segment(C, S, 'F.', 4173340978, 101)), 'IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [F.], seq 6, ack 1, win 65495, length 0');
  });

  it('a RST answering a SYN is the first segment with ACK: absolute', () => {
    const f = new TcpdumpFormatter();
    f.format(segment(C, S, 'S', 4173340972));
    assert.equal(f.format(segment(S, C, 'R.', 0, 4173340973)), 'IP 127.0.0.1.12345 > 127.0.0.1.38356: Flags [R.], seq 0, ack 4173340973, win 65495, length 0');
  });

  it('relative numbers wrap modulo 2^32', () => {
    const f = new TcpdumpFormatter();
    f.format(segment(S, C, 'S.', 0xfffffff0, 0xffffffff));
    assert.equal(f.format(segment(C, S, '.', 0xffffffff, 0xfffffff1)), 'IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [.], ack 1, win 65495, length 0');
    assert.equal(f.format(segment(C, S, 'P.', 0x0000000f, 0xfffffff1, { length: 0x20 })), 'IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [P.], seq 17:49, ack 1, win 65495, length 32');
  });

  it('conversations are kept apart by port; a new SYN-ACK on the same ports starts over', () => {
    const f = new TcpdumpFormatter();
    const other = '127.0.0.1 38360';
    f.format(segment(S, C, 'S.', 1000, 2001));
    f.format(segment(S, other, 'S.', 5000, 7001));
    assert.match(f.format(segment(C, S, '.', 2001, 1001)), /ack 1,/);
    assert.match(f.format(segment(other, S, '.', 7001, 5001)), /ack 1,/);
    f.format(segment(S, C, 'S.', 9000, 3001));
    assert.match(f.format(segment(C, S, '.', 3001, 9001)), /ack 1,/, 'the new SYN-ACK set a new base');
  });

  it('one formatter per run: a fresh one shows absolute numbers again', () => {
    const a = new TcpdumpFormatter();
    a.format(segment(S, C, 'S.', 1000, 2001));
    assert.match(new TcpdumpFormatter().format(segment(C, S, '.', 2001, 1001)), /ack 1001,/);
  });

  it('IPv6 ends are written `::1.port`, the layer `IP6`', () => {
    assert.equal(
      new TcpdumpFormatter().format(segment('::1 40000', '::1 443', 'S', 1)),
      'IP6 ::1.40000 > ::1.443: Flags [S], seq 1, win 65495, length 0',
    );
  });
});

describe('ICMP in tcpdump\'s words', () => {
  const icmp = (protocol: 'icmp' | 'icmp6', type: number, code: number, about: string, port: number, length = 68): PacketRecord => ({
    attempt: 1,
    direction: 'in',
    timeMs: 1,
    timeErrorUs: 1,
    interface: 'lo',
    protocol,
    src: { address: ip(about) },
    dst: { address: ip(about) },
    flags: '',
    length,
    icmp: { type, code, about: { src: { address: ip(about), port: 40000 }, dst: { address: ip(about), port } } },
  });
  for (const [type, code, words] of [
    [3, 1, 'ICMP host 127.0.0.1 unreachable, length 68'],
    [3, 3, 'ICMP 127.0.0.1 tcp port 81 unreachable, length 68'],
    [3, 13, 'ICMP host 127.0.0.1 unreachable - admin prohibited filter, length 68'],
    [3, 0, 'ICMP net 127.0.0.1 unreachable, length 68'],
    [11, 0, 'ICMP time exceeded in-transit, length 68'],
  ] as const) {
    it(`type ${type} code ${code}`, () => assert.equal(new TcpdumpFormatter().format(icmp('icmp', type, code, '127.0.0.1', 81)), `IP 127.0.0.1 > 127.0.0.1: ${words}`));
  }
  it('ICMPv6 port unreachable', () =>
    assert.equal(new TcpdumpFormatter().format(icmp('icmp6', 1, 4, '::1', 81, 88)), 'IP6 ::1 > ::1: ICMP6, destination unreachable, unreachable port ::1, length 88'));
});

describe('the trace\'s packet line and the capture\'s totals', () => {
  it('two spaces, seconds with 6 decimals, interface, direction padded to 3, then tcpdump\'s words', () => {
    const f = new TcpdumpFormatter();
    assert.equal(formatPacketLine(segment(C, S, 'S', 7), f), '  0.003393 lo out IP 127.0.0.1.38356 > 127.0.0.1.12345: Flags [S], seq 7, win 65495, length 0');
    assert.equal(
      formatPacketLine(segment(S, C, 'R.', 0, 8, { direction: 'in', timeMs: 12345.6789 }), f),
      '  12.345679 lo in  IP 127.0.0.1.12345 > 127.0.0.1.38356: Flags [R.], seq 0, ack 8, win 65495, length 0',
    );
  });

  it('totals as tcpdump ends a capture, singular and plural', () => {
    assert.equal(formatCaptureTotals({ captured: 4, dropped: 0 }), '4 packets captured, 0 packets dropped by kernel');
    assert.equal(formatCaptureTotals({ captured: 1, dropped: 1 }), '1 packet captured, 1 packet dropped by kernel');
  });
});
