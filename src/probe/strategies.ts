import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { C } from '../libc/constants';
import { E } from '../libc/errno';
import type { Endpoint } from '../libc/sockaddr';
import type { TracedLibc } from './trace';
import { answerOf } from './verdict';

export const MODES = ['repeat', 'poll', 'fresh', 'blocking'] as const;
export type Mode = (typeof MODES)[number];

export interface StrategyOptions {
  readonly peer: Endpoint;
  /** connect() calls on the one socket (repeat, blocking). */
  readonly repeat: number;
  /** Sockets to open one after the other (fresh). */
  readonly attempts: number;
  /** How long to wait for an answer: poll()'s timeout, or SO_SNDTIMEO for a blocking connect(). */
  readonly timeoutMs: number;
  /** Pause between fresh attempts. */
  readonly intervalMs: number;
  /** TCP_SYNCNT for the socket: SYN retransmissions before ETIMEDOUT (the kernel's default when undefined). */
  readonly synRetries?: number;
  /** Stops the strategy between calls (SIGINT, SIGTERM); the socket is still closed. */
  readonly signal?: AbortSignal;
}

// errno is 0 after a call that succeeded, so the errno alone tells what a connect() answered
const settled = (r: { errno: number }) => answerOf(r.errno) !== undefined;
const connected = (r: { errno: number }) => answerOf(r.errno) === 'connected';

/** socket(), then fcntl(F_GETFL) and fcntl(F_SETFL, |O_NONBLOCK) as the textbook (and the C reference) do it. */
function openSocket(libc: TracedLibc, options: StrategyOptions, nonblocking: boolean): number | undefined {
  const socket = libc.socket(options.peer, false);
  if (socket.ret === -1) return undefined;
  const fd = socket.ret;
  const configured = (() => {
    if (nonblocking) {
      const flags = libc.fcntlGetFlags(fd);
      if (flags.ret === -1 || libc.fcntlSetFlags(fd, flags.ret | C.O_NONBLOCK).ret === -1) return false;
    } else if (libc.setSendTimeout(fd, options.timeoutMs).ret === -1) {
      return false;
    }
    return options.synRetries === undefined || libc.setSynCount(fd, options.synRetries).ret !== -1;
  })();
  if (!configured) {
    libc.close(fd);
    return undefined;
  }
  return fd;
}

/**
 * Waits for the handshake the way `man 2 connect` says: poll() for POLLOUT, then getsockopt(SO_ERROR) once poll
 * reports the fd. A signal interrupts poll() with EINTR: the event loop gets a turn (so a SIGINT handler can run),
 * and unless the probe was aborted, poll() waits again for the rest of the time.
 */
async function awaitHandshake(libc: TracedLibc, fd: number, options: StrategyOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let waitMs = options.timeoutMs; // the whole timeout first; after an EINTR, what is left of it
  for (;;) {
    const polled = libc.poll([fd], waitMs);
    if (polled.ret > 0) {
      const pending = libc.socketError(fd);
      return pending.ret === 0 && pending.value === 0;
    }
    if (polled.ret === 0 || polled.errno !== E.EINTR) return false;
    await yieldToEventLoop();
    if (options.signal?.aborted) return false;
    waitMs = Math.max(0, deadline - Date.now());
  }
}

/**
 * Opens a socket, lets `connectCalls` make its connect() calls on it (resolving to whether the socket ended up
 * connected), asks getsockname() which local end the kernel picked if it did (the only way to tell a real
 * connection from a TCP self-connect), and always closes it.
 */
async function onOneSocket(
  libc: TracedLibc,
  options: StrategyOptions,
  nonblocking: boolean,
  connectCalls: (fd: number) => Promise<boolean>,
): Promise<void> {
  const fd = openSocket(libc, options, nonblocking);
  if (fd === undefined) return;
  try {
    if ((await connectCalls(fd)) && !options.signal?.aborted) libc.getsockname(fd);
  } finally {
    libc.close(fd);
  }
}

/**
 * repeat: the classic reproduction. One socket made non-blocking, connect() called `repeat` times on it. If no
 * call settled the question (only EINPROGRESS / EALREADY), the answer is then awaited as poll mode does, so the
 * verdict is the kernel's answer rather than "not yet".
 */
function repeatConnect(libc: TracedLibc, options: StrategyOptions): Promise<void> {
  return onOneSocket(libc, options, true, async (fd) => {
    let decided = false;
    let isConnected = false;
    for (let i = 0; i < options.repeat && !options.signal?.aborted; i++) {
      const r = libc.connect(fd, options.peer);
      decided ||= settled(r);
      isConnected ||= connected(r);
    }
    return decided || options.signal?.aborted ? isConnected : awaitHandshake(libc, fd, options);
  });
}

/** poll: connect once; if in progress, poll() for POLLOUT with the timeout, then read SO_ERROR. */
function pollConnect(libc: TracedLibc, options: StrategyOptions): Promise<void> {
  return onOneSocket(libc, options, true, async (fd) => {
    const r = libc.connect(fd, options.peer);
    return r.errno === E.EINPROGRESS ? awaitHandshake(libc, fd, options) : connected(r);
  });
}

/** blocking: no O_NONBLOCK; each connect() waits for the answer itself, bounded by SO_SNDTIMEO. */
function blockingConnect(libc: TracedLibc, options: StrategyOptions): Promise<void> {
  return onOneSocket(libc, options, false, async (fd) => {
    let isConnected = false;
    for (let i = 0; i < options.repeat && !options.signal?.aborted; i++) {
      isConnected = connected(libc.connect(fd, options.peer)) || isConnected;
      await yieldToEventLoop(); // a blocking connect() holds the thread; let a signal handler run between calls
    }
    return isConnected;
  });
}

/** fresh: like tcping, a new socket per attempt, each one a poll-mode probe, `intervalMs` apart. */
async function freshConnects(libc: TracedLibc, options: StrategyOptions): Promise<void> {
  for (let attempt = 1; attempt <= options.attempts && !options.signal?.aborted; attempt++) {
    if (attempt > 1) {
      try {
        // setTimeout waits at least 1 ms even for 0: with no interval, only let the event loop have a turn
        if (options.intervalMs > 0) await sleep(options.intervalMs, undefined, { signal: options.signal });
        else await yieldToEventLoop();
      } catch {
        return; // aborted while waiting
      }
    }
    libc.attempt = attempt;
    await pollConnect(libc, options);
  }
}

export const STRATEGIES: Readonly<Record<Mode, (libc: TracedLibc, options: StrategyOptions) => Promise<void>>> = {
  repeat: repeatConnect,
  poll: pollConnect,
  fresh: freshConnects,
  blocking: blockingConnect,
};
