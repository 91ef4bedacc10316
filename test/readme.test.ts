import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, inNetns, NETNS, NETNS_SKIP, netnsListeners, ROOT } from './helpers';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the README', () => {
  it('its first command exits 0 on a healthy machine where nothing listens on the port', { skip: NETNS_SKIP }, async () => {
    const first = /```sh\n([^\n]*)\n/.exec(README)![1].replace(/\s+#.*$/, '');
    const [, run] = first.split(' && ');
    assert.match(run, /^\.\/bin\/connprobe\.js /, first);
    // a namespace of its own, lo up: nothing listens on any port there, whatever this machine runs
    const r = await inNetns(NETNS.loUp, [process.execPath, CLI, ...run.split(/\s+/).slice(1)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^refused: nothing listens on 127\.0\.0\.1:12345/m);
  });

  it('lists every system tool .ci/run installs for the tests', () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const tools = [...ci.matchAll(/command -v (\S+) >\/dev\/null \|\| missing\+=/g)].map((m) => m[1]);
    assert.ok(tools.length >= 7);
    const listed = README.slice(README.indexOf('## Tests'));
    for (const tool of tools) assert.match(listed, new RegExp(`\\| \`${tool}\``), tool);
  });
});

/** A recipe's connprobe argv, found in the README by `pattern` (its group 1: a command line, or a JSON array). */
function recipe(pattern: RegExp): string[] {
  const found = pattern.exec(README);
  assert.ok(found, `the README has ${pattern}`);
  const argv: string[] = found[1].startsWith('[') ? JSON.parse(found[1]) : found[1].split(/\s+/);
  assert.equal(argv[0], 'connprobe');
  return argv.slice(1);
}

describe('the README\'s recipes, each connprobe command line as written, in a namespace of the test\'s own', { skip: NETNS_SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'connprobe-recipes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost db postgres\n::1 localhost\n');
  const names = `${NETNS.loUp}\nmount --bind ${hosts} /etc/hosts`;
  const run = (setup: string, args: readonly string[]) => inNetns(setup, [process.execPath, CLI, ...args], true);

  it('Docker HEALTHCHECK: exit 0 while the service accepts, non-zero (unhealthy) once it does not, silently', async () => {
    const args = recipe(/^HEALTHCHECK .* CMD (connprobe .+)$/m);
    const healthy = await run(`${names}\n${netnsListeners([8080])}`, args);
    assert.deepEqual([healthy.code, healthy.stdout, healthy.stderr], [0, '', '']);
    const unhealthy = await run(names, args);
    assert.deepEqual([unhealthy.code, unhealthy.stdout, unhealthy.stderr], [1, '', '']);
  });

  it('docker-compose entrypoint: waits for db, then becomes the service (npm, as found on PATH)', async () => {
    const args = recipe(/^ +entrypoint: (\[.+\])$/m);
    assert.deepEqual(args.slice(args.indexOf('--')), ['--', 'npm', 'start']);
    // a stand-in npm first on PATH; the database starts listening a second late
    fakeCommand(join(dir, 'bin'), 'npm', 'echo "npm $* as pid $$"');
    const late =
      `(sleep 1; exec ${process.execPath} -e "require('net').createServer().listen(5432, '127.0.0.1'); setTimeout(() => process.exit(), 60000)") >/dev/null 2>&1 &\n` +
      'BACKGROUND="$BACKGROUND $!"';
    const started = Date.now();
    const r = await run(`${names}\nexport PATH=${join(dir, 'bin')}:$PATH\n${late}`, args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^npm start as pid \d+\n$/);
    assert.match(r.stderr, /^db:5432 +connected +via 127\.0\.0\.1 .*after \d+ attempts$/m);
    assert.ok(Date.now() - started >= 1000, 'it waited for the database');
  });

  it('GitHub Actions step: waits for localhost:5432, each line stamped', async () => {
    const r = await run(`${names}\n${netnsListeners([5432])}`, recipe(/^ +run: (connprobe .+)$/m));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{6} localhost:5432 +connected/m);
  });

  it('Kubernetes init container: waits for the Service name, exit 0 lets the pod start', async () => {
    const r = await run(`${names}\n${netnsListeners([5432])}`, recipe(/^ +command: (\["connprobe".+\])$/m));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^postgres:5432 +connected +via 127\.0\.0\.1/m);
  });
});

/** An executable shell script `name` in `bin` running `body`. */
function fakeCommand(bin: string, name: string, body: string): void {
  mkdirSync(bin, { recursive: true });
  const path = join(bin, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}
