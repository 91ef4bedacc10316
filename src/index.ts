/**
 * connprobe's programmatic API: the same probes and records the CLI prints (the CLI is a thin layer on these).
 *   probe()             one target, one mode, every call recorded
 *   probeConcurrently() many targets at once, optionally waiting for each to accept
 */
export { probe } from './probe/probe';
export type { AddressResult, AttemptResult, ProbeEvent, ProbeOptions, ProbeReport } from './probe/probe';
export { probeConcurrently } from './probe/concurrent';
export type { ConcurrentEvent, ConcurrentOptions, ConcurrentReport, EndpointResult, TargetResult } from './probe/concurrent';
export type { CallRecord } from './probe/record';
export { MODES, type Mode } from './probe/strategies';
export { EXIT_CODES, type Verdict, type VerdictKind } from './probe/verdict';
export { parseTargets, UsageError, type TargetSpec } from './target/parse';
export type { Resolution } from './target/resolve';
export type { Endpoint } from './libc/sockaddr';
export { formatAddress, type IpAddress } from './target/address';
