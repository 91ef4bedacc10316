import { loadLibc, type BackendName } from '../libc/load';
import type { Endpoint } from '../libc/sockaddr';
import type { CallRecord } from './record';
import { repeatConnect } from './strategies';
import { TracedLibc } from './trace';
import { verdictOf, type Verdict } from './verdict';

export interface ProbeRequest {
  readonly peer: Endpoint;
  /** connect() calls on the one non-blocking socket. */
  readonly repeat: number;
  readonly backend?: BackendName;
  /** Called with each record as soon as its call returns (for streaming output). */
  readonly onRecord?: (record: CallRecord) => void;
}

export interface ProbeResult {
  readonly peer: Endpoint;
  readonly backend: BackendName;
  readonly records: readonly CallRecord[];
  readonly verdict: Verdict;
}

/** Probes one address: makes the calls, keeps every record, and concludes. */
export function probeEndpoint(request: ProbeRequest): ProbeResult {
  const backend = request.backend ?? 'ffi-napi';
  const records: CallRecord[] = [];
  const traced = new TracedLibc(loadLibc(backend), (record) => {
    records.push(record);
    request.onRecord?.(record);
  });
  repeatConnect(traced, request.peer, request.repeat);
  return { peer: request.peer, backend, records, verdict: verdictOf(records) };
}
