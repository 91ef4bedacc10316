import Module = require('node:module');
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/*
 * The CLI bundle (dist/connprobe.js) loaded with V8's code cache: compiling the bundle, and then each function it
 * runs on first call, is a large part of every start-up, and the cache makes it a read. The bundle goes through
 * vm.Script's cachedData, made at exit so that it holds the functions a run compiled, not just the top level (as
 * Node's compile cache makes it); where Node has module.enableCompileCache() (22.1+), it is on as well, for the
 * packages the bundle loads (koffi, ref-napi). The caches are per user, and only ever an optimisation: a cache
 * that is missing, stale, rejected by V8 or unwritable (a read-only home, a full disk) leaves the run as it would
 * be without one. NODE_DISABLE_COMPILE_CACHE, Node's own switch, turns both off.
 */

/** Free space below which no cache is written: a nearly full disk must not make every run try, and fail. */
const ROOM_NEEDED = 64 * 1024 * 1024;

/** Where the caches go: $XDG_CACHE_HOME/connprobe, else ~/.cache/connprobe; null where there is no home. */
function cacheDirectory(): string | null {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg?.startsWith('/')) return join(xdg, 'connprobe');
  try {
    const home = homedir();
    return home ? join(home, '.cache', 'connprobe') : null;
  } catch {
    return null; // no HOME and no passwd entry
  }
}

/** Whether a cache may be written in the directory now (made if need be): writable, and with room. */
function writableWithRoom(directory: string): boolean {
  try {
    mkdirSync(directory, { recursive: true });
    const { bavail, bsize } = statfsSync(directory);
    return bavail * bsize >= ROOM_NEEDED;
  } catch {
    return false;
  }
}

/**
 * What `require(file)` returns, for the bundle, with the caches above. `worthCaching` says, at exit, whether the
 * run compiled enough of the bundle for its cache to be written (a cache holds what its run compiled, and stays).
 */
export function requireBundle<T>(file: string, worthCaching: (bundle: T) => boolean): T {
  const directory = process.env.NODE_DISABLE_COMPILE_CACHE ? null : cacheDirectory();
  if (directory === null) return require(file) as T;
  const { enableCompileCache } = Module as { enableCompileCache?: (directory: string) => unknown };
  // Node writes it when the process exits: only where it can
  if (enableCompileCache && writableWithRoom(directory)) enableCompileCache(directory);
  return requireWithCodeCache(file, directory, worthCaching);
}

/**
 * The start of the names of a bundle's cache files; the rest says what V8 accepts (its Node) and the bundle's
 * size, so that two installs seldom take turns.
 */
const cachePrefix = (file: string) => `${basename(file)}-node`;

/**
 * The bundle compiled by vm.Script with the cached data a previous run left, and run as a CommonJS module. The
 * cache file holds the bundle's bytes, then V8's data: it is used only for the very bundle it was made from (V8
 * itself checks no more than the source's length). It is written when there was none or V8 rejected it (another
 * V8, other flags), at the exit of a run worth caching, so that it holds every function that run compiled, not
 * just the top level; to a temporary file renamed into place, so that a reader never sees half of one.
 */
function requireWithCodeCache<T>(file: string, directory: string, worthCaching: (bundle: T) => boolean): T {
  const source = readFileSync(file);
  const cacheFile = join(directory, `${cachePrefix(file)}${process.version}-${process.arch}-${source.length}.cache`);
  const cachedData = cachedFor(source, cacheFile);
  const script = new Script(Module.wrap(source.toString('utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      if (worthCaching(module.exports as T) && writeCache(cacheFile, source, script)) keepNewest(directory, cachePrefix(file));
    });
  }
  const module = new Module(file);
  module.filename = file;
  const compiled = script.runInThisContext() as (...args: unknown[]) => void;
  compiled.call(module.exports, module.exports, Module.createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return module.exports as T;
}

/** V8's data from the cache file, if the file was made from exactly this source. */
function cachedFor(source: Buffer, cacheFile: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  return data.length > source.length && data.subarray(0, source.length).equals(source) ? data.subarray(source.length) : undefined;
}

/** Whether the cache file was written. */
function writeCache(cacheFile: string, source: Buffer, script: Script): boolean {
  if (!writableWithRoom(dirname(cacheFile))) return false;
  const temporary = `${cacheFile}.${process.pid}`;
  try {
    const fd = openSync(temporary, 'wx'); // before the data is made: a read-only directory costs nothing more
    try {
      writeFileSync(fd, source);
      writeFileSync(fd, script.createCachedData());
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, cacheFile);
    return true;
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // it was never made
    }
    return false;
  }
}

/** Caches kept per bundle name: every build, upgrade or Node has its own, and the old ones would pile up. */
const CACHES_KEPT = 8;

/** Removes all but the CACHES_KEPT newest cache files named `${prefix}...`: an evicted one costs one run a miss. */
function keepNewest(directory: string, prefix: string): void {
  try {
    const caches = readdirSync(directory)
      .filter((name) => name.startsWith(prefix) && name.endsWith('.cache'))
      .map((name) => ({ path: join(directory, name), written: statSync(join(directory, name)).mtimeMs }))
      .sort((a, b) => b.written - a.written);
    for (const { path } of caches.slice(CACHES_KEPT)) unlinkSync(path);
  } catch {
    // another run pruned them first
  }
}
