/**
 * Renders `docs/telemetry-schema.md` from the table declaration, so the documentation cannot drift
 * from the schema (`npm run docs -w packages/telemetry-schema` writes it, a test checks it).
 */
import { arrowType } from './arrow';
import {
  PROMOTED_RESOURCE_ATTRIBUTES,
  TABLE_NAMES,
  TABLES,
  TELEMETRY_SCHEMA_VERSION
} from './tables';

/** The Markdown text of `docs/telemetry-schema.md`. */
export function renderSchemaDocs(): string {
  const lines: string[] = [
    `# Telemetry schema, version ${TELEMETRY_SCHEMA_VERSION}`,
    '',
    '<!-- Generated from packages/telemetry-schema/src/tables.ts by',
    '     `npm run docs -w packages/telemetry-schema`. Do not edit by hand. -->',
    '',
    'Every adapter in `@opsbook/adapters` writes Arrow record batches of these four tables. The',
    'names follow the OpenTelemetry semantic conventions in snake_case.',
    '',
    '- Timestamps are `Timestamp(NANOSECOND, UTC)`; trace and span ids are lower-case hex.',
    '- 64-bit integers (OTLP sends them as JSON strings) are `Int64`.',
    '- Well-known resource attributes are promoted to columns and removed from',
    '  `resource_attributes`; every other attribute is kept, by origin, in `resource_attributes`,',
    '  `scope_attributes` or `attributes`: `Map<Utf8, Utf8>` whose values are JSON text',
    '  (`"GET"`, `200`, `true`, `["a","b"]`), so types survive. In telemetry cells,',
    "  `attr(attributes, 'http.request.method')` gives the plain text (`GET`); the macro is",
    '  defined in every Opsbook DuckDB (docs/notebook-format.md), since the JSON extension is not',
    '  available offline in the browser.',
    '- `service_team`, `service_tier` and `service_repository` come from the optional service',
    '  catalog.',
    '',
    '## Promoted resource attributes',
    '',
    '| OTel attribute | column |',
    '|---|---|'
  ];
  for (const [attribute, column] of Object.entries(PROMOTED_RESOURCE_ATTRIBUTES)) {
    lines.push(`| \`${attribute}\` | \`${column}\` |`);
  }
  for (const table of TABLE_NAMES) {
    lines.push('', `## \`${table}\``, '', TABLES[table].description, '');
    lines.push('| column | Arrow type | nullable | OTel | description |', '|---|---|---|---|---|');
    for (const column of TABLES[table].columns) {
      const otel = 'otel' in column && column.otel ? `\`${column.otel}\`` : '';
      lines.push(
        `| \`${column.name}\` | ${arrowType(column.kind)} | ${column.nullable ? 'yes' : 'no'} | ` +
          `${otel} | ${column.description} |`
      );
    }
  }
  return lines.join('\n') + '\n';
}
