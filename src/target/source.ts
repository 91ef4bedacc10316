import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { formatHostPort } from '../net/endpoint';
import { quote, UsageError } from '../usage';
import { addressCount, expandGroups, parseTargetGroups, type HostPattern, type TargetGroup, type TargetSpec } from './parse';

/**
 * A run's targets, made one at a time as the engine pulls them: an address range or a file is never expanded or
 * held up front. What the output's rules need is known without expanding it: how many targets (when a file does
 * not make that unknowable), whether it is a sweep, and how wide its names are at most. Iterated once per run.
 */
export class TargetSource implements Iterable<TargetSpec> {
  /** How many targets; null when a file gives some (unknown until it is read). */
  readonly count: number | null;
  /** An address range or a file: a sweep for the human output's rules, whatever its count turns out to be. */
  readonly sweep: boolean;
  /** At least as long as `HOST:PORT` of any target, as output shows it; null when a file gives some. */
  readonly width: number | null;
  /** Every target is a unix socket (a file may give TCP ones: then not): TCP's options have nothing to act on. */
  readonly unixOnly: boolean;
  private hostCheck: ((host: HostPattern) => void) | null = null;

  constructor(
    private readonly groups: readonly TargetGroup[],
    private readonly file: TargetFile | null = null,
  ) {
    const known = groups.reduce((n, g) => n + Number(addressCount(g.host)) * g.ports.length, 0);
    this.count = file ? null : known;
    this.sweep = file !== null || groups.some((g) => g.host.kind === 'range');
    this.width = file ? null : Math.max(0, ...groups.map(groupWidth));
    this.unixOnly = file === null && groups.length > 0 && groups.every((g) => g.host.kind === 'unix');
  }

  /** The API's and the tests' lists of targets, as they are. */
  static of(targets: readonly TargetSpec[]): TargetSource {
    return new TargetSource(targets.map((t): TargetGroup => (t.port === null ? { host: t.host, ports: [null] } : { host: t.host, ports: [t.port] })));
  }

  /** Command-line arguments (see parseTargetGroups), then a file's lines when there is one. */
  static parse(args: readonly string[], file: TargetFile | null = null): TargetSource {
    return new TargetSource(args.length || !file ? parseTargetGroups(args) : [], file);
  }

  /** Several targets (or a sweep, which may turn out to be one): probed at once, one line each. */
  get many(): boolean {
    return this.sweep || this.count! > 1;
  }

  /** Checks every host: the command line's now, a file's as its lines are read (an error then names FILE:LINE). */
  checkHosts(check: (host: HostPattern) => void): void {
    for (const group of this.groups) check(group.host);
    this.hostCheck = check;
  }

  *[Symbol.iterator](): Iterator<TargetSpec> {
    yield* expandGroups(this.groups);
    if (this.file) yield* expandGroups(this.file.groups(this.groups.length > 0, this.hostCheck));
  }
}

function groupWidth(group: TargetGroup): number {
  const { host } = group;
  if (host.kind === 'unix') return formatHostPort(host.text, null).length;
  const port = String((group.ports as readonly number[]).reduce((a, b) => Math.max(a, b), 0)).length;
  if (host.kind !== 'range') return formatHostPort(host.text, 0).length - 1 + port;
  return host.width + (host.family === 6 ? 2 : 0) + 1 + port;
}

/** A line longer than this is refused rather than held: a file is read in bounded memory. */
const MAX_LINE = 64 * 1024;
const CHUNK = 64 * 1024;

/**
 * --targets-file: one target per line, as on the command line (`db 5432`, `db:5432`, `tcp://db:5432`); blank
 * lines and `#` comments ignored. Read as the engine pulls targets, a chunk at a time with readSync: the engine's
 * source is a synchronous iterator (a sweep pays nothing per target for it), and a regular file's chunk is read in
 * microseconds. On a pipe that is slow to write, the run waits in read() for the next line.
 */
export class TargetFile {
  private constructor(
    private readonly fd: number,
    /** As messages name it: the path given, or `stdin` for `-`. */
    readonly name: string,
  ) {}

  /** Opens it now, so that a missing or unreadable file is a usage error before anything is probed. */
  static open(path: string): TargetFile {
    if (path === '-') return new TargetFile(0, 'stdin');
    try {
      const fd = openSync(path, 'r');
      if (fstatSync(fd).isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      }
      return new TargetFile(fd, path);
    } catch (error) {
      throw new UsageError(`cannot read --targets-file ${quote(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  /** Its groups, line by line; a bad line (or no target at all) throws a UsageError naming FILE:LINE. */
  *groups(after: boolean, check: ((host: HostPattern) => void) | null): Generator<TargetGroup> {
    let lineNumber = 0;
    let found = after;
    try {
      for (const line of this.lines()) {
        lineNumber++;
        const args = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
        if (args.length === 0) continue;
        let groups: TargetGroup[];
        try {
          groups = parseTargetGroups(args);
          for (const group of groups) check?.(group.host);
        } catch (error) {
          if (error instanceof UsageError) throw new UsageError(`${this.name}:${lineNumber}: ${error.message}`);
          throw error;
        }
        found = true;
        yield* groups;
      }
      if (!found) throw new UsageError(`${this.name}: no targets in it, and none on the command line`);
    } finally {
      if (this.fd !== 0) closeSync(this.fd);
    }
  }

  /** Its lines, without their ends, read a chunk at a time; a line over MAX_LINE bytes is an error. */
  private *lines(): Generator<string> {
    const buffer = Buffer.alloc(CHUNK);
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let lineNumber = 1;
    for (;;) {
      const n = this.read(buffer);
      const text = n === 0 ? decoder.end() : decoder.write(buffer.subarray(0, n));
      const lines = (partial + text).split('\n');
      partial = n === 0 ? '' : lines.pop()!;
      for (const line of lines) {
        if (line.length > MAX_LINE) break;
        lineNumber++;
        yield line.endsWith('\r') ? line.slice(0, -1) : line;
      }
      if (partial.length > MAX_LINE || lines.some((line) => line.length > MAX_LINE)) {
        throw new UsageError(`${this.name}:${lineNumber}: a line longer than ${MAX_LINE} characters`);
      }
      if (n === 0) return;
    }
  }

  private read(buffer: Buffer): number {
    for (;;) {
      try {
        return readSync(this.fd, buffer, 0, buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // a non-blocking stdin (its parent set O_NONBLOCK) has nothing yet: wait a little, without spinning
        if (code === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        else if (code === 'EOF') return 0;
        else throw new UsageError(`cannot read --targets-file ${quote(this.name)}: ${code ?? String(error)}`);
      }
    }
  }
}
