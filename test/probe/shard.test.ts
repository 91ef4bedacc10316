import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BACKEND, CLI, inNetns, NETNS, NETNS_SKIP, netnsListeners, ROOT, scratchFiles, signalHandled, startInDroppingNetns } from '../helpers';
import { readAhead, shardCount, SHARD_FROM } from '../../src/probe/shard';
import { parseTargets, type TargetSpec } from '../../src/target/parse';

const node = (...args: string[]) => [process.execPath, CLI, ...args, '--ffi', BACKEND];
const INDEX = join(ROOT, 'dist', 'src', 'index.js');

/**
 * A node script, run in the namespace, that probes `targets` with the API on `threads` threads and prints each
 * result as JSON, one per line, without what differs from run to run.
 */
function apiSweep(targets: readonly string[], threads: number, extra = ''): string[] {
  const script = `
    const { probeConcurrently, parseTargets } = require(${JSON.stringify(INDEX)});
    probeConcurrently({ targets: parseTargets(${JSON.stringify(targets)}), keepRecords: false, threads: ${threads}, backend: '${BACKEND}' ${extra} })
      .then((run) => {
        // times, and the ephemeral port of a connection, differ from run to run
        const timeless = (key, value) => (/Ms$/.test(key) && typeof value === 'number' ? 'ms' : key === 'local' && value ? 'local' : value);
        process.stdout.write(run.targets.map((t) => JSON.stringify(t, timeless)).join('\\n') + '\\n');
        process.stderr.write(JSON.stringify({ interrupted: run.interrupted, concurrency: run.concurrency }));
      });`;
  return [process.execPath, '-e', script];
}

describe('how many threads a sweep gets', () => {
  it('one below the threshold, one per core from it, what was asked for when asked; never more than one per chunk', () => {
    const CHUNK = 4096;
    assert.equal(shardCount(0, 1), 1);
    assert.equal(shardCount(0, SHARD_FROM - 1), 1);
    assert.equal(shardCount(0, SHARD_FROM), Math.min(availableParallelism(), SHARD_FROM / CHUNK));
    assert.equal(shardCount(0, 64 * CHUNK), Math.min(availableParallelism(), 64));
    assert.equal(shardCount(0, null), availableParallelism(), 'a file of unknown length is read ahead first');
    assert.equal(shardCount(3, 3 * CHUNK), 3);
    assert.equal(shardCount(3, 2 * CHUNK + 1), 3);
    assert.equal(shardCount(3, 2 * CHUNK), 2, 'a third thread would have no chunk');
    assert.equal(shardCount(3, 5), 1);
    assert.equal(shardCount(1, 1_000_000), 1);
  });

  it('reads ahead as far as the threshold, and gives every target again, in order, then the rest', () => {
    const all = parseTargets(['127.0.0.1', `1-${SHARD_FROM + 10}`]);
    const ahead = readAhead(all[Symbol.iterator]());
    assert.equal(ahead.big, true);
    const again: TargetSpec[] = [];
    for (let next = ahead.targets.next(); !next.done; next = ahead.targets.next()) again.push(next.value);
    assert.deepEqual(again, all);

    const small = readAhead(parseTargets(['127.0.0.1', '1-10'])[Symbol.iterator]());
    assert.equal(small.big, false);
  });

  it('a source that throws is read up to the throw, which comes after the targets before it', () => {
    function* failing(): Generator<TargetSpec> {
      yield* parseTargets(['127.0.0.1', '1-3']);
      throw new Error('bad line');
    }
    const ahead = readAhead(failing());
    assert.equal(ahead.big, false);
    assert.equal(ahead.targets.next().value?.port, 1);
    assert.equal(ahead.targets.next().value?.port, 2);
    assert.equal(ahead.targets.next().value?.port, 3);
    assert.throws(() => ahead.targets.next(), /bad line/);
  });
});

/** The lines of a run without its times (handshakes, and the whole run's), which differ from run to run. */
const withoutTime = (stdout: string) => stdout.replace(/\d+\.\d+ (ms|s)\b/g, 'TIME');

