// The floor for start-up: a bare script making the seed's calls through koffi (socket, fcntl x2, 3 connects, close).
const koffi = require('koffi');
const libc = koffi.load('libc.so.6');
const socket = libc.func('int socket(int, int, int)');
const fcntl = libc.func('int fcntl(int, int, int)');
const connect = libc.func('int connect(int, const void *, uint32_t)');
const close = libc.func('int close(int)');
const addr = Buffer.alloc(16);
addr.writeUInt16LE(2, 0);
addr.writeUInt16BE(Number(process.argv[2]), 2);
addr.set([127, 0, 0, 1], 4);
const fd = socket(2, 1, 0);
fcntl(fd, 4, fcntl(fd, 3, 0) | 0o4000);
for (let i = 0; i < 3; i++) console.log(connect(fd, addr, 16), koffi.errno());
close(fd);
