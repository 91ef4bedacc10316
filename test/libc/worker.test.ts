import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BACKEND, ROOT, runCommand } from '../helpers';

const BACKEND_MODULE = join(ROOT, 'dist', 'src', 'libc', BACKEND === 'koffi' ? 'koffi.js' : 'ffi-napi.js');

/**
 * A process whose worker thread alone loads the backend, makes calls (a socket made and closed, strerror), and
 * ends as `how` says; the main thread never loads it. Prints OK once the worker has ended.
 */
function workerScript(how: 'naturally' | 'exit' | 'terminate'): string {
  const worker = `
    const libc = require(${JSON.stringify(BACKEND_MODULE)}).${BACKEND === 'koffi' ? 'koffiLibc' : 'ffiNapiLibc'};
    const socket = libc.socket(2, 1, 0);
    libc.close(socket.ret);
    libc.strerror(111);
    require('node:worker_threads').parentPort.postMessage(socket.ret >= 0);
    ${how === 'exit' ? 'process.exit(0);' : how === 'terminate' ? 'setInterval(() => {}, 1000);' : ''}`;
  return `
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(${JSON.stringify(worker)}, { eval: true });
    worker.on('message', (made) => {
      if (!made) throw new Error('socket() failed in the worker');
      ${how === 'terminate' ? 'worker.terminate();' : ''}
    });
    worker.on('exit', () => setTimeout(() => console.log('OK'), 50));`;
}

describe(`the ${BACKEND} backend in a worker thread`, () => {
  for (const how of ['naturally', 'exit', 'terminate'] as const) {
    it(`a worker that alone loaded it can end ${how === 'naturally' ? 'naturally' : how === 'exit' ? 'with process.exit()' : 'by terminate()'}, and the process goes on`, async () => {
      // ffi-napi's addon used to be unloaded at the worker's end before its own close callback ran: SIGSEGV
      for (let run = 0; run < 5; run++) {
        const r = await runCommand(process.execPath, ['-e', workerScript(how)]);
        assert.equal(r.code, 0, `run ${run}: ${r.stderr}`);
        assert.equal(r.stdout, 'OK\n');
      }
    });
  }
});
