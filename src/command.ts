import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { C } from './libc/constants';
import type { Libc } from './libc/libc';
import { UsageError } from './usage';

/*
 * The command after `--` (`connprobe db:5432 --wait 30s -- npm start`): once the probe would exit 0, connprobe
 * becomes the command through execvp(), as wait-for-it's `exec "$@"` does: same pid, so signals sent to the
 * container's process reach the service, and no 45 MB parent stays behind.
 *
 * Node changes the process in ways a new program must not inherit, and exec keeps them, so they are undone first:
 * - it ignores SIGPIPE and SIGXFSZ (an ignored disposition survives exec; caught ones are reset by exec itself);
 * - it marks fds 0, 1 and 2 close-on-exec at start-up (the command would have no stdio at all);
 * - its own fds and the sockets connprobe opened through libc (without SOCK_CLOEXEC) must not leak;
 * - process.stdout / process.stderr, once used, make a pipe or terminal non-blocking.
 * What cannot be undone: Node raises the soft RLIMIT_NOFILE to the hard limit at start-up, before connprobe's
 * code runs, and the command inherits the raised limit.
 */

/** 127: no such command; 126: found but could not be run. As shells (and wait-for-it, env, timeout) answer. */
export const COMMAND_NOT_FOUND = 127;
export const COMMAND_NOT_RUN = 126;

/** argv split at the first `--`: connprobe's own words, and the command's, verbatim (undefined: no `--`). */
export function splitCommand(argv: readonly string[]): { own: readonly string[]; command: readonly string[] | undefined } {
  const at = argv.indexOf('--');
  return at < 0 ? { own: argv, command: undefined } : { own: argv.slice(0, at), command: argv.slice(at + 1) };
}

/** Checks the command's words before anything is probed (they become C strings: no NUL). */
export function checkCommand(command: readonly string[]): void {
  if (command.length === 0 || command[0] === '') {
    throw new UsageError('-- must be followed by the command to run once the probe succeeds');
  }
  if (command.some((word) => word.includes('\0'))) throw new UsageError('a word of the command contains a NUL byte');
}

/** The status flags of fds 0-2 (O_NONBLOCK among them) as they are now, from /proc: read before Node touches them. */
export function stdioFlags(): readonly (number | undefined)[] {
  return [0, 1, 2].map((fd) => {
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      return flags ? parseInt(flags[1], 8) : undefined;
    } catch {
      return undefined;
    }
  });
}

/**
 * Writes all of `text` to `fd` before returning, so that nothing connprobe printed is lost by the exec that may
 * follow (a Node stream would queue what a full pipe does not take yet). A non-blocking fd that answers EAGAIN
 * is waited on, 1 ms at a time, as a blocking write would wait; a gone reader (EPIPE) ends the output silently.
 */
export function writeAllSync(fd: number, text: string): void {
  let data = Buffer.from(text);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (data.length > 0) {
    try {
      data = data.subarray(writeSync(fd, data));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(nap, 0, 0, 1);
    }
  }
}

/** Signals 1-31 but SIGKILL and SIGSTOP: the ones Node sets at start-up (it ignores SIGPIPE and SIGXFSZ). */
const STANDARD_SIGNALS = Object.entries(constants.signals).filter(
  ([name, n]) => n >= 1 && n <= 31 && name !== 'SIGKILL' && name !== 'SIGSTOP',
);

/** Why the process could not be made ready for the command, or undefined when it is. */
function prepareForExec(libc: Libc, stdio: readonly (number | undefined)[]): string | undefined {
  const failed = (call: string, errno: number) => `${call} failed with ${libc.strerror(errno)}`;
  // every fd above 2 closes at exec: Node's own, the sockets connprobe opened, anything else
  const range = libc.closeRange(3, 0xffffffff, C.CLOSE_RANGE_CLOEXEC);
  if (range.ret === -1) {
    for (const name of readdirSync('/proc/self/fd')) {
      const fd = Number(name);
      if (fd > 2) libc.fcntl(fd, C.F_SETFD, C.FD_CLOEXEC); // EBADF: the directory's own fd, closed since
    }
  }
  for (let fd = 0; fd <= 2; fd++) {
    const keep = libc.fcntl(fd, C.F_SETFD, 0);
    if (keep.ret === -1) return failed(`fcntl(${fd}, F_SETFD)`, keep.errno);
    const was = stdio[fd];
    const now = libc.fcntl(fd, C.F_GETFL, 0);
    if (was !== undefined && now.ret !== -1 && (now.ret & C.O_NONBLOCK) !== (was & C.O_NONBLOCK)) {
      libc.fcntl(fd, C.F_SETFL, (now.ret & ~C.O_NONBLOCK) | (was & C.O_NONBLOCK));
    }
  }
  for (const [name, signal] of STANDARD_SIGNALS) {
    const reset = libc.sigactionDefault(signal);
    if (reset.ret === -1) return failed(`sigaction(${name})`, reset.errno);
  }
  const mask = libc.sigprocmaskUnblockAll();
  if (mask.ret === -1) return failed('sigprocmask', mask.errno);
  return undefined;
}

/** Why the command did not run: the exit code and the one line that says so. */
export interface ExecFailure {
  readonly code: number;
  readonly message: string;
}

/**
 * Replaces this process with the command, looked up on PATH (execvp: argv as given, no shell parses it). Returns
 * only if that failed: 127 when there is no such command, 126 when it cannot be run (EACCES, ENOEXEC, ...).
 * `stdio` is stdioFlags() as read at start-up.
 */
export function execCommand(libc: Libc, command: readonly string[], stdio: readonly (number | undefined)[]): ExecFailure {
  const [file] = command;
  const notReady = prepareForExec(libc, stdio);
  if (notReady) return { code: COMMAND_NOT_RUN, message: `cannot run ${file}: ${notReady}` };
  const { errno } = libc.execvp(file, command);
  if (errno === constants.errno.ENOENT) {
    return { code: COMMAND_NOT_FOUND, message: file.includes('/') ? `${file}: ${libc.strerror(errno)}` : `${file}: command not found` };
  }
  return { code: COMMAND_NOT_RUN, message: `${file}: ${libc.strerror(errno)}` };
}
