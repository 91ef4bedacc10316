import ffi = require('ffi-napi');
import ref = require('ref-napi');
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

function prepare(fn: Buffer, argTypes: readonly ArgType[]): (...args: (number | Buffer)[]) => number {
  const cif = ffi.CIF(ref.types.int, argTypes.map((type) => ref.coerceType(type)));
  const slots = argTypes.map(() => Buffer.alloc(SLOT));
  const argv = Buffer.alloc(SLOT * argTypes.length);
  slots.forEach((slot, i) => ref.writePointer(argv, i * SLOT, slot));
  const pointedTo: (Buffer | undefined)[] = argTypes.map(() => undefined);
  const result = Buffer.alloc(SLOT); // ffi_arg: an int return comes back sign-extended to 64 bits
  return (...args) => {
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
const symbol = (name: string) => libc.get(name);
const viaProxy = ffi.Library(null, { strerror: ['string', ['int']] }) as unknown as Pick<LibcSymbols, 'strerror'>;

const symbols = {
  socket: prepare(symbol('socket'), ['int', 'int', 'int']),
  fcntl: prepare(symbol('fcntl'), ['int', 'int', 'int']),
  connect: prepare(symbol('connect'), ['int', 'pointer', 'uint32']),
  poll: prepare(symbol('poll'), ['pointer', 'ulong', 'int']),
  getsockopt: prepare(symbol('getsockopt'), ['int', 'int', 'int', 'pointer', 'pointer']),
  setsockopt: prepare(symbol('setsockopt'), ['int', 'int', 'int', 'pointer', 'uint32']),
  getsockname: prepare(symbol('getsockname'), ['int', 'pointer', 'pointer']),
  getrlimit: prepare(symbol('getrlimit'), ['int', 'pointer']),
  close: prepare(symbol('close'), ['int']),
  strerror: viaProxy.strerror, // rare (cached by the tracer), and it returns a string: the proxy reads it
} as LibcSymbols;

/** errno as ffi-napi's ffi.errno() reads it (its _errno helper), prepared like the calls: nothing runs before it. */
const readErrno = prepare(native.StaticFunctions._errno, []);

export const ffiNapiLibc = libcFromSymbols('ffi-napi', symbols, readErrno);
