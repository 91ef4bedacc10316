/** connprobe's programmatic API: the same probe and records the CLI prints. */
export { probe } from './probe/probe';
export type { AddressResult, AttemptResult, ProbeOptions, ProbeReport } from './probe/probe';
export type { CallRecord } from './probe/record';
export { MODES, type Mode } from './probe/strategies';
export { EXIT_CODES, type Verdict, type VerdictKind } from './probe/verdict';
export { UsageError } from './target/parse';
export type { Resolution } from './target/resolve';
export type { Endpoint } from './libc/sockaddr';
export type { IpAddress } from './target/address';
