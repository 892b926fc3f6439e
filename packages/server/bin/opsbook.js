#!/usr/bin/env node
// The `opsbook` command: runs the compiled CLI (build with `npx tsc -b packages/server`).
'use strict';
require('../lib/cli.js')
  .main(process.argv.slice(2))
  .then(code => {
    process.exitCode = code;
  });
