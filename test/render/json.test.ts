import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { closedPort, ROOT, runCli, serverForSuite, startFullBacklog, startListener } from '../helpers';

const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'connprobe.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const validateDocument = ajv.compile({ ...schema, oneOf: undefined, $ref: '#/definitions/document' });
const validateEvent = ajv.compile({ ...schema, oneOf: undefined, $ref: '#/definitions/event', $id: `${schema.$id}#event` });

function assertValid(validate: typeof validateDocument, value: unknown, label: string) {
  assert.ok(validate(value), `${label}: ${ajv.errorsText(validate.errors)}`);
}

describe('--json and --ndjson validate against schema/connprobe.schema.json', () => {
  const listener = serverForSuite(() => startListener());
  const fullQueue = serverForSuite(() => startFullBacklog());
  let closed: number;
  before(async () => {
    closed = await closedPort();
  });

  const runs: [string, () => string[]][] = [
    ['repeat, closed port', () => ['127.0.0.1', String(closed)]],
    ['poll, listener', () => ['127.0.0.1', String(listener.port), '-m', 'poll']],
    ['fresh, closed, 2 attempts', () => ['::1', String(closed), '-m', 'fresh', '-c', '2', '-i', '0']],
    ['blocking, full queue', () => ['127.0.0.1', String(fullQueue.port), '-m', 'blocking', '-t', '200ms']],
    ['a name', () => ['localhost', String(listener.port), '-m', 'poll']],
    ['many targets', () => [`127.0.0.1:${listener.port}`, `127.0.0.1:${closed}`, `127.0.0.1:${fullQueue.port}`, '-t', '200ms']],
    ['--wait', () => ['127.0.0.1', String(closed), '--wait', '200ms', '-i', '50ms']],
  ];
  for (const [label, args] of runs) {
    it(label, async () => {
      const json = await runCli([...args(), '--json']);
      const document = JSON.parse(json.stdout);
      assertValid(validateDocument, document, label);
      assert.equal(document.exitCode, json.code, 'the document states the exit code');

      const ndjson = await runCli([...args(), '--ndjson']);
      const events = ndjson.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
      events.forEach((event, i) => assertValid(validateEvent, event, `${label}, line ${i + 1}`));
      assert.equal(events.at(-1).type, 'end');
      assert.equal(events.at(-1).exitCode, ndjson.code);
      assert.ok(events.some((e) => e.type === 'target'));
    });
  }

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

  it('a schema that would accept anything is not what is tested', () => {
    assert.equal(validateDocument({ schemaVersion: 1, tool: 'connprobe' }), false);
    assert.equal(validateEvent({ schemaVersion: 1, type: 'call', peer: null, record: { call: 'socket' } }), false);
  });
});
