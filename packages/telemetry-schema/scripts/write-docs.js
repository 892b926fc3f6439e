#!/usr/bin/env node
/**
 * Writes docs/telemetry-schema.md from the compiled schema declaration (`tsc -b` first; the npm
 * script does both). The test `docs.spec.ts` fails when the committed file is out of date.
 */
const fs = require('fs');
const path = require('path');
const { renderSchemaDocs } = require('../lib/docs');

const out = path.join(__dirname, '..', '..', '..', 'docs', 'telemetry-schema.md');
fs.writeFileSync(out, renderSchemaDocs());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
