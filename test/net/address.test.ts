import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, parseIPv4, parseIPv6 } from '../../src/net/address';

describe('IPv4 parsing is strict dotted-quad', () => {
  it('accepts the four-octet form', () => {
    assert.deepEqual(Array.from(parseIPv4('192.168.0.255')!.bytes), [192, 168, 0, 255]);
    assert.deepEqual(Array.from(parseIPv4('0.0.0.0')!.bytes), [0, 0, 0, 0]);
  });
  it('refuses shorthand, octal-looking octets, out-of-range octets and junk', () => {
    for (const text of ['127.1', '127.0.0.01', '256.1.1.1', '1.2.3.4.5', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '']) {
      assert.equal(parseIPv4(text), undefined, text);
    }
  });
});

describe('IPv6 parsing and formatting', () => {
  const roundTrips: [string, string][] = [
    ['::1', '::1'],
    ['::', '::'],
    ['FE80::0001', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::', '2001:db8::'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
  ];
  for (const [input, canonical] of roundTrips) {
    it(`${input} -> ${canonical}`, () => {
      assert.equal(formatAddress(parseIPv6(input)!), canonical);
    });
  }
  it('refuses malformed text', () => {
    for (const text of ['::1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', ':1', '1:', '::1.2.3']) {
      assert.equal(parseIPv6(text), undefined, text);
    }
  });
});
