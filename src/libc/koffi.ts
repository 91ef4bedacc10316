import koffi = require('koffi');
import { libcFromSymbols, type LibcSymbols } from './marshal';

/*
 * The koffi backend: prebuilt, and about 20x cheaper per call than ffi-napi. koffi.errno() reads the errno the
 * last call left; libcFromSymbols calls it right after a call that failed.
 */
const libc = koffi.load('libc.so.6');

const symbols: LibcSymbols = {
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  fcntl: libc.func('int fcntl(int fd, int cmd, int arg)'),
  connect: libc.func('int connect(int fd, const void *addr, uint32_t len)'),
  bind: libc.func('int bind(int fd, const void *addr, uint32_t len)'),
  poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
  getsockopt: libc.func('int getsockopt(int fd, int level, int option, void *value, void *len)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int option, const void *value, uint32_t len)'),
  getsockname: libc.func('int getsockname(int fd, void *addr, void *len)'),
  getrlimit: libc.func('int getrlimit(int resource, void *limits)'),
  close: libc.func('int close(int fd)'),
  strerror: libc.func('const char *strerror(int errnum)'),
};

export const koffiLibc = libcFromSymbols('koffi', symbols, () => koffi.errno());
