/**
 * struct tcp_info as glibc lays it out (<netinet/tcp.h>, the same on x86-64 and arm64): the fields that tell a
 * handshake's story, by their C names and byte offsets. test/libc/tcp-info.test.ts checks every offset against
 * the C compiler's offsetof().
 */
export const TCP_INFO_FIELDS = {
  tcpi_state: { offset: 0, bytes: 1 },
  tcpi_retransmits: { offset: 2, bytes: 1 },
  tcpi_backoff: { offset: 4, bytes: 1 },
  tcpi_rto: { offset: 8, bytes: 4 },
  tcpi_snd_mss: { offset: 16, bytes: 4 },
  tcpi_rcv_mss: { offset: 20, bytes: 4 },
  tcpi_unacked: { offset: 24, bytes: 4 },
  tcpi_rtt: { offset: 68, bytes: 4 },
  tcpi_rttvar: { offset: 72, bytes: 4 },
  tcpi_total_retrans: { offset: 100, bytes: 4 },
} as const;

/** The kernel's TCP states (include/net/tcp_states.h), named as strace prints them. */
const TCP_STATES = [
  undefined,
  'TCP_ESTABLISHED',
  'TCP_SYN_SENT',
  'TCP_SYN_RECV',
  'TCP_FIN_WAIT1',
  'TCP_FIN_WAIT2',
  'TCP_TIME_WAIT',
  'TCP_CLOSE',
  'TCP_CLOSE_WAIT',
  'TCP_LAST_ACK',
  'TCP_LISTEN',
  'TCP_CLOSING',
  'TCP_NEW_SYN_RECV',
] as const;

type NumericField = Exclude<keyof typeof TCP_INFO_FIELDS, 'tcpi_state'>;

/**
 * What TCP_INFO said, field by field as C names them: the state by name (`TCP_SYN_SENT`; a number the table lacks
 * is printed as `TCP_STATE_<n>`), the SYN retransmissions of the current handshake (`tcpi_retransmits`) and of the
 * socket's life (`tcpi_total_retrans`), and times in microseconds (rto, rtt, rttvar).
 */
export type TcpInfo = { readonly tcpi_state: string } & { readonly [K in NumericField]: number };

/** Decodes the bytes the kernel wrote (`length` of them); a field past them is absent, never read as garbage. */
export function decodeTcpInfo(bytes: Buffer, length: number): Partial<TcpInfo> {
  const info: Record<string, string | number> = {};
  for (const [name, { offset, bytes: size }] of Object.entries(TCP_INFO_FIELDS)) {
    if (offset + size > length) continue;
    const value = size === 1 ? bytes.readUInt8(offset) : bytes.readUInt32LE(offset);
    info[name] = name === 'tcpi_state' ? (TCP_STATES[value] ?? `TCP_STATE_${value}`) : value;
  }
  return info as Partial<TcpInfo>;
}
