#!/usr/bin/env node
/**
 * Generates the JSON Schema of the notebook metadata formats from their TypeScript types, so the
 * types stay the one source of truth. `npm run schema` writes them; `npm run schema -- --check`
 * fails when a committed schema is out of date (run in the test suite).
 */
const fs = require('fs');
const path = require('path');
const { createGenerator } = require('ts-json-schema-generator');

const root = path.join(__dirname, '..');
const targets = [
  {
    path: 'packages/telemetry-cell/src/metadata.ts',
    type: 'TelemetryCellMetadata',
    out: 'packages/telemetry-cell/schema/cell-metadata.schema.json',
    id: 'urn:opsbook:schema:telemetry-cell-metadata:v1'
  },
  {
    path: 'packages/collab-model/src/schema.ts',
    type: 'CollabStateV1',
    out: 'packages/collab-model/schema/collaboration.schema.json',
    id: 'urn:opsbook:schema:collaboration:v1'
  }
];

const check = process.argv.includes('--check');
let stale = 0;
for (const target of targets) {
  const schema = createGenerator({
    path: path.join(root, target.path),
    tsconfig: path.join(root, 'packages/telemetry-cell/tsconfig.json'),
    type: target.type,
    skipTypeCheck: true,
    additionalProperties: false
  }).createSchema(target.type);
  schema.$id = target.id;
  const text = JSON.stringify(schema, null, 2) + '\n';
  const file = path.join(root, target.out);
  if (check) {
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
      console.error(`${target.out} is out of date: run "npm run schema".`);
      stale++;
    }
  } else {
    fs.writeFileSync(file, text);
    console.log(`wrote ${target.out}`);
  }
}
process.exit(stale ? 1 : 0);
