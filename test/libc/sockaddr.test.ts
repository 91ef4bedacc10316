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
    assert.equal(decodeSockaddr(Buffer.from([17, 0, 0, 0]), 4), undefined, 'AF_PACKET');
  });
});

describe('sockaddr_un, byte for byte as <sys/un.h> lays it out', () => {
  it('a pathname: family 1, the path, its NUL; the length counts the NUL (as the kernel reports a bound path)', () => {
    const buf = encodeSockaddr({ family: 'unix', path: '/run/x.sock' });
    assert.equal(buf.length, 2 + 11 + 1);
    assert.equal(buf.toString('hex'), '0100' + Buffer.from('/run/x.sock').toString('hex') + '00');
  });

  it('an abstract name: family, a NUL, the name, and no trailing NUL (it would be part of the name)', () => {
    const buf = encodeSockaddr({ family: 'unix', path: '@name' });
    assert.equal(buf.length, 2 + 1 + 4);
    assert.equal(buf.toString('hex'), '0100' + '00' + Buffer.from('name').toString('hex'));
  });

  it('the longest names fill sun_path exactly; one byte more is refused before a byte is written', () => {
    assert.equal(encodeSockaddr({ family: 'unix', path: `/${'a'.repeat(106)}` }).length, 110);
    assert.equal(encodeSockaddr({ family: 'unix', path: `@${'a'.repeat(107)}` }).length, 110);
    for (const path of [`/${'a'.repeat(107)}`, `@${'a'.repeat(108)}`, '', '@', '/a\0b']) {
      const buf = Buffer.alloc(128, 0xee);
      assert.throws(() => encodeSockaddrInto(buf, { family: 'unix', path }), RangeError, JSON.stringify(path));
      assert.ok(buf.every((b) => b === 0xee), 'nothing written');
    }
  });

  it('decodes an unnamed socket (length 2), a pathname up to its NUL, an abstract name up to the length', () => {
    assert.deepEqual(decodeSockaddr(Buffer.from([1, 0]), 2), { family: 'unix', path: '' });
    for (const path of ['/run/x.sock', '@name', 'relative.sock']) {
      const buf = encodeSockaddr({ family: 'unix', path });
      assert.deepEqual(decodeSockaddr(buf, buf.length), { family: 'unix', path });
    }
    const padded = Buffer.alloc(110);
    encodeSockaddrInto(padded, { family: 'unix', path: '/x' });
    assert.deepEqual(decodeSockaddr(padded, 110), { family: 'unix', path: '/x' }, 'sizeof(struct sockaddr_un): up to the NUL');
  });
});

