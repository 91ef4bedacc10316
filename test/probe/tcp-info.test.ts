import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLI, closedPort, inNetns, NETNS, NETNS_SKIP, runCli, serverForSuite, startListener } from '../helpers';

const node = (...args: string[]) => [process.execPath, CLI, ...args];

/** The TCP_INFO records of a JSON document's first address. */
function tcpInfoRecords(stdout: string) {
  const records: { call: string; option?: string; value: Record<string, string | number> }[] = JSON.parse(stdout).targets[0].addresses[0].records;
  return records.filter((r) => r.call === 'getsockopt' && r.option === 'TCP_INFO');
}

describe('TCP_INFO: the kernel\'s own account of a handshake (--tcp-info, --explain)', () => {
  const listener = serverForSuite(() => startListener());

  it('is not read by default: the trace keeps the seed\'s call sequence', async () => {
    const r = await runCli(['127.0.0.1', String(listener.port), '--mode', 'poll', '--json']);
    assert.deepEqual(tcpInfoRecords(r.stdout), []);
  });

  it('after a connect: ESTABLISHED, the handshake\'s RTT, no SYN retransmitted; read before close()', async () => {
    const r = await runCli(['127.0.0.1', String(listener.port), '--mode', 'poll', '--tcp-info', '--json']);
    assert.equal(r.code, 0);
    const [info] = tcpInfoRecords(r.stdout);
    assert.equal(info.value.tcpi_state, 'TCP_ESTABLISHED');
    assert.ok(Number(info.value.tcpi_rtt) > 0, 'an RTT was measured');
    assert.equal(info.value.tcpi_total_retrans, 0);
    const calls = JSON.parse(r.stdout).targets[0].addresses[0].records.map((x: { call: string }) => x.call);
    assert.deepEqual(calls.slice(-3), ['getsockname', 'getsockopt', 'close']);
  });

  it('--explain reads it and says how long the handshake took, strace-style in the trace', async () => {
    const r = await runCli(['127.0.0.1', String(listener.port), '--mode', 'poll', '--explain']);
    assert.match(r.stdout, /^getsockopt\(\d+, IPPROTO_TCP, TCP_INFO, \{tcpi_state=TCP_ESTABLISHED, .*tcpi_rtt=\d+.*\}, \[104\]\) = 0 </m);
    assert.match(r.stdout, /# the kernel's account: connected; the handshake took 1 RTT of \d+ us/);
  });

  it('is not read after a refusal: the RST said it all', async () => {
    const r = await runCli(['127.0.0.1', String(await closedPort()), '--mode', 'poll', '--tcp-info', '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(tcpInfoRecords(r.stdout), []);
  });
});

describe('TCP_INFO when nothing answers (a namespace that drops every packet)', { skip: NETNS_SKIP }, () => {
  it('after a poll() timeout: still SYN_SENT, and the SYN retransmissions are counted', async () => {
    const r = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '-m', 'poll', '-t', '2.5s', '--syn-retries', '2', '--tcp-info', '--json'));
    assert.equal(r.code, 3);
    const [info] = tcpInfoRecords(r.stdout);
    assert.equal(info.value.tcpi_state, 'TCP_SYN_SENT');
    assert.ok(Number(info.value.tcpi_total_retrans) >= 1, `retransmitted within 2.5 s: ${info.value.tcpi_total_retrans}`);
    assert.equal(info.value.tcpi_retransmits, info.value.tcpi_total_retrans, 'all of them this handshake\'s SYN');
    const explained = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '-m', 'poll', '-t', '2.5s', '--explain'));
    assert.match(explained.stdout, /# the kernel's account: still SYN_SENT: \d+ SYNs? (was|were) retransmitted; nothing came back/);
  });

  it('after ETIMEDOUT: the kernel closed it after retransmitting, and says how often', async () => {
    const r = await inNetns(NETNS.dropAll, node('127.0.0.1', '80', '-m', 'poll', '-t', '10s', '--syn-retries', '1', '--tcp-info', '--json'));
    assert.equal(r.code, 3);
    const address = JSON.parse(r.stdout).targets[0].addresses[0];
    assert.equal(address.verdict.errnoName, 'ETIMEDOUT');
    const [info] = tcpInfoRecords(r.stdout);
    assert.equal(info.value.tcpi_state, 'TCP_CLOSE');
    assert.ok(Number(info.value.tcpi_total_retrans) >= 1);
  });
});
