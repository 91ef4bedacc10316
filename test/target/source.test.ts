import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TargetSpec } from '../../src/target/parse';
import { TargetFile, TargetSource } from '../../src/target/source';
import { scratchFiles } from '../helpers';

const show = (targets: Iterable<TargetSpec>) => [...targets].map((t) => `${t.host.text}/${t.port}`);

/** The first `n` targets, pulled as the engine pulls them. */
function take(source: TargetSource, n: number): string[] {
  const iterator = source[Symbol.iterator]();
  const out: string[] = [];
  for (let next = iterator.next(); !next.done && out.length < n; next = iterator.next()) out.push(`${next.value.host.text}/${next.value.port}`);
  return out;
}

describe('a target source is expanded lazily, and knows its shape without expanding', () => {
  it('127.0.0.0/8 80: 2^24 targets counted, the first ones made at once, the rest never built', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const source = TargetSource.parse(['127.0.0.0/8', '80']);
    assert.deepEqual(take(source, 3), ['127.0.0.0/80', '127.0.0.1/80', '127.0.0.2/80']);
    const tookMs = performance.now() - started;
    assert.equal(source.count, 2 ** 24);
    assert.ok(tookMs < 1000, `the first targets took ${tookMs} ms (16 million objects would take many seconds)`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 32 * 2 ** 20, 'not even the addresses were made');
  });

  it('a sweep is an address range or a file, whatever its count; a port list is not', () => {
    const shape = (source: TargetSource) => [source.count, source.sweep, source.many];
    assert.deepEqual(shape(TargetSource.parse(['127.0.0.1/32', '80'])), [1, true, true]);
    assert.deepEqual(shape(TargetSource.parse(['127.0.0.1', '80', '443'])), [2, false, true]);
    assert.deepEqual(shape(TargetSource.parse(['db:5432'])), [1, false, false]);
    assert.deepEqual(shape(TargetSource.parse(['127.0.0.1', '1-65535'])), [65535, false, true]);
  });

  it('its width bounds every HOST:PORT it makes, without making them', () => {
    const cases: [string[], number][] = [
      [['127.0.0.0/8', '80'], '127.255.255.255:80'.length],
      [['10.0.0.1-9', '8080'], '10.0.0.9:8080'.length],
      [['db', '5432', '80'], 'db:5432'.length],
      [['[::1]:80'], '[::1]:80'.length],
    ];
    for (const [args, width] of cases) assert.equal(TargetSource.parse(args).width, width, args.join(' '));
    const v6 = TargetSource.parse(['fd00::/120', '80']);
    for (const t of show(v6)) assert.ok(`[${t.split('/')[0]}]:80`.length <= v6.width!, t);
  });
});

describe('unix socket targets in a source: one target each, with no port', () => {
  const scratch = scratchFiles('connprobe-unix-targets-');

  it('counted, made and measured like the others; not a sweep; every target unix is known without a file', () => {
    const shape = (source: TargetSource) => [source.count, source.sweep, source.many, source.width, source.unixOnly];
    const one = TargetSource.parse(['unix:/run/app.sock']);
    assert.deepEqual(shape(one), [1, false, false, 'unix:/run/app.sock'.length, true]);
    assert.deepEqual(show(one), ['unix:/run/app.sock/null']);
    const mixed = TargetSource.parse(['unix:@name', 'db:5432,5433', 'socket:/a.sock']);
    assert.deepEqual(shape(mixed), [4, false, true, 'unix:/a.sock'.length, false]);
    assert.deepEqual(show(mixed), ['unix:@name/null', 'db/5432', 'db/5433', 'unix:/a.sock/null']);
    assert.equal(TargetSource.parse(['127.0.0.1-2:80', 'unix:/run/a-long-socket-name.sock']).width, 'unix:/run/a-long-socket-name.sock'.length);
    assert.deepEqual(shape(TargetSource.of([...TargetSource.parse(['unix:@x', 'unix:@y'])])), [2, false, true, 'unix:@x'.length, true]);
  });

  it('a file may give unix targets, and a file may give TCP ones: with a file, not every target is known to be unix', () => {
    const source = TargetSource.parse(['unix:/a.sock'], TargetFile.open(scratch.write('list', 'unix:/b.sock\nsocket:/c.sock db:1\n')));
    assert.equal(source.unixOnly, false);
    assert.deepEqual(show(source), ['unix:/a.sock/null', 'unix:/b.sock/null', 'unix:/c.sock/null', 'db/1']);
  });
});

