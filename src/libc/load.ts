import { unsupportedPlatform } from './constants';
import type { Libc } from './libc';
import { UsageError } from '../usage';

export const BACKENDS = ['ffi-napi', 'koffi'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** An explicitly requested backend that cannot be loaded here (exit 6 in the CLI): no fallback is made. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export interface LoadedBackend {
  readonly libc: Libc;
  readonly backend: BackendName;
  /** Set when nothing was requested and ffi-napi did not load, so koffi runs: why, in one line. */
  readonly fallbackReason?: string;
}

/** The first line of why a require failed: node-gyp-build's and Node's messages run to several lines. */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].trim();
}

/** Loads one FFI backend on demand, so a run pays only for the backend it uses. */
function loadLibc(backend: BackendName): Libc {
  switch (backend) {
    case 'ffi-napi':
      return (require('./ffi-napi') as typeof import('./ffi-napi')).ffiNapiLibc;
    case 'koffi':
      return (require('./koffi') as typeof import('./koffi')).koffiLibc;
  }
}

/**
 * The backend to call libc through. With none requested, ffi-napi (the default) where it is installed and loads,
 * else koffi, saying why: ffi-napi is an optional, native dependency that may be missing (no compiler, no
 * prebuild for this platform), and koffi ships binaries for every platform it supports. A requested backend is
 * loaded or refused, never swapped: a test run or a script that asked for ffi-napi must not get koffi silently.
 */
export function loadBackend(requested?: BackendName): LoadedBackend {
  if (unsupportedPlatform) throw unsupportedPlatform;
  if (requested !== undefined) {
    try {
      return { libc: loadLibc(requested), backend: requested };
    } catch (error) {
      throw new BackendUnavailableError(`the ${requested} backend cannot be loaded: ${reasonOf(error)}`);
    }
  }
  try {
    return { libc: loadLibc('ffi-napi'), backend: 'ffi-napi' };
  } catch (error) {
    const fallbackReason = `ffi-napi cannot be loaded (${reasonOf(error)}); using koffi`;
    try {
      return { libc: loadLibc('koffi'), backend: 'koffi', fallbackReason };
    } catch (koffiError) {
      throw new BackendUnavailableError(`neither FFI backend can be loaded: ffi-napi: ${reasonOf(error)}; koffi: ${reasonOf(koffiError)}`);
    }
  }
}

/** CONNPROBE_FFI as a backend request: unset or empty is no request; anything else must name a backend. */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const value = env.CONNPROBE_FFI;
  if (value === undefined || value === '') return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) {
    throw new UsageError(`CONNPROBE_FFI must be one of ${BACKENDS.join(', ')}, not ${value}`);
  }
  return value as BackendName;
}
