import { formatAddress, type IpAddress } from '../net/address';
import type { Endpoint, InetEndpoint } from '../net/endpoint';
import type { Options } from '../options';
import { targetMeets, type Expectation } from '../probe/expectation';
import type { CallRecord, PacketRecord } from '../probe/record';
import type { AddressResult, AddressStatus, PacketSeen, ProbeEvent, TargetResult } from '../probe/result';
import type { AttemptStats } from '../probe/stats';
import type { Verdict } from '../probe/verdict';
import type { Resolution } from '../target/resolve';
import { packetsAround } from './packet';
import type { Output, RunEnd, RunStart, Sink } from './sink';

/**
 * The JSON wire format (schema/connprobe.schema.json), apart from the domain model: these types are what
 * consumers parse. Version 2; additions within v2 add fields, and consumers ignore fields they do not know.
 */
export const SCHEMA_VERSION = 2;

export interface AddressDocument {
  readonly peer: Endpoint;
  readonly status: AddressStatus;
  readonly verdict: Verdict | null;
  readonly lastAnswer: Verdict | null;
  /** Attempts made (a self-connect retried on a fresh socket counts once). */
  readonly attempts: number;
  readonly handshakeMs: number | null;
  /** The errno name of the last answer, if it was a failure. */
  readonly lastErrno: string | null;
  /** ping-style statistics, in fresh mode; null otherwise. */
  readonly stats: AttemptStats | null;
  readonly records: readonly CallRecord[];
  /** --packets: its sockets' packets, in the order seen; absent without --packets. */
  readonly packets?: readonly PacketRecord[];
}

export interface TargetDocument {
  readonly index: number;
  readonly host: string;
  readonly port: number | null;
  readonly resolution: Resolution | null;
  readonly verdict: Verdict | null;
  /** Whether it met the run's expectation (connected, or --expect / --expect-sequence). */
  readonly met: boolean;
  readonly addresses: readonly AddressDocument[];
}

/** What a document shows beyond the verdicts: fresh mode's statistics, --packets' packets. */
interface Extras {
  readonly stats: boolean;
  readonly packets: boolean;
}

function addressDocument(address: AddressResult, extras: Extras): AddressDocument {
  return {
    peer: address.peer,
    status: address.status,
    verdict: address.verdict,
    lastAnswer: address.lastAnswer,
    attempts: address.stats.attempts,
    handshakeMs: address.handshakeMs,
    lastErrno: address.lastAnswer && address.lastAnswer.kind !== 'connected' ? address.lastAnswer.errnoName : null,
    stats: extras.stats ? address.stats : null,
    records: address.records,
    ...(extras.packets ? { packets: address.packets } : {}),
  };
}

export function targetDocument(target: TargetResult, expectation: Expectation, extras: Extras): TargetDocument {
  return {
    index: target.index,
    host: target.host,
    port: target.port,
    resolution: target.resolution,
    verdict: target.verdict,
    met: targetMeets(target, expectation),
    addresses: target.addresses.map((a) => addressDocument(a, extras)),
  };
}

/** What ran: each option as it acted, null where it does not apply. */
function optionsDocument(o: Options) {
  const repeats = !o.scan && (o.mode === 'repeat' || o.mode === 'blocking');
  const fresh = !o.scan && o.mode === 'fresh';
  return {
    timeoutMs: o.timeoutMs,
    repeat: repeats ? o.repeat : null,
    count: fresh ? o.count : null,
    intervalMs: fresh || o.waitMs !== null ? o.intervalMs : null,
    wait: o.waitMs !== null,
    waitMs: o.waitMs === Infinity ? null : o.waitMs, // JSON has no Infinity: `wait` says a wait ran, with no deadline
    stableMs: o.stableMs,
    concurrency: o.scan ? o.concurrency : null,
    synRetries: o.synRetries,
    family: o.family,
    source: o.source,
    expect: o.expectation.verdicts ? [...o.expectation.verdicts] : null,
    expectSequence: o.expectation.sequence ?? null,
    any: o.expectation.any ?? false,
    packets: o.packets,
    pcap: o.pcap,
  };
}

