import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { BACKEND, closedPort, ROOT, runCli, serverForSuite, startFullBacklog, startListener } from '../helpers';
import { randomAbstractName, socketDirForSuite, startUnixServer, type Held } from '../unix-helpers';

type Schema = Record<string, unknown> & { definitions: Record<string, unknown> };

/** The published schema: open, so that a consumer pinned to it still validates later v2 output. */
const published = JSON.parse(readFileSync(join(ROOT, 'schema', 'connprobe.schema.json'), 'utf8')) as Schema;

/**
 * The closed copy our own output must meet (the schema's description says why): every `additionalProperties: true`
 * becomes false and every `future*` definition (event types and calls not described yet) becomes false, so a
 * misspelt or stray field, event type or call name fails here.
 */
function closedWorld(schema: Schema): Schema {
  const close = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(close);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, key === 'additionalProperties' && v === true ? false : close(v)]),
    );
  };
  const closed = close(schema) as Schema;
  for (const name of Object.keys(closed.definitions)) if (name.startsWith('future')) closed.definitions[name] = false;
  return closed;
}

function validator(schema: Schema, definition: 'document' | 'event') {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile({ ...schema, oneOf: undefined, $ref: `#/definitions/${definition}` });
  return Object.assign((value: unknown) => validate(value) as boolean, {
    errors: () => ajv.errorsText(validate.errors),
  });
}

const validateDocument = validator(closedWorld(published), 'document');
const validateEvent = validator(closedWorld(published), 'event');
const publishedDocument = validator(published, 'document');
const publishedEvent = validator(published, 'event');

function assertValid(validate: ReturnType<typeof validator>, value: unknown, label: string) {
  assert.ok(validate(value), `${label}: ${validate.errors()}`);
}

/** Every number in a document or event, with its key: times are rounded to the microsecond. */
function numbers(value: unknown, key = '', out: [string, number][] = []): [string, number][] {
  if (typeof value === 'number') out.push([key, value]);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) numbers(v, k, out);
  return out;
}

