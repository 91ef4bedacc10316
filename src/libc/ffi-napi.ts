import ffi = require('ffi-napi');
// ffi-napi's own ref-napi instance: a second copy (say, under an npm alias) would load its own native binding
// and type objects, and mixing them with ffi-napi's is asking for trouble
import ref = require('@2060.io/ref-napi');
import { libcFromSymbols, type LibcSymbols } from './marshal';

/*
 * The ffi-napi backend (the @2060.io fork, installed under the ffi-napi name).
 *
 * ffi-napi's ForeignFunction proxy allocates a buffer per argument and pins it to the argument list on every call
 * (about 10 us per argument here). connprobe prepares each call once instead, with ffi-napi's own pieces: the
 * function pointer from ffi.DynamicLibrary, the call interface from ffi.CIF, argument slots allocated and
 * pointed to once, and ffi-napi's native ffi_call (the one its proxy ends in) to make the call. A call then
 * writes its ints into the slots; a pointer slot is rewritten only when a different buffer is passed.
 */
interface NativeBindings {
  ffi_call(cif: Buffer, fn: Buffer, result: Buffer, args: Buffer): void;
  StaticFunctions: { _errno: Buffer };
}
const native = require('ffi-napi/lib/bindings') as NativeBindings;

type ArgType = 'int' | 'uint32' | 'ulong' | 'pointer';
const SLOT = 8; // every argument slot holds up to a 64-bit value or a pointer

/**
 * A C function made callable: the call interface is prepared on first use (a run pays only for the calls it
 * makes), then each call writes its arguments into slots allocated once.
 */
function prepare(name: string, argTypes: readonly ArgType[]): (...args: (number | Buffer)[]) => number {
  let call: ((args: (number | Buffer)[]) => number) | undefined;
  return (...args) => (call ??= prepareNow(libc.get(name), argTypes))(args);
}

function prepareNow(fn: Buffer, argTypes: readonly ArgType[]): (args: (number | Buffer)[]) => number {
  const cif = ffi.CIF(ref.types.int, argTypes.map((type) => ref.coerceType(type)));
  const slots = argTypes.map(() => Buffer.alloc(SLOT));
  const argv = Buffer.alloc(SLOT * argTypes.length);
  slots.forEach((slot, i) => ref.writePointer(argv, i * SLOT, slot));
  const pointedTo: (Buffer | undefined)[] = argTypes.map(() => undefined);
  const result = Buffer.alloc(SLOT); // ffi_arg: an int return comes back sign-extended to 64 bits
  return (args) => {
    for (let i = 0; i < argTypes.length; i++) {
      const value = args[i];
      if (argTypes[i] === 'pointer') {
        if (pointedTo[i] !== value) ref.writePointer(slots[i], 0, (pointedTo[i] = value as Buffer));
      } else if (argTypes[i] === 'int') {
        slots[i].writeInt32LE(value as number, 0);
      } else {
        slots[i].writeUInt32LE(value as number, 0); // uint32, or a ulong below 2^32: the high half stays 0
      }
    }
    native.ffi_call(cif, fn, result, argv);
    return result.readInt32LE(0);
  };
}

const libc = ffi.DynamicLibrary();
let strerror: ((errno: number) => string | null) | undefined;
const sigaction = prepare('sigaction', ['int', 'pointer', 'pointer']);
const sigprocmask = prepare('sigprocmask', ['int', 'pointer', 'pointer']);
const execvp = prepare('execvp', ['pointer', 'pointer']);
const setsockopt = prepare('setsockopt', ['int', 'int', 'int', 'pointer', 'uint32']);

const symbols: LibcSymbols = {
  socket: prepare('socket', ['int', 'int', 'int']),
  fcntl: prepare('fcntl', ['int', 'int', 'int']),
  connect: prepare('connect', ['int', 'pointer', 'uint32']),
  bind: prepare('bind', ['int', 'pointer', 'uint32']),
  poll: prepare('poll', ['pointer', 'ulong', 'int']),
  getsockopt: prepare('getsockopt', ['int', 'int', 'int', 'pointer', 'pointer']),
  setsockopt,
  getsockname: prepare('getsockname', ['int', 'pointer', 'pointer']),
  getrlimit: prepare('getrlimit', ['int', 'pointer']),
  close: prepare('close', ['int']),
  // rare (the tracer caches it), and it returns a string: ffi-napi's own ForeignFunction reads it
  strerror: (errno) => (strerror ??= ffi.ForeignFunction(libc.get('strerror'), 'string', ['int']))(errno),
  sigaction: (signal, action) => sigaction(signal, action, ref.NULL),
  sigprocmask: (how, set) => sigprocmask(how, set, ref.NULL),
  close_range: prepare('close_range', ['uint32', 'uint32', 'int']),
  execvp(file, argv) {
    // NUL-terminated copies, and a NULL-terminated array of pointers to them (zero-filled: its last slot is
    // NULL); writePointer attaches each string to the array, and the call's slot holds the array until the next
    // call, so nothing is collected while execvp reads them
    const strings = argv.map((arg) => ref.allocCString(arg, 'utf8'));
    const array = Buffer.alloc((strings.length + 1) * ref.sizeof.pointer);
    strings.forEach((s, i) => ref.writePointer(array, i * ref.sizeof.pointer, s));
    return execvp(ref.allocCString(file, 'utf8'), array);
  },
  setsockopt_fprog(fd, level, option, instructions, count) {
    // struct sock_fprog: unsigned short len, padding, then the pointer (writePointer keeps `instructions` alive)
    const prog = Buffer.alloc(2 * ref.sizeof.pointer);
    prog.writeUInt16LE(count, 0);
    ref.writePointer(prog, ref.sizeof.pointer, instructions);
    return setsockopt(fd, level, option, prog, prog.length);
  },
  recvfrom: prepare('recvfrom', ['int', 'pointer', 'ulong', 'int', 'pointer', 'pointer']),
  ioctl: prepare('ioctl', ['int', 'ulong', 'pointer']),
  clock_gettime: prepare('clock_gettime', ['int', 'pointer']),
};

/** errno as ffi-napi's ffi.errno() reads it (its _errno helper), prepared like the calls: nothing runs before it. */
// prepared now, not on first use: nothing may run between a failed call and this read
const errnoCall = prepareNow(native.StaticFunctions._errno, []);
const readErrno = () => errnoCall([]);

export const ffiNapiLibc = libcFromSymbols('ffi-napi', symbols, readErrno);
