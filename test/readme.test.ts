import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, inNetns, NETNS, NETNS_SKIP, ROOT } from './helpers';

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
