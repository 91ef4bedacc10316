import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSockaddr, encodeSockaddrInto } from '../../src/libc/sockaddr';
import type { Endpoint } from '../../src/net/endpoint';

const encodeSockaddr = (endpoint: Endpoint) => {
  const buf = Buffer.alloc(128, 0xee); // garbage beyond: only the returned length may be written
  const length = encodeSockaddrInto(buf, endpoint);
  assert.ok(buf.subarray(length).every((b) => b === 0xee), 'nothing written past the length');
  return buf.subarray(0, length);
};
import { parseIPv4, parseIPv6 } from '../../src/net/address';

describe('sockaddr encoding, byte for byte as <netinet/in.h> lays it out', () => {
  it('sockaddr_in: family (host order), port (network order), address, 8 zero bytes', () => {
    const buf = encodeSockaddr({ address: parseIPv4('127.0.0.1')!, port: 12345 });
    assert.equal(buf.toString('hex'), '0200' + '3039' + '7f000001' + '0000000000000000');
  });

  it('sockaddr_in6: family, port, flowinfo 0, 16 address bytes, scope id (host order)', () => {
    const address = { ...parseIPv6('fe80::1')!, scopeId: 2 };
    const buf = encodeSockaddr({ address, port: 443 });
    assert.equal(buf.length, 28);
    assert.equal(buf.toString('hex'), '0a00' + '01bb' + '00000000' + 'fe800000000000000000000000000001' + '02000000');
  });

  it('decodes what it encodes, and refuses unknown families and short lengths', () => {
    for (const endpoint of [
      { address: parseIPv4('10.1.2.3')!, port: 1 },
      { address: parseIPv6('::1')!, port: 65535 },
    ]) {
      const buf = encodeSockaddr(endpoint);
      assert.deepEqual(decodeSockaddr(buf, buf.length), endpoint);
      assert.equal(decodeSockaddr(buf, buf.length - 1), undefined);
    }
    assert.equal(decodeSockaddr(Buffer.from([1, 0, 0, 0]), 4), undefined);
  });
});
