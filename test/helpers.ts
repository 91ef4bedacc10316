import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';

/**
 * The FFI backend the kernel-facing tests run on: `npm test` runs every test file once per backend, with
 * CONNPROBE_FFI set (the CLI takes it as a request, so a backend that cannot load fails the run instead of being
 * swapped; API tests pass it as `backend`).
 */
export const BACKEND = (process.env.CONNPROBE_FFI || 'ffi-napi') as 'ffi-napi' | 'koffi';

/** The repository root (tests run from dist/test/). */
export const ROOT = resolve(__dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'connprobe.js');

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion without blocking this process's event loop (test listeners keep accepting).
 * `env` is the whole environment; by default this process's, with NO_COLOR set.
 */
export function runCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }): Promise<RunResult> {
  return new Promise((done) => {
    execFile(file, args, { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export function runCli(args: readonly string[]): Promise<RunResult> {
  return runCommand(process.execPath, [CLI, ...args]);
}

/** The backend a `--json` run on a closed port says it ran, once the run is seen to be refused (exit 1). */
export function backendOfRefusedRun(r: RunResult): string {
  assert.equal(r.code, 1, r.stderr);
  return (JSON.parse(r.stdout) as { backend: string }).backend;
}

/**
 * A loopback listener that accepts and holds connections (on `port`, or one the kernel picks); close() stops it and
 * drops them. `peers` lists the peer of each connection accepted so far (`127.0.0.2 40312`): what the server sees.
 */
export async function startListener(host = '127.0.0.1', port = 0): Promise<{ port: number; peers: readonly string[]; close: () => Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const peers: string[] = [];
  const server: Server = createServer((socket) => {
    peers.push(`${socket.remoteAddress} ${socket.remotePort}`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, host, ok));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    peers,
    close: () =>
      new Promise<void>((ok) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => ok());
      }),
  };
}

/** A port nothing listens on: bound to get one from the kernel, then closed. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const listener = await startListener(host);
  await listener.close();
  return listener.port;
}

const compiled = new Map<string, string>();
/** Compiles a C fixture from test/fixtures once per test process (with the machine's cc) and returns its path. */
export function fixtureProgram(name: 'connect_ref' | 'full_backlog' | 'tcp_info_layout' | 'unix_server'): string {
  let path = compiled.get(name);
  if (!path) {
    const outDir = join(ROOT, 'dist', 'fixtures');
    mkdirSync(outDir, { recursive: true });
    path = join(outDir, name);
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', path, join(ROOT, 'test', 'fixtures', `${name}.c`)]);
    compiled.set(name, path);
  }
  return path;
}

/** The C reference program's mode names, as connprobe's modes run them. */
export type ReferenceMode = 'repeat' | 'blocking' | 'poll';

/** Runs the C reference: `connect_ref MODE ADDRESS PORT COUNT TIMEOUT_MS`. */
export function runReference(mode: ReferenceMode, address: string, port: number, count: number, timeoutMs: number) {
  return runCommand(fixtureProgram('connect_ref'), [mode, address, String(port), String(count), String(timeoutMs)]);
}

/**
 * A listener whose accept queue is full (listen backlog 0 holding one connection, never accepting): the kernel
 * drops every further SYN. close() ends it.
 */
export async function startFullBacklog(ipv6 = false): Promise<{ port: number; close: () => Promise<void> }> {
  const child = spawn(fixtureProgram('full_backlog'), ipv6 ? ['-6'] : [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((ok, fail) => {
    child.stdout.once('data', (data: Buffer) => ok(Number(String(data).trim())));
    child.once('exit', (code) => fail(new Error(`full_backlog exited with ${code}`)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((ok) => {
        child.once('exit', () => ok());
        child.stdin.end();
      }),
  };
}

/** Why the network-namespace tests cannot run here, or false when they can (root, as in CI). */
export const NETNS_SKIP: string | false =
  process.getuid?.() === 0 ? false : 'needs root for unshare -n (network namespaces); CI runs them as root';

/**
 * Runs a command inside a new network namespace (and a new mount namespace with `mounts`), after a set-up shell
 * script. The namespace starts with only lo, down: no packet can leave it. A background job the set-up started
 * (a listener) and recorded in $BACKGROUND is killed when the command ends; the namespace vanishes with it.
 */
export function inNetns(setup: string, command: readonly string[], mounts = false): Promise<RunResult> {
  const script = `set -e\nBACKGROUND=\n${setup}\nset +e\n"$@"\nrc=$?\n[ -z "$BACKGROUND" ] || kill $BACKGROUND 2>/dev/null\nexit $rc`;
  return runCommand('unshare', ['-n', ...(mounts ? ['-m'] : []), 'sh', '-c', script, 'sh', ...command]);
}

/**
 * A set-up snippet for inNetns: a listener on each port of `host` inside the namespace (lo must be up), in the
 * background (killed when the command ends), waited for until the kernel lists each port as listening.
 */
export function netnsListeners(ports: readonly number[], host = '127.0.0.1'): string {
  const table = host.includes(':') ? '/proc/net/tcp6' : '/proc/net/tcp';
  const listen = ports.map((p) => `require('net').createServer().listen(${p}, '${host}');`).join(' ');
  const ready = ports.map((p) => `grep -q ":${p.toString(16).toUpperCase().padStart(4, '0')} .* 0A " ${table}`).join(' && ');
  return (
    `${process.execPath} -e "${listen} setTimeout(() => process.exit(), 60000)" >/dev/null 2>&1 &\nBACKGROUND="$BACKGROUND $!"\n` +
    `i=0; until ${ready}; do i=$((i+1)); [ $i -lt 200 ] || exit 99; sleep 0.05; done`
  );
}

/** Set-up scripts for inNetns. */
export const NETNS = {
  loDown: ':',
  loUp: 'ip link set lo up',
  /** lo up, and an nftables rule that drops every packet lo delivers: SYNs vanish, nothing answers. */
  dropAll:
    'ip link set lo up\n' +
    'nft add table inet connprobe\n' +
    "nft add chain inet connprobe input '{ type filter hook input priority 0; policy drop; }'",
};

/**
 * Starts `command` in a new network namespace that drops every packet (NETNS.dropAll), to be signalled by the test:
 * its output so far, and its exit code once it exits.
 */
export function startInDroppingNetns(command: readonly string[]): { readonly child: ChildProcess; readonly stdout: () => string; readonly exited: Promise<number | null> } {
  const child = spawn('unshare', ['-n', 'sh', '-c', `${NETNS.dropAll}\nexec "$@"`, 'sh', ...command]);
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  return { child, stdout: () => stdout, exited };
}

/** For a describe(): a server started before its tests and stopped after them; its port, once started. */
export function serverForSuite(start: () => Promise<{ port: number; close(): Promise<void> }>): { readonly port: number } {
  let server: { port: number; close(): Promise<void> } | undefined;
  before(async () => {
    server = await start();
  });
  after(() => server?.close());
  return {
    get port() {
      return server!.port;
    },
  };
}

/**
 * Resolves once process `pid` runs connprobe (a wrapper such as `unshare ... sh -c 'exec ...'` has exec'd it) and
 * catches `signal` (/proc's SigCgt mask), so that a test's signal is handled rather than killing a process still
 * starting on a busy machine. Bounded: rejects after 10 s.
 */
export async function signalHandled(pid: number, signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  const bit = 1n << BigInt(osConstants.signals[signal] - 1);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    // connprobe's own command line: between fork and exec, a child being spawned is a copy of this test process
    // (Node, with the test runner's handlers), which a signal would kill once the handlers are reset for exec
    const running = readlinkSync(`/proc/${pid}/exe`) === process.execPath && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(CLI);
    const status = running ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
    if (caught && (BigInt(`0x${caught[1]}`) & bit) !== 0n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} did not install a ${signal} handler within 10 s`);
}

/**
 * A directory of files a test writes (removed after the suite or file that made it): `write(name, text)` returns
 * the file's path; `dir` is the directory.
 */
export function scratchFiles(prefix: string): { readonly dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}
