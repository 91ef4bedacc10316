import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { fixtureProgram } from './helpers';

/**
 * For a describe(): a directory of the suite's own for socket files, made before its tests (mode 0755, so that
 * another user may look up a name in it) and removed with everything in it after them.
 */
export function socketDirForSuite(): { readonly path: string; file(name: string): string } {
  let path = '';
  before(() => {
    path = mkdtempSync(join(tmpdir(), 'connprobe-unix-'));
    chmodSync(path, 0o755);
  });
  after(() => rmSync(path, { recursive: true, force: true }));
  return {
    get path() {
      return path;
    },
    file: (name) => join(path, name),
  };
}

/** An abstract name nobody else will hold (abstract names are per network namespace: random, to share the machine's). */
export function randomAbstractName(): string {
  return `@connprobe-test-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export interface Held {
  close(): Promise<void>;
}

/**
 * test/fixtures/unix_server.c in one of its states (`listen`: accepting, on a path or an abstract name; `backlog`:
 * full; `stale`: a file with no listener; `dgram`: a datagram socket), held until close(). Its files are left for
 * the socket directory's removal.
 */
export async function startUnixServer(mode: 'listen' | 'backlog' | 'stale' | 'dgram', path: string): Promise<Held> {
  const child = spawn(fixtureProgram('unix_server'), [mode, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.on('error', () => undefined); // a stale file's program has exited already: its stdin is gone
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  await new Promise<void>((ok, fail) => {
    child.stdout.once('data', () => ok());
    child.once('exit', (code) => code !== 0 && fail(new Error(`unix_server ${mode} exited with ${code} before it was ready`)));
  });
  return {
    close: () => {
      child.stdin.end();
      return exited;
    },
  };
}
