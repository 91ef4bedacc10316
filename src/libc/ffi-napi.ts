import ffi = require('ffi-napi');
import { libcFromSymbols, type LibcSymbols } from './marshal';

/*
 * The ffi-napi backend (the @2060.io fork, installed under the ffi-napi name). ffi.errno() is itself a foreign
 * call that reads the thread's errno after the fact; libcFromSymbols calls it right after a call that failed.
 */
const symbols = ffi.Library(null, {
  socket: ['int', ['int', 'int', 'int']],
  fcntl: ['int', ['int', 'int', 'int']],
  connect: ['int', ['int', 'pointer', 'uint32']],
  poll: ['int', ['pointer', 'ulong', 'int']],
  getsockopt: ['int', ['int', 'int', 'int', 'pointer', 'pointer']],
  setsockopt: ['int', ['int', 'int', 'int', 'pointer', 'uint32']],
  getsockname: ['int', ['int', 'pointer', 'pointer']],
  getrlimit: ['int', ['int', 'pointer']],
  close: ['int', ['int']],
  strerror: ['string', ['int']],
}) as unknown as LibcSymbols;

export const ffiNapiLibc = libcFromSymbols('ffi-napi', symbols, () => ffi.errno());
