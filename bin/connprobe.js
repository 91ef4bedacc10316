#!/usr/bin/env node
'use strict';
// dist/connprobe.js is the CLI bundled into one file (npm run bundle): resolving and reading some thirty module
// files cost about 15 ms of every start-up. It is loaded with V8's code cache (dist/src/code-cache.js), written
// after a run that probed. The programmatic API (dist/src/index.js) stays unbundled.
const { join } = require('node:path');
const { requireBundle } = require('../dist/src/code-cache.js');

requireBundle(join(__dirname, '..', 'dist', 'connprobe.js'), (cli) => cli.probed()).main(process.argv.slice(2));
