import koffi = require('koffi');
import { libcFromSymbols, type LibcSymbols } from './marshal';

/*
 * The koffi backend: prebuilt, and about 20x cheaper per call than ffi-napi. koffi.errno() reads the errno the
 * last call left; libcFromSymbols calls it right after a call that failed.
 */
const libc = koffi.load('libc.so.6');
let sigaction: ReturnType<typeof libc.func> | undefined;
let sigprocmask: ReturnType<typeof libc.func> | undefined;
let closeRange: ReturnType<typeof libc.func> | undefined;
let execvp: ReturnType<typeof libc.func> | undefined;
let setsockoptFprog: ReturnType<typeof libc.func> | undefined;
let fprog: ReturnType<typeof koffi.struct> | undefined;
let recvfrom: ReturnType<typeof libc.func> | undefined;
let ioctl: ReturnType<typeof libc.func> | undefined;
let clockGettime: ReturnType<typeof libc.func> | undefined;

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
  // bound on first use: only a run with a command after `--` makes these calls
  sigaction: (signal, action) => (sigaction ??= libc.func('int sigaction(int sig, const void *act, void *oldact)'))(signal, action, null),
  sigprocmask: (how, set) => (sigprocmask ??= libc.func('int sigprocmask(int how, const void *set, void *oldset)'))(how, set, null),
  close_range: (first, last, flags) =>
    (closeRange ??= libc.func('int close_range(unsigned int first, unsigned int last, int flags)'))(first, last, flags),
  // koffi passes a JS array for `const char **` as a C array of C strings, alive for the call; null ends it
  execvp: (file, argv) => (execvp ??= libc.func('int execvp(const char *file, const char **argv)'))(file, [...argv, null]),
  // bound on first use: only --packets makes these; koffi lays out the struct and passes the Buffer as its pointer
  setsockopt_fprog(fd, level, option, instructions, count) {
    if (!setsockoptFprog) {
      fprog = koffi.struct({ len: 'uint16_t', filter: 'void *' });
      setsockoptFprog = libc.func('setsockopt', 'int', ['int', 'int', 'int', koffi.pointer(fprog), 'uint32_t']);
    }
    return setsockoptFprog(fd, level, option, { len: count, filter: instructions }, koffi.sizeof(fprog!));
  },
  recvfrom: (fd, into, length, flags, from, fromLength) =>
    (recvfrom ??= libc.func('int recvfrom(int fd, void *buf, size_t len, int flags, void *from, void *fromlen)'))(fd, into, length, flags, from, fromLength),
  ioctl: (fd, request, arg) => (ioctl ??= libc.func('int ioctl(int fd, unsigned long request, void *arg)'))(fd, request, arg),
  clock_gettime: (clock, timespec) => (clockGettime ??= libc.func('int clock_gettime(int clock, void *timespec)'))(clock, timespec),
};

export const koffiLibc = libcFromSymbols('koffi', symbols, () => koffi.errno());
