// The floor for a sweep: a bare koffi loop making the calls connprobe's sweep makes per port (socket with
// SOCK_NONBLOCK, connect, one poll() over the batch, getsockopt SO_ERROR, getsockname when connected, close), with
// none of its bookkeeping. Ports 1-65535 on 127.0.0.1 split in contiguous ranges over THREADS worker threads
// (1: the main thread alone). Prints the open ports it found. Usage: node bench/bare-sweep.js THREADS [BATCH]
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

function sweep(first, last, batch) {
  const koffi = require('koffi');
  const libc = koffi.load('libc.so.6');
  const socket = libc.func('int socket(int, int, int)');
  const connect = libc.func('int connect(int, const void *, uint32_t)');
  const poll = libc.func('int poll(void *, unsigned long, int)');
  const getsockopt = libc.func('int getsockopt(int, int, int, void *, void *)');
  const getsockname = libc.func('int getsockname(int, void *, void *)');
  const close = libc.func('int close(int)');
  const addr = Buffer.alloc(16);
  addr.writeUInt16LE(2, 0);
  addr.set([127, 0, 0, 1], 4);
  const fds = Buffer.alloc(8 * batch);
  const value = Buffer.alloc(4);
  const length = Buffer.alloc(4);
  const local = Buffer.alloc(16);
  const open = [];
  const ports = new Int32Array(batch);
  for (let port = first; port <= last; ) {
    let n = 0;
    for (; n < batch && port <= last; n++, port++) {
      const fd = socket(2, 1 | 0o4000, 0);
      addr.writeUInt16BE(port, 2);
      connect(fd, addr, 16);
      fds.writeInt32LE(fd, 8 * n);
      fds.writeInt16LE(4, 8 * n + 4); // POLLOUT
      fds.writeInt16LE(0, 8 * n + 6);
      ports[n] = port;
    }
    let waiting = n;
    while (waiting > 0) {
      poll(fds, n, 1000);
      for (let i = 0; i < n; i++) {
        const fd = fds.readInt32LE(8 * i);
        if (fd < 0 || fds.readInt16LE(8 * i + 6) === 0) continue;
        length.writeUInt32LE(4, 0);
        getsockopt(fd, 1, 4, value, length); // SOL_SOCKET, SO_ERROR
        if (value.readInt32LE(0) === 0) {
          length.writeUInt32LE(16, 0);
          getsockname(fd, local, length);
          if (local.readUInt16BE(2) !== ports[i]) open.push(ports[i]); // not a self-connect
        }
        close(fd);
        fds.writeInt32LE(-1, 8 * i); // poll() skips a negative fd
        waiting--;
      }
    }
  }
  return open;
}

if (isMainThread) {
  const threads = Number(process.argv[2] ?? 2);
  const batch = Number(process.argv[3] ?? 512);
  const per = Math.ceil(65535 / threads);
  const ranges = Array.from({ length: threads }, (_, i) => [1 + i * per, Math.min(65535, (i + 1) * per)]);
  const report = (open) => console.log(open.sort((a, b) => a - b).join(' '));
  if (threads === 1) report(sweep(1, 65535, batch));
  else {
    Promise.all(ranges.map(([first, last]) => new Promise((resolve, reject) => {
      const worker = new Worker(__filename, { workerData: { first, last, batch } });
      worker.once('message', resolve).once('error', reject);
    }))).then((found) => report(found.flat()));
  }
} else {
  parentPort.postMessage(sweep(workerData.first, workerData.last, workerData.batch));
}
