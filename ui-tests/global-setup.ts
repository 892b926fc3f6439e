/**
 * Generates the example telemetry once per machine (cached in ui-tests/.cache by size and seed):
 * the browser tests read the same Parquet files users get from `npm start`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UI_DATA_DIR, UI_SPANS } from './harness';

export default async function globalSetup(): Promise<void> {
  if (fs.existsSync(path.join(UI_DATA_DIR, 'spans.parquet'))) {
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generateTelemetry } = require('../packages/generator/lib');
  fs.mkdirSync(UI_DATA_DIR, { recursive: true });
  await generateTelemetry({ outDir: UI_DATA_DIR, spans: UI_SPANS, seed: 42 });
}