function assertMicroseconds(value: unknown, label: string) {
  for (const [key, n] of numbers(value)) {
    if (key.endsWith('Us')) assert.ok(Number.isInteger(n), `${label}: ${key} ${n} in whole microseconds`);
    else assert.ok(Math.abs(n * 1000 - Math.round(n * 1000)) < 1e-6, `${label}: ${key} ${n} has at most 3 decimals`);
  }
}

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('--json and --ndjson validate against schema/connprobe.schema.json', () => {
  const listener = serverForSuite(() => startListener());
  const fullQueue = serverForSuite(() => startFullBacklog());
  let closed: number;
  const sockets = socketDirForSuite();
  let unixListener: Held;
  before(async () => {
    closed = await closedPort();
    unixListener = await startUnixServer('listen', sockets.file('l.sock'));
  });
  after(() => unixListener.close());

  const runs: [string, () => string[]][] = [
    ['repeat, closed port', () => ['127.0.0.1', String(closed)]],
    ['poll, listener', () => ['127.0.0.1', String(listener.port), '-m', 'poll']],
    ['--tcp-info, listener and full queue', () => [`127.0.0.1:${listener.port}`, `127.0.0.1:${fullQueue.port}`, '-t', '200ms', '--tcp-info']],
    ['fresh, closed, 2 attempts', () => ['::1', String(closed), '-m', 'fresh', '-c', '2', '-i', '0']],
    ['blocking, full queue', () => ['127.0.0.1', String(fullQueue.port), '-m', 'blocking', '-t', '200ms']],
    ['a name', () => ['localhost', String(listener.port), '-m', 'poll']],
    ['many targets', () => [`127.0.0.1:${listener.port}`, `127.0.0.1:${closed}`, `127.0.0.1:${fullQueue.port}`, '-t', '200ms']],
    ['--wait', () => ['127.0.0.1', String(closed), '--wait', '200ms', '-i', '50ms']],
    ['--wait --stable', () => ['127.0.0.1', String(listener.port), '--wait', '2s', '--stable', '100ms', '-i', '20ms']],
    ['--source, one target', () => ['127.0.0.1', String(listener.port), '-m', 'poll', '--source', '127.0.0.2']],
    ['--source with a port, bind() refused', () => [`127.0.0.1:${closed}`, `127.0.0.1:${listener.port}`, '--source', `127.0.0.1:${listener.port}`]],
    ['a unix socket, listening', () => [`unix:${sockets.file('l.sock')}`, '-m', 'poll']],
    ['unix and TCP targets', () => [`unix:${sockets.file('l.sock')}`, `unix:${sockets.file('none.sock')}`, `unix:${randomAbstractName()}`, `127.0.0.1:${listener.port}`, '--tcp-info']],
    ['--packets, repeat, closed port', () => ['127.0.0.1', String(closed), '--packets']],
    ['--packets, poll, listener over IPv6', () => ['::1', String(listener.port), '-m', 'poll', '--packets']],
    ['--packets, many targets', () => [`127.0.0.1:${listener.port}`, `127.0.0.1:${closed}`, '--packets']],
  ];
  for (const [label, args] of runs) {
    it(label, async () => {
      const json = await runCli([...args(), '--json']);
      const document = JSON.parse(json.stdout);
      assertValid(validateDocument, document, label);
      assert.equal(document.schemaVersion, 2);
      assertValid(publishedDocument, { ...document, addedLater: true }, `${label}, with a field added within v2`);
      assert.equal(validateDocument({ ...document, addedLater: true }), false, 'a stray field in our own output');
      assert.equal(publishedDocument({ ...document, schemaVersion: 1 }), false, 'another schema version');
      assert.equal(document.exitCode, json.code, 'the document states the exit code');
      assertMicroseconds(document, label);

      const ndjson = await runCli([...args(), '--ndjson']);
      const events = ndjson.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
      events.forEach((event, i) => assertValid(validateEvent, event, `${label}, line ${i + 1}`));
      events.forEach((event, i) => assertMicroseconds(event, `${label}, line ${i + 1}`));
      assert.ok(events.every((e) => e.schemaVersion === 2));
      assert.equal(events[0].type, 'start');
      assert.equal(events.at(-1).type, 'end');
      assert.equal(events.at(-1).exitCode, ndjson.code);
      assert.ok(events.some((e) => e.type === 'target'));
    });
  }

  it('the NDJSON stream starts with a start event: tool, version, backend, ISO start time, mode, options', async () => {
    const before = Date.now();
    const ndjson = await runCli(['127.0.0.1', String(closed), '-m', 'fresh', '-c', '2', '-i', '0', '--ndjson']);
    const start = JSON.parse(ndjson.stdout.split('\n')[0]);
    assertValid(validateEvent, start, 'start');
    assert.equal(start.type, 'start');
    assert.equal(start.tool, 'connprobe');
    assert.equal(start.version, VERSION);
    assert.equal(start.backend, BACKEND);
    assert.equal(start.mode, 'fresh');
    assert.equal(start.options.count, 2);
    assert.equal(new Date(start.startedAt).toISOString(), start.startedAt, 'ISO 8601, as toISOString writes it');
    assert.ok(Math.abs(Date.parse(start.startedAt) - before) < 60_000);

    const document = JSON.parse((await runCli(['127.0.0.1', String(closed), '--json'])).stdout);
    assert.equal(document.backend, BACKEND, 'the document carries the same header');
    assert.equal(document.version, VERSION);
    assert.equal(new Date(document.startedAt).toISOString(), document.startedAt);
    assert.ok(Math.abs(Date.parse(document.startedAt) - before) < 60_000);
  });

  it('options say what ran: each option as it acted in the mode, null only where it does not apply', async () => {
    const options = async (args: string[]) => JSON.parse((await runCli(['127.0.0.1', String(closed), ...args, '--json'])).stdout).options;
    const none = { repeat: null, count: null, intervalMs: null, wait: false, waitMs: null, concurrency: null };
    assert.deepEqual(pick(await options([])), { ...none, repeat: 3 }, 'repeat mode: its 3 calls, not null');
    assert.equal((await options(['-m', 'blocking'])).repeat, 1);
    assert.equal((await options(['--expect-sequence', 'EINPROGRESS,ECONNREFUSED'])).repeat, 2, 'as many calls as the sequence names');
    assert.deepEqual(pick(await options(['-m', 'fresh', '-c', '2', '-i', '0'])), { ...none, count: 2, intervalMs: 0 });
    assert.deepEqual(pick(await options(['-m', 'poll', '-t', '1.5'])), none);
    assert.equal((await options(['-m', 'poll', '-t', '1.5'])).timeoutMs, 1500);
    assert.deepEqual(pick(await options(['--wait', '300ms', '-i', '100ms', '--expect', 'refused'])), { ...none, intervalMs: 100, wait: true, waitMs: 300, concurrency: 512 });
    assert.deepEqual((await options(['--wait', 'inf', '--expect', 'refused'])).waitMs, null, 'no deadline: JSON has no Infinity');
  });

  it('every number the human output shows is in the JSON: per-call times, handshake, statistics', async () => {
    const args = ['127.0.0.1', String(listener.port), '-m', 'fresh', '-c', '2', '-i', '0'];
    const document = JSON.parse((await runCli([...args, '--json'])).stdout);
    const address = document.targets[0].addresses[0];
    assert.ok(address.records.every((r: { durationUs: number; startMs: number }) => r.durationUs > 0 && r.startMs >= 0));
    assert.equal(address.stats.attempts, 2);
    for (const key of ['minMs', 'avgMs', 'maxMs', 'stddevMs']) assert.equal(typeof address.stats[key], 'number');
    assert.equal(address.verdict.local.family, 4);
    assert.equal(typeof address.handshakeMs, 'number');
  });

  it('the NDJSON target event counts every attempt, though a streamed run keeps no records', async () => {
    const ndjson = await runCli(['127.0.0.1', String(closed), '-m', 'fresh', '-c', '3', '-i', '0', '--ndjson']);
    const target = ndjson.stdout.trimEnd().split('\n').map((line) => JSON.parse(line)).find((e) => e.type === 'target').target;
    assert.equal(target.addresses[0].attempts, 3);
    assert.equal(typeof target.addresses[0].handshakeMs, 'number');
  });
});

