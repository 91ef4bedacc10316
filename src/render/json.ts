import { formatAddress, type IpAddress } from '../target/address';
import type { Resolution } from '../target/resolve';
import type { CallRecord } from '../probe/record';
import type { AttemptStats } from '../probe/stats';
import type { Verdict } from '../probe/verdict';
import type { Endpoint } from '../libc/sockaddr';

/** Bumped on any change that could break a consumer; schema/connprobe.schema.json describes each version. */
export const SCHEMA_VERSION = 1;

/** One address of a target, the same shape whichever engine probed it. */
export interface AddressOutcome {
  readonly peer: Endpoint;
  readonly verdict: Verdict;
  readonly attempts: number;
  readonly handshakeMs: number | null;
  /** The errno name of the last failure seen, if any (with --wait, what the last retry was told). */
  readonly lastErrno: string | null;
  readonly stats: AttemptStats | null;
  readonly records: readonly CallRecord[];
}

export interface TargetOutcomeDocument {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly resolution: Resolution | null;
  readonly verdict: Verdict | null;
  /** Whether it met the run's expectation (connected, or --expect / --expect-sequence). */
  readonly met: boolean;
  readonly addresses: readonly AddressOutcome[];
  /** Only for a target an interruption left unfinished. */
  readonly unfinished?: { readonly attempts: number; readonly lastErrno: string | null };
}

export interface RunDocument {
  readonly mode: string;
  readonly backend: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly targets: readonly TargetOutcomeDocument[];
  readonly exitCode: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
}

function isIpAddress(value: unknown): value is IpAddress {
  return typeof value === 'object' && value !== null && (value as IpAddress).bytes instanceof Uint8Array;
}

/**
 * JSON.stringify replacer: an IP address becomes its text and its family sits beside it, so an endpoint reads
 * `{"address": "::1", "family": 6, "port": 80}` (with `scopeId` for link-local addresses).
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && isIpAddress((value as Endpoint).address)) {
    const { address, ...rest } = value as Endpoint & Record<string, unknown>;
    return { address: formatAddress({ ...address, scopeId: 0 }), family: address.family, ...(address.scopeId ? { scopeId: address.scopeId } : {}), ...rest };
  }
  if (isIpAddress(value)) return formatAddress(value);
  return value;
}

const header = () => ({
  schemaVersion: SCHEMA_VERSION,
  tool: 'connprobe',
  platform: `${process.platform}-${process.arch}`,
});

/** The whole run as one JSON document. */
export function formatJsonDocument(run: RunDocument): string {
  return JSON.stringify({ ...header(), ...run }, jsonReplacer, 2) + '\n';
}

/** One NDJSON line: an event of the run, as it happens. */
export function formatJsonEvent(event: { readonly type: string } & Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...event }, jsonReplacer) + '\n';
}