describe('--targets-file: one target per line, read as the engine pulls', () => {
  const scratch = scratchFiles('connprobe-targets-');
  const { dir } = scratch;
  const file = scratch.write;

  it('lines as on the command line, after the command line\'s targets; blank lines, # comments and CRLF ignored', () => {
    const path = file('list', '# services\n\ndb 5432\r\ncache:6379  # the cache\n  tcp://[::1]:80\n127.0.0.1 ssh,81\n10.0.0.1-2:1');
    const source = TargetSource.parse(['first:1'], TargetFile.open(path));
    assert.deepEqual([source.count, source.sweep, source.width], [null, true, null]);
    assert.deepEqual(show(source), ['first/1', 'db/5432', 'cache/6379', '::1/80', '127.0.0.1/22', '127.0.0.1/81', '10.0.0.1/1', '10.0.0.2/1']);
  });

  it('a bad line stops it with FILE:LINE, after the targets before it', () => {
    const path = file('bad', 'db 5432\n\n# ok so far\nhttp://db:80\ndb 1\n');
    const iterator = TargetSource.parse([], TargetFile.open(path))[Symbol.iterator]();
    assert.equal(iterator.next().value?.port, 5432);
    assert.throws(() => iterator.next(), { name: 'UsageError', message: `${path}:4: 'http://db:80' is a http URL, but connprobe probes only a TCP or unix socket connect(): write tcp://HOST:PORT or unix:PATH` });
  });

  it('a host of the wrong family (-4, -6) is a bad line too', () => {
    const source = TargetSource.parse([], TargetFile.open(file('family', '127.0.0.1 1\n::1 2\n')));
    source.checkHosts((host) => {
      if (host.kind === 'address' && host.address.family !== 4) throw new (require('../../src/usage').UsageError)(`${host.text} is not an IPv4 address`);
    });
    assert.throws(() => show(source), /family:2: ::1 is not an IPv4 address/);
  });

  it('no target at all, in the file or on the command line, is an error; a missing file or a directory, at once', () => {
    assert.throws(() => show(TargetSource.parse([], TargetFile.open(file('empty', '# nothing\n\n')))), /empty: no targets in it, and none on the command line/);
    assert.deepEqual(show(TargetSource.parse(['db:1'], TargetFile.open(file('empty2', '')))), ['db/1']);
    assert.throws(() => TargetFile.open(join(dir, 'missing')), /cannot read --targets-file '.*missing': ENOENT/);
    assert.throws(() => TargetFile.open(dir), /cannot read --targets-file '.*': EISDIR/);
  });

  it('is read a chunk at a time: after the first targets of a big file, the read position is near its start', () => {
    const lines = 200_000;
    const path = file('big', Array.from({ length: lines }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} 80`).join('\n'));
    const iterator = TargetSource.parse([], TargetFile.open(path))[Symbol.iterator]();
    for (let i = 0; i < 3; i++) iterator.next();
    const fd = readdirSync('/proc/self/fd').find((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
    assert.ok(fd, 'the file is open while targets are pulled');
    const position = Number(/^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]);
    assert.ok(position <= 64 * 1024, `read up to ${position} of ${lines} lines' bytes`);
    let rest = 0;
    for (let next = iterator.next(); !next.done; next = iterator.next()) rest++;
    assert.equal(rest, lines - 3);
  });

  it('a line longer than 64 KiB is refused rather than held', () => {
    const source = TargetSource.parse([], TargetFile.open(file('long', `db 1\n${'x'.repeat(70_000)}\n`)));
    assert.throws(() => show(source), /long:2: a line longer than 65536 characters/);
  });
});
