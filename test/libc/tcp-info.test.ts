import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { C } from '../../src/libc/constants';
import { decodeTcpInfo, TCP_INFO_FIELDS } from '../../src/libc/tcp-info';
import { fixtureProgram } from '../helpers';

describe('struct tcp_info, laid out as the C compiler lays it out', () => {
  const printed = execFileSync(fixtureProgram('tcp_info_layout'), { encoding: 'utf8' }).trim().split('\n');
  const c = new Map(printed.map((line) => [line.split(' ')[0], line.split(' ').slice(1).map(Number)]));

  it('every field connprobe decodes sits at offsetof() and has the size of its C declaration', () => {
    for (const [name, { offset, bytes }] of Object.entries(TCP_INFO_FIELDS)) {
      assert.deepEqual([offset, bytes], c.get(name), name);
    }
  });
  it('optlen is sizeof(struct tcp_info) and the option is TCP_INFO, as <netinet/tcp.h> says', () => {
    assert.equal(C.SIZEOF_TCP_INFO, c.get('sizeof')![0]);
    assert.equal(C.TCP_INFO, c.get('TCP_INFO')![0]);
  });
});

describe('decoding what the kernel wrote', () => {
  const bytes = Buffer.alloc(C.SIZEOF_TCP_INFO);
  bytes.writeUInt8(2, 0); // TCP_SYN_SENT
  bytes.writeUInt8(3, 2);
  bytes.writeUInt32LE(1_000_000, 8);
  bytes.writeUInt32LE(3, 100);

  it('names the state and reads each field in its C unit', () => {
    const info = decodeTcpInfo(bytes, bytes.length);
    assert.equal(info.tcpi_state, 'TCP_SYN_SENT');
    assert.equal(info.tcpi_retransmits, 3);
    assert.equal(info.tcpi_rto, 1_000_000);
    assert.equal(info.tcpi_total_retrans, 3);
  });
  it('leaves out a field past the bytes written, rather than reading garbage', () => {
    const info = decodeTcpInfo(bytes, 100);
    assert.equal(info.tcpi_total_retrans, undefined);
    assert.equal(info.tcpi_rttvar, 0);
  });
  it('prints a state number it does not know as a number', () => {
    const unknown = Buffer.from(bytes);
    unknown.writeUInt8(99, 0);
    assert.equal(decodeTcpInfo(unknown, unknown.length).tcpi_state, 'TCP_STATE_99');
  });
});
