/**
 * A stand-in for node:child_process in the bundled CLI (`npm run bundle` aliases it, for commander only).
 * commander loads child_process at start just to run executable subcommands, which connprobe has none of, and
 * loading it (with the node:net it pulls in) costs about 5-10 ms of every start-up. The real module is loaded on
 * first use, if ever.
 */
let real: typeof import('child_process') | undefined;

export = new Proxy({} as typeof import('child_process'), {
  get: (_target, key) => (real ??= require('child_process') as typeof import('child_process'))[key as keyof typeof real],
});