describe('a sweep on several threads, in a namespace of its own', { skip: NETNS_SKIP }, () => {
  const OPEN = [22, 8080, 50000];
  const setup = `${NETNS.loUp}\n${netnsListeners(OPEN)}\n${netnsListeners([443, 9999], '::1')}`;

  it('gives the very results one thread gives, in the same order, for IPv4 and IPv6 targets', async () => {
    const targets = ['127.0.0.1:1-12000', '[::1]:1-12000', '127.0.0.1:50000'];
    const [one, three] = await Promise.all([inNetns(setup, apiSweep(targets, 1)), inNetns(setup, apiSweep(targets, 3))]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(three.code, 0, three.stderr);
    const lines = three.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 24_001);
    assert.deepEqual(lines.map((l) => JSON.parse(l).index), [...Array(24_001).keys()], 'every target, in order');
    assert.equal(three.stdout, one.stdout);
    const connected = lines.map((l) => JSON.parse(l)).filter((t) => t.verdict.kind === 'connected').map((t) => `${t.host}:${t.port}`);
    assert.deepEqual(connected, ['127.0.0.1:22', '127.0.0.1:8080', '::1:443', '::1:9999', '127.0.0.1:50000']);
    assert.deepEqual(JSON.parse(three.stderr), { interrupted: false, concurrency: 510 }, 'the concurrency split three ways');
  });

  it('sweeps 1-65535 on 127.0.0.1 with -j 0 on every core: the same lines as one thread (the default), no self-connect', async () => {
    const [one, all] = await Promise.all([
      inNetns(setup, node('127.0.0.1', '1-65535')),
      inNetns(setup, node('127.0.0.1', '1-65535', '-j', '0')),
    ]);
    assert.equal(withoutTime(all.stdout), withoutTime(one.stdout));
    assert.match(all.stdout, /^65,535 targets: 65,532 refused, 3 connected/m);
    assert.doesNotMatch(all.stdout, /self-connect|local error/);
    assert.equal(all.code, 1);
  });

  it('shards a targets file of unknown length, and a bad line ends it as on one thread (exit 2, results before it)', async () => {
    const files = scratchFiles('connprobe-shard-');
    const lines = Array.from({ length: SHARD_FROM + 100 }, (_, i) => `127.0.0.1 ${i + 1}`);
    const good = files.write('good.txt', `${lines.join('\n')}\n`);
    const bad = files.write('bad.txt', `${lines.join('\n')}\nnot a target at all\n`);
    for (const file of [good, bad]) {
      const [one, all] = await Promise.all([
        inNetns(setup, node('--targets-file', file, '-j', '1', '--open')),
        inNetns(setup, node('--targets-file', file, '-j', '0', '--open')),
      ]);
      assert.equal(all.code, one.code);
      assert.equal(all.stderr, one.stderr);
      assert.equal(withoutTime(all.stdout), withoutTime(one.stdout));
      assert.match(all.stdout, /^127\.0\.0\.1:22\s+connected/m);
    }
  });

  it('an abort stops every thread with every socket closed, and reports what was learned, in order', async () => {
    // every SYN is dropped: each attempt waits its whole 30 s timeout, until the abort
    const script = `
      const { probeConcurrently, parseTargets } = require(${JSON.stringify(INDEX)});
      const { readFileSync } = require('node:fs');
      const started = Date.now();
      probeConcurrently({ targets: parseTargets(['127.0.0.1', '1-20000']), keepRecords: false, threads: 3, timeoutMs: 30000,
        signal: AbortSignal.timeout(1000), backend: '${BACKEND}' }).then((run) => {
        const synSent = readFileSync('/proc/net/tcp', 'utf8').split('\\n').filter((l) => l.trim().split(/\s+/)[3] === '02').length;
        const indexes = run.targets.map((t) => t.index);
        console.log(JSON.stringify({ interrupted: run.interrupted, took: Date.now() - started, synSent, count: run.targets.length,
          ordered: indexes.every((v, i) => i === 0 || v > indexes[i - 1]),
          kinds: [...new Set(run.targets.map((t) => t.verdict === null ? 'none' : t.verdict.kind))],
          statuses: [...new Set(run.targets.flatMap((t) => t.addresses.map((a) => a.status)))] }));
      });`;
    const r = await inNetns(NETNS.dropAll, [process.execPath, '-e', script]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout);
    assert.equal(run.interrupted, true);
    assert.equal(run.synSent, 0, 'no socket left waiting for an answer');
    assert.ok(run.took < 10_000, `stopped in ${run.took} ms, not after the 30 s timeout`);
    assert.ok(run.count >= 3 && run.count <= 20_000, `${run.count} targets reported`);
    assert.equal(run.ordered, true);
    assert.deepEqual(run.kinds, ['none'], 'no verdict it never reached');
    assert.deepEqual(run.statuses, ['interrupted']);
  });

  it('SIGINT stops a sharded sweep with exit 130, its lines saying so', async () => {
    const { child, stdout: output, exited } = startInDroppingNetns(node('127.0.0.1', '1-65535', '-t', '30s', '-j', '3'));
    await signalHandled(child.pid!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 500)); // the threads are under way, every attempt waiting
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const stdout = output();
    assert.match(stdout, /^65,535 targets: ([\d,]+ interrupted)/m, stdout);
    assert.doesNotMatch(stdout, /timed out|refused|connected/);
  });
});
