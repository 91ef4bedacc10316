// The floor for start-up: a bare script making the seed's calls through ffi-napi's Library (socket, fcntl x2, 3 connects, close).
const ffi = require('ffi-napi');
const libc = ffi.Library(null, {
  socket: ['int', ['int', 'int', 'int']],
  fcntl: ['int', ['int', 'int', 'int']],
  connect: ['int', ['int', 'pointer', 'uint32']],
  close: ['int', ['int']],
});
const addr = Buffer.alloc(16);
addr.writeUInt16LE(2, 0);
addr.writeUInt16BE(Number(process.argv[2]), 2);
addr.set([127, 0, 0, 1], 4);
const fd = libc.socket(2, 1, 0);
libc.fcntl(fd, 4, libc.fcntl(fd, 3, 0) | 0o4000);
for (let i = 0; i < 3; i++) console.log(libc.connect(fd, addr, 16), ffi.errno());
libc.close(fd);
