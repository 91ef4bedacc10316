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
  /** Await an answer no connect() call settled. */
  readonly awaitAnswer: boolean;
  /** The calls hold the thread (blocking): the event loop gets a turn between them. */
  readonly blocks: boolean;
}

/**
 * The plan of one target's mode. `classic` leaves repeat mode's wait out: the seed program returns after its
 * connect() calls, and its output is what classic reproduces.
 */
export function planOf(mode: Mode, repeat: number, classic: boolean): Plan {
  switch (mode) {
    case 'repeat':
      return { setup: 'fcntl', connects: repeat, awaitAnswer: !classic, blocks: false };
    case 'poll':
    case 'fresh':
      return { setup: 'fcntl', connects: 1, awaitAnswer: true, blocks: false };
    case 'blocking':
      return { setup: 'send-timeout', connects: repeat, awaitAnswer: false, blocks: true };
  }
}

/** Several targets, or --wait: one connect() on a SOCK_NONBLOCK socket, awaited with the others in one poll(). */
export const SCAN_PLAN: Plan = { setup: 'sock-nonblock', connects: 1, awaitAnswer: true, blocks: false };
