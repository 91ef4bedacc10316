/**
 * connprobe's programmatic API: the same probes and records the CLI prints (the CLI is a thin layer on these).
 *   probe()             one target, one mode, every call recorded
 *   probeConcurrently() many targets at once, optionally waiting for each to accept
 */
export { probe, probeConcurrently } from './api';
export type { ConcurrentOptions, ConcurrentReport, ProbeOptions, ProbeReport } from './api';
export { MODES, type Mode } from './options';
export type { AddressResult, AddressStatus, AttemptResult, PacketSeen, ProbeEvent, TargetResult } from './probe/result';
export type { CallRecord, PacketEnd, PacketRecord } from './probe/record';
export { CaptureUnavailableError } from './packet/socket';
export { EXIT_CODES, type Verdict, type VerdictKind } from './probe/verdict';
export { parseTargets, type TargetSpec } from './target/parse';
export { TargetSource } from './target/source';
export { UsageError } from './usage';
export type { Resolution } from './target/resolve';
export type { Endpoint, InetEndpoint, UnixEndpoint } from './net/endpoint';
export { formatAddress, type IpAddress } from './net/address';
export { BackendUnavailableError, type BackendName } from './libc/load';
