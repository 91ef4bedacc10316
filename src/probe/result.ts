import type { Endpoint } from '../net/endpoint';
import type { Resolution } from '../target/resolve';
import type { CallRecord, PacketRecord } from './record';
import type { AttemptStats } from './stats';
import type { Verdict } from './verdict';

/** One attempt: one socket's life, from socket() to close(). */
export interface AttemptResult {
  /** From 1. A self-connect retried on a fresh socket keeps its attempt's number. */
  readonly attempt: number;
  readonly verdict: Verdict;
  /** Milliseconds from the first connect() to the kernel's answer; null when there was none (timeout, local error). */
  readonly handshakeMs: number | null;
}

/**
 * How an address ended: `done` with a verdict; `abandoned` when its target was settled by another address while
 * this one was still being tried (--wait); `interrupted` by a signal or an abort before it was done.
 */
export type AddressStatus = 'done' | 'abandoned' | 'interrupted';

/** Everything learned about one address of a target. */
export interface AddressResult {
  readonly peer: Endpoint;
  readonly status: AddressStatus;
  /** The verdict, once done (with --wait, `timeout` if the wait ended unmet); null otherwise. */
  readonly verdict: Verdict | null;
  /** What the kernel last answered for this address (the last attempt's verdict), whatever the status. */
  readonly lastAnswer: Verdict | null;
  /** The last answered attempt's handshake time, in ms. */
  readonly handshakeMs: number | null;
  /** Over the attempts: counts per verdict, handshake min/avg/max/stddev (fresh mode's summary). */
  readonly stats: AttemptStats;
  /** Every attempt (empty unless records are kept). */
  readonly attempts: readonly AttemptResult[];
  /** Every call made for this address (empty unless records are kept). */
  readonly records: readonly CallRecord[];
  /** Its sockets' packets, in the order seen (--packets; empty unless records are kept). */
  readonly packets: readonly PacketRecord[];
}

export interface TargetResult {
  /** Position in the caller's list of targets. */
  readonly index: number;
  /** As given: an address or a name; for a unix socket, its target form (`unix:/run/x.sock`). */
  readonly host: string;
  /** null for a unix socket. */
  readonly port: number | null;
  /** The last resolution of the name; null when the host was an address. */
  readonly resolution: Resolution | null;
  /** connected if any address connected; null if interrupted before it was settled. */
  readonly verdict: Verdict | null;
  readonly addresses: readonly AddressResult[];
}

/** A packet of one of a target's sockets. */
export interface PacketSeen {
  readonly target: number;
  readonly peer: Endpoint;
  readonly packet: PacketRecord;
}

/** What a run learns, in the order it learns it: one vocabulary for every mode and every number of targets. */
export type ProbeEvent =
  | { readonly type: 'resolution'; readonly target: number; readonly resolution: Resolution }
  /**
   * `peer` is null for a poll() that waited on several attempts' sockets at once. `packets`: the probe's packets
   * read as the call returned (--packets), in the order seen: stamped during it, or since the call before.
   */
  | { readonly type: 'call'; readonly target: number | null; readonly peer: Endpoint | null; readonly record: CallRecord; readonly packets: readonly PacketSeen[] }
  | { readonly type: 'attempt'; readonly target: number; readonly peer: Endpoint; readonly attempt: AttemptResult }
  | { readonly type: 'address'; readonly target: number; readonly result: AddressResult }
  /** In the caller's order, each as soon as it and every target before it are settled. */
  | { readonly type: 'target'; readonly result: TargetResult };
