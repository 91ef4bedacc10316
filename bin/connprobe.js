#!/usr/bin/env node
'use strict';
// dist/connprobe.js is the CLI bundled into one file (npm run bundle): resolving and reading some thirty module
// files cost about 15 ms of every start-up. The programmatic API (dist/src/index.js) stays unbundled.
require('../dist/connprobe.js').main(process.argv.slice(2));
