/**
 * Regenerates src/otlp-descriptor.json, the protobufjs JSON descriptor of the vendored
 * opentelemetry-proto files in proto/ (see proto/README.md). The adapter loads the descriptor
 * with `Root.fromJSON`, so neither Node nor the browser reads .proto files at run time.
 *
 *   node packages/adapters/scripts/generate-otlp-descriptor.js [--check]
 */
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

const protoDir = path.join(__dirname, '..', 'proto');
const out = path.join(__dirname, '..', 'src', 'otlp-descriptor.json');
const services = ['trace', 'logs', 'metrics'].map(
  s => `opentelemetry/proto/collector/${s}/v1/${s === 'trace' ? 'trace' : s}_service.proto`
);

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(protoDir, target);
root.loadSync(services, { keepCase: false });
const text = `${JSON.stringify(root.toJSON({ keepComments: false }), null, 1)}\n`;

if (process.argv.includes('--check')) {
  if (!fs.existsSync(out) || fs.readFileSync(out, 'utf8') !== text) {
    console.error(`${out} is out of date; run node ${path.relative(process.cwd(), __filename)}`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(out, text);
  console.log(`wrote ${out} (${text.length} bytes)`);
}