function header(run: RunStart) {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: 'connprobe',
    version: (require('../../../package.json') as { version: string }).version,
    platform: `${process.platform}-${process.arch}`,
    backend: run.backend,
    startedAt: run.startedAt.toISOString(),
    mode: run.options.scan ? 'scan' : run.options.mode,
    options: optionsDocument(run.options),
  };
}

function isIpAddress(value: unknown): value is IpAddress {
  return typeof value === 'object' && value !== null && (value as IpAddress).bytes instanceof Uint8Array;
}

const roundTo = (value: number, step: number) => Math.round(value / step) * step;

/**
 * JSON.stringify replacer: an endpoint reads `{"address": "::1", "family": 6, "port": 80}` (with `scopeId` for
 * link-local addresses); times are rounded to the microsecond (`...Ms` to 3 decimals, `...Us` to whole numbers).
 */
export function jsonReplacer(key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    if (key.endsWith('Ms')) return Number(roundTo(value, 0.001).toFixed(3));
    if (key.endsWith('Us')) return Math.round(value);
    return value;
  }
  if (typeof value === 'object' && value !== null && isIpAddress((value as InetEndpoint).address)) {
    const { address, ...rest } = value as InetEndpoint & Record<string, unknown>;
    return {
      address: formatAddress({ ...address, scopeId: 0 }),
      family: address.family,
      ...(address.scopeId ? { scopeId: address.scopeId } : {}),
      ...rest,
    };
  }
  if (isIpAddress(value)) return formatAddress(value);
  return value;
}

/** --json: the whole run as one document, written at the end; it keeps every record. */
export function jsonSink(out: Output, expectation: Expectation): Sink {
  const targets: TargetDocument[] = [];
  let start: RunStart;
  return {
    needs: { records: true, calls: false },
    start(run) {
      start = run;
    },
    onEvent(event) {
      if (event.type === 'target') targets.push(targetDocument(event.result, expectation, { stats: isFresh(start.options), packets: start.options.packets }));
    },
    end(run: RunEnd) {
      out.write(JSON.stringify({ ...header(start), targets, ...run }, jsonReplacer, 2) + '\n');
    },
  };
}

const isFresh = (o: Options) => !o.scan && o.mode === 'fresh';

/** --ndjson: one event per line as it happens, from `start` to `end`; it keeps nothing. */
export function ndjsonSink(out: Output, expectation: Expectation): Sink {
  const line = (event: Record<string, unknown>) => out.write(JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...event }, jsonReplacer) + '\n');
  // packets are events of their own here, as they are seen
  let extras: Extras = { stats: false, packets: false };
  return {
    needs: { records: false, calls: true },
    start(run) {
      extras = { stats: isFresh(run.options), packets: false };
      const { schemaVersion: _, ...rest } = header(run);
      line({ type: 'start', ...rest });
    },
    onEvent(event: ProbeEvent) {
      switch (event.type) {
        case 'attempt': {
          const { attempt, verdict, handshakeMs } = event.attempt;
          return line({ type: 'attempt', target: event.target, peer: event.peer, attempt, verdict, handshakeMs });
        }
        case 'address':
          return line({ type: 'address', target: event.target, address: addressDocument(event.result, extras) });
        case 'target':
          return line({ type: 'target', target: targetDocument(event.result, expectation, extras) });
        case 'call': {
          const { packets: _, ...call } = event;
          const { before, after } = packetsAround(event);
          const packetLine = ({ target, peer, packet }: PacketSeen) => line({ type: 'packet', target, peer, ...packet });
          before.forEach(packetLine);
          line(call);
          return after.forEach(packetLine);
        }
        default:
          return line(event);
      }
    },
    end(run) {
      line({ type: 'end', ...run });
    },
  };
}
