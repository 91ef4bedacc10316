import { unsupportedPlatform } from './constants';
import type { Libc } from './libc';

export const BACKENDS = ['ffi-napi', 'koffi'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Loads one FFI backend on demand, so a run pays only for the backend it uses. */
export function loadLibc(backend: BackendName): Libc {
  if (unsupportedPlatform) throw unsupportedPlatform;
  switch (backend) {
    case 'ffi-napi':
      return (require('./ffi-napi') as typeof import('./ffi-napi')).ffiNapiLibc;
    case 'koffi':
      return (require('./koffi') as typeof import('./koffi')).koffiLibc;
  }
}
