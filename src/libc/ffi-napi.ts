import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { libcFromSymbols, type LibcSymbols } from './marshal';

/*
 * The ffi-napi backend (the @2060.io fork, installed under the ffi-napi name).
 *
 * ffi-napi's ForeignFunction proxy allocates a buffer per argument and pins it to the argument list on every call
 * (about 10 us per argument here). connprobe prepares each call once instead, with ffi-napi's native addon alone:
 * a call interface from its ffi_prep_cif, the function pointer from dlsym() (called as any other function),
 * argument slots allocated and pointed to once, and its ffi_call (the one its proxy ends in) to make the call. A
 * call then writes its ints into the slots; a pointer slot is rewritten only when a different buffer is passed.
 *
 * The two forks' native addons are loaded as their own entry modules load them (node-gyp-build, from the
 * package's directory), and nothing else of them is: ffi-napi's JavaScript (a dozen modules) and ref-napi's
 * (which loads debug, and through it node:tty and node:net) would cost more start-up than all this backend does.
 */

/**
 * The native addon of the package whose entry module is `entry`, as that module loads it (node-gyp-build finds the
 * file from the package's root, then requires it), and its file.
 */
function nativeAddon(entry: string): { readonly addon: unknown; readonly file: string } {
  const gypBuild = createRequire(entry)('node-gyp-build') as { resolve(root: string): string };
  const file = gypBuild.resolve(join(dirname(entry), '..'));
  return { addon: require(file), file };
}

// resolved first: an install without ffi-napi is told as "Cannot find module 'ffi-napi'"
const ffiNapiEntry = require.resolve('ffi-napi');

/** ref-napi's addon: the pointer primitives its JavaScript wraps. */
interface RefNapiAddon {
  readonly instance: unknown;
  readonly NULL: Buffer;
  readonly sizeof: { readonly pointer: number };
  /** `attach`: `pointer` is kept alive as long as `buffer` is (ref-napi's writePointer always asks for it). */
  _writePointer(buffer: Buffer, offset: number, pointer: Buffer, attach: boolean): void;
  readPointer(buffer: Buffer, offset: number, length: number): Buffer;
  isNull(buffer: Buffer): boolean;
  readCString(buffer: Buffer, offset: number): string;
}
// ffi-napi's own ref-napi, resolved from ffi-napi: a second copy (say, under an npm alias) would have an instance
// of its own, and ffi-napi's addon must be given the one it was built with
const refNapiEntry = createRequire(ffiNapiEntry).resolve('@2060.io/ref-napi');
const refNapiAddon = nativeAddon(refNapiEntry);
const ref = refNapiAddon.addon as RefNapiAddon;

interface FfiNapiAddon {
  ffi_prep_cif(cif: Buffer, argCount: number, returnType: Buffer, argTypes: Buffer, abi: number): number;
  ffi_call(cif: Buffer, fn: Buffer, result: Buffer, args: Buffer): void;
  FFI_CIF_SIZE: number;
  FFI_DEFAULT_ABI: number;
  FFI_OK: number;
  FFI_TYPES: Record<'int' | 'uint32' | 'uint64' | 'pointer', Buffer>;
  RTLD_LAZY: number;
  RTLD_NOW: number;
  RTLD_NOLOAD: number;
  RTLD_NODELETE: number;
  StaticFunctions: Record<'dlopen' | 'dlsym' | 'dlerror' | '_errno', Buffer>;
}
const ffiNapiAddon = nativeAddon(ffiNapiEntry);
const native = (ffiNapiAddon.addon as { initializeBindings(refNapi: unknown): FfiNapiAddon }).initializeBindings(ref.instance);

/** Writes `pointer`'s address into `buffer`, which keeps it alive. */
const writePointer = (buffer: Buffer, offset: number, pointer: Buffer) => ref._writePointer(buffer, offset, pointer, true);

/** A NUL-terminated copy of `text` (the caller has checked that it holds no NUL). */
const cString = (text: string) => Buffer.from(`${text}\0`, 'utf8');

type ArgType = 'int' | 'uint32' | 'ulong' | 'pointer';
const SLOT = 8; // every argument slot, and the result, holds up to a 64-bit value or a pointer

/** The libffi type of each; a C long is 64 bits on every platform connprobe supports (64-bit Linux). */
const FFI_TYPE: Readonly<Record<ArgType, Buffer>> = {
  int: native.FFI_TYPES.int,
  uint32: native.FFI_TYPES.uint32,
  ulong: native.FFI_TYPES.uint64,
  pointer: native.FFI_TYPES.pointer,
};

/** A prepared call: writes the arguments into its slots, calls, and returns the result slot (reused by every call). */
type PreparedCall = (args: readonly (number | Buffer)[]) => Buffer;

function prepareNow(fn: Buffer, argTypes: readonly ArgType[], returns: 'int' | 'pointer'): PreparedCall {
  const types = Buffer.alloc(SLOT * argTypes.length); // ffi_type *[]
  argTypes.forEach((type, i) => writePointer(types, i * SLOT, FFI_TYPE[type]));
  // the prepared cif points into `types`: it holds it, as ffi-napi's CIF does, so that it lives as long
  const cif = Object.assign(Buffer.alloc(native.FFI_CIF_SIZE), { argTypes: types });
  const status = native.ffi_prep_cif(cif, argTypes.length, FFI_TYPE[returns], types, native.FFI_DEFAULT_ABI);
  if (status !== native.FFI_OK) throw new Error(`ffi_prep_cif() returned an error: ${status}`);
  const slots = argTypes.map(() => Buffer.alloc(SLOT));
  const argv = Buffer.alloc(SLOT * argTypes.length);
  slots.forEach((slot, i) => writePointer(argv, i * SLOT, slot));
  const pointedTo: (Buffer | undefined)[] = argTypes.map(() => undefined);
  const result = Buffer.alloc(SLOT); // ffi_arg: an int return comes back sign-extended to 64 bits
  return (args) => {
    for (let i = 0; i < argTypes.length; i++) {
      const value = args[i];
      if (argTypes[i] === 'pointer') {
        if (pointedTo[i] !== value) writePointer(slots[i], 0, (pointedTo[i] = value as Buffer));
      } else if (argTypes[i] === 'int') {
        slots[i].writeInt32LE(value as number, 0);
      } else {
        slots[i].writeUInt32LE(value as number, 0); // uint32, or a ulong below 2^32: the high half stays 0
      }
    }
    native.ffi_call(cif, fn, result, argv);
    return result;
  };
}