/** The options that depend on the mode. */
function pick(options: Record<string, unknown>) {
  const { repeat, count, intervalMs, wait, waitMs, concurrency } = options;
  return { repeat, count, intervalMs, wait, waitMs, concurrency };
}

describe('schema/connprobe.schema.json: strict on what we emit, open to additions within v2', () => {
  const common = { attempt: 1, ret: 0, errno: 0, errnoName: null, strerror: 'Success', startMs: 1.5, durationUs: 12 };
  const peer = { address: '127.0.0.1', family: 4, port: 80 };
  const callEvent = (record: object, over: object = {}) => ({ schemaVersion: 2, type: 'call', target: 0, peer, record, ...over });
  const socket = { call: 'socket', family: 'AF_INET', type: 'SOCK_STREAM', protocol: 0, ...common, ret: 3 };

  it('a schema that would accept anything is not what is tested', () => {
    assert.equal(validateDocument({ schemaVersion: 2, tool: 'connprobe' }), false);
    assert.equal(validateEvent(callEvent({ call: 'socket' }, { peer: null })), false);
    assert.equal(publishedEvent(callEvent({ call: 'socket' })), false);
    assertValid(validateEvent, callEvent(socket), 'a well-formed socket record');
  });

  it('rejects a malformed record of a call we make', () => {
    const malformed: [string, object][] = [
      ['socket without its arguments', { call: 'socket', ...common }],
      ['connect without a peer', { call: 'connect', fd: 3, addrlen: 16, ...common }],
      ['getsockopt SO_ERROR without its errno name', { call: 'getsockopt', fd: 3, level: 'SOL_SOCKET', option: 'SO_ERROR', value: 111, ...common }],
      ['errno set on a success', { ...socket, errno: 111, errnoName: 'ECONNREFUSED' }],
      ['an errno without its name', { ...socket, ret: -1, errno: 24 }],
      ['attempt 0 on a socket()', { ...socket, attempt: 0 }],
      ['a string where an fd goes', { call: 'close', fd: '3', ...common }],
      ['an inet peer without a port', { call: 'connect', fd: 3, peer: { address: '127.0.0.1', family: 4 }, addrlen: 16, ...common }],
    ];
    for (const [label, record] of malformed) {
      assert.equal(publishedEvent(callEvent(record)), false, label);
      assert.equal(validateEvent(callEvent(record)), false, label);
    }
    const sharedPoll = { call: 'poll', fds: [{ fd: 3, events: 'POLLOUT', revents: 4 }, { fd: 4, events: 'POLLOUT', revents: 0 }], timeoutMs: 250, ...common, attempt: 0, ret: 1 };
    assertValid(validateEvent, callEvent(sharedPoll, { target: null, peer: null }), 'a shared poll');
    assert.equal(validateEvent(callEvent(sharedPoll)), false, 'a shared poll has no target nor peer');
    assert.equal(validateEvent(callEvent(socket, { target: null, peer: null })), false, 'only a shared poll lacks a target');
  });

  it('rejects another schema version, at top level and in every event', () => {
    assert.equal(validateEvent({ schemaVersion: 1, type: 'end', exitCode: 0, interrupted: false, durationMs: 3 }), false);
    assert.equal(publishedEvent({ schemaVersion: 3, type: 'end', exitCode: 0, interrupted: false, durationMs: 3 }), false);
    assert.equal(publishedEvent({ type: 'end', exitCode: 0, interrupted: false, durationMs: 3 }), false);
    assertValid(validateEvent, { schemaVersion: 2, type: 'end', exitCode: 0, interrupted: false, durationMs: 3 }, 'end');
  });

  it('the published schema admits additions within v2; the closed copy catches them in our own output', () => {
    const additions: [string, object][] = [
      ['an unknown field', callEvent({ ...socket, cookie: 1 })],
      ['an unknown event type', { schemaVersion: 2, type: 'progress', done: 3 }],
      ['a call not described yet', callEvent({ call: 'shutdown', fd: 3, how: 'SHUT_WR', ...common })],
    ];
    for (const [label, event] of additions) {
      assertValid(publishedEvent, event, label);
      assert.equal(validateEvent(event), false, `${label}: caught in our own output`);
    }
    assert.equal(publishedEvent(callEvent({ call: 'shutdown', fd: 3 })), false, 'a later call still has the common fields');
  });

  it('describes what comes within v2: unix endpoints, struct-valued getsockopt, packet events', () => {
    const unix = { family: 'unix', path: '/run/app.sock' };
    assertValid(validateEvent, callEvent({ call: 'connect', fd: 3, peer: unix, addrlen: 110, ...common }, { peer: unix }), 'a unix peer');
    assert.equal(validateEvent(callEvent({ call: 'connect', fd: 3, peer: { family: 'unix', port: 1 }, addrlen: 110, ...common })), false);
    const tcpInfo = { call: 'getsockopt', fd: 3, level: 'IPPROTO_TCP', option: 'TCP_INFO', value: { tcpi_state: 'TCP_ESTABLISHED', tcpi_rtt: 41 }, optlen: 104, ...common };
    assertValid(validateEvent, callEvent(tcpInfo), 'a struct-valued getsockopt');
    assert.equal(validateEvent(callEvent({ ...tcpInfo, optlen: undefined })), false, 'TCP_INFO says how many bytes the kernel wrote');
    assert.equal(validateEvent(callEvent({ ...tcpInfo, value: { tcpi_state: 1 } })), false, 'the state by name');
    const packet = {
      schemaVersion: 2, type: 'packet', target: 0, peer, attempt: 1, direction: 'out', timeMs: 1.25, timeErrorUs: 12, interface: 'lo',
      protocol: 'tcp', src: { ...peer, port: 40000 }, dst: peer, flags: 'S', seq: 1, window: 65495, options: ['mss 65495'], length: 0,
    };
    assertValid(validateEvent, packet, 'a packet');
    assert.equal(validateEvent({ ...packet, direction: 'sideways' }), false);
    assert.equal(validateEvent({ ...packet, dst: undefined }), false);
    assert.equal(validateEvent({ ...packet, flags: 'SYN' }), false, "flags in tcpdump's letters");
    const icmp = { ...packet, direction: 'in', protocol: 'icmp', src: { address: '127.0.0.1', family: 4 }, dst: { address: '127.0.0.1', family: 4 }, flags: '', length: 48, icmp: { type: 3, code: 1, about: { src: { ...peer, port: 40000 }, dst: peer } } };
    assertValid(validateEvent, icmp, 'an ICMP error about a segment of the probe');
  });
});
