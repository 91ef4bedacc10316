import type { Mode } from '../options';

/**
 * How one attempt uses its socket: how it is set up, how many times connect() is called on it, and whether an
 * answer still outstanding after those calls is awaited (poll, then SO_ERROR) or left as it is.
 */
export interface Plan {
  /**
   * `fcntl`: socket(), then F_GETFL and F_SETFL |O_NONBLOCK, as the seed program and textbooks do it.
   * `sock-nonblock`: socket(SOCK_NONBLOCK), one call fewer, as a scanner does it.
   * `send-timeout`: blocking, each connect() bounded by SO_SNDTIMEO = the timeout.
   */
  readonly setup: 'fcntl' | 'sock-nonblock' | 'send-timeout';
  readonly connects: number;
  /**
   * An answer no connect() call settled: `timeout`, awaited with poll() up to the timeout; `glance`, asked for
   * with a poll() that does not wait (the answer may already be there: on loopback the RST comes back within the
   * connect() call); `never`, left as it is (a blocking connect() waited itself).
   */
  readonly awaitAnswer: 'timeout' | 'glance' | 'never';
  /** The calls hold the thread (blocking): the event loop gets a turn between them. */
  readonly blocks: boolean;
}

/**
 * The plan of one target's mode. `classic` leaves repeat mode's wait out: the seed program returns after its
 * connect() calls, and its output is what classic reproduces; a glance (invisible in classic output) still tells
 * the verdict when the answer has already come.
 */
export function planOf(mode: Mode, repeat: number, classic: boolean): Plan {
  switch (mode) {
    case 'repeat':
      return { setup: 'fcntl', connects: repeat, awaitAnswer: classic ? 'glance' : 'timeout', blocks: false };
    case 'poll':
    case 'fresh':
      return { setup: 'fcntl', connects: 1, awaitAnswer: 'timeout', blocks: false };
    case 'blocking':
      return { setup: 'send-timeout', connects: repeat, awaitAnswer: 'never', blocks: true };
  }
}

/** Several targets, or --wait: one connect() on a SOCK_NONBLOCK socket, awaited with the others in one poll(). */
export const SCAN_PLAN: Plan = { setup: 'sock-nonblock', connects: 1, awaitAnswer: 'timeout', blocks: false };