/** The pointer a prepared call returned, as a Buffer at that address; null for NULL. */
function pointerFrom(result: Buffer): Buffer | null {
  const pointer = ref.readPointer(result, 0, 0);
  return ref.isNull(pointer) ? null : pointer;
}

const dlopen = prepareNow(native.StaticFunctions.dlopen, ['pointer', 'int'], 'pointer');
const dlsym = prepareNow(native.StaticFunctions.dlsym, ['pointer', 'pointer'], 'pointer');
const dlerror = prepareNow(native.StaticFunctions.dlerror, [], 'pointer');
/** The process's own global symbols, libc's among them: dlopen(NULL), as ffi-napi's DynamicLibrary() opens. */
const handle = ref.readPointer(dlopen([ref.NULL, native.RTLD_LAZY]), 0, 0);

/*
 * Both addons stay mapped until the process ends. Node dlcloses an addon when the last thread that loaded it
 * ends: for a worker thread that loaded ffi-napi when the main thread had not, that is the worker's exit. But
 * ffi-napi's instance-data finalizer (InstanceData::Dispose in its src/ffi.cc) uv_close()s a uv_async_t with a
 * close callback in ffi_bindings.node, which libuv runs in the worker loop's last turn, after the dlclose: a jump
 * into unmapped code (SIGSEGV, every time, as node-ffi-napi issue 125 reports). A handle of our own, never closed
 * and opened with RTLD_NODELETE (glibc applies it to an object already loaded), keeps each addon mapped;
 * RTLD_NOLOAD: the very files the forks loaded, or nothing.
 */
for (const { file } of [ffiNapiAddon, refNapiAddon]) dlopen([cString(file), native.RTLD_NOW | native.RTLD_NOLOAD | native.RTLD_NODELETE]);

/** A libc function's address; throws as ffi-napi's DynamicLibrary.get() does when there is no such symbol. */
function symbol(name: string): Buffer {
  const address = pointerFrom(dlsym([handle, cString(name)]));
  if (address === null) throw new Error(`Dynamic Symbol Retrieval Error: ${ref.readCString(pointerFrom(dlerror([]))!, 0)}`);
  return address;
}

/**
 * A C function returning an int, made callable: the call interface is prepared on first use (a run pays only for
 * the calls it makes), then each call writes its arguments into slots allocated once.
 */
function prepare(name: string, argTypes: readonly ArgType[]): (...args: (number | Buffer)[]) => number {
  let call: PreparedCall | undefined;
  return (...args) => (call ??= prepareNow(symbol(name), argTypes, 'int'))(args).readInt32LE(0);
}

let strerror: PreparedCall | undefined;
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
  // it returns a string: the C string at the pointer, read as ffi-napi's 'string' type reads it
  strerror(errno) {
    const text = pointerFrom((strerror ??= prepareNow(symbol('strerror'), ['int'], 'pointer'))([errno]));
    return text === null ? null : ref.readCString(text, 0);
  },
  sigaction: (signal, action) => sigaction(signal, action, ref.NULL),
  sigprocmask: (how, set) => sigprocmask(how, set, ref.NULL),
  close_range: prepare('close_range', ['uint32', 'uint32', 'int']),
  execvp(file, argv) {
    // NUL-terminated copies, and a NULL-terminated array of pointers to them (zero-filled: its last slot is
    // NULL); writePointer attaches each string to the array, and the call's slot holds the array until the next
    // call, so nothing is collected while execvp reads them
    const strings = argv.map(cString);
    const array = Buffer.alloc((strings.length + 1) * ref.sizeof.pointer);
    strings.forEach((s, i) => writePointer(array, i * ref.sizeof.pointer, s));
    return execvp(cString(file), array);
  },
  setsockopt_fprog(fd, level, option, instructions, count) {
    // struct sock_fprog: unsigned short len, padding, then the pointer (writePointer keeps `instructions` alive)
    const prog = Buffer.alloc(2 * ref.sizeof.pointer);
    prog.writeUInt16LE(count, 0);
    writePointer(prog, ref.sizeof.pointer, instructions);
    return setsockopt(fd, level, option, prog, prog.length);
  },
  recvfrom: prepare('recvfrom', ['int', 'pointer', 'ulong', 'int', 'pointer', 'pointer']),
  ioctl: prepare('ioctl', ['int', 'ulong', 'pointer']),
  clock_gettime: prepare('clock_gettime', ['int', 'pointer']),
};

/** errno as ffi-napi's ffi.errno() reads it (its _errno helper), prepared like the calls: nothing runs before it. */
// prepared now, not on first use: nothing may run between a failed call and this read
const errnoCall = prepareNow(native.StaticFunctions._errno, [], 'int');
const readErrno = () => errnoCall([]).readInt32LE(0);

export const ffiNapiLibc = libcFromSymbols('ffi-napi', symbols, readErrno);
