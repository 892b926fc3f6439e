import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { recordBatchRows } from '@opsbook/telemetry-schema';
import { generateTelemetry } from '@opsbook/generator';
import {
  collect,
  IngestError,
  IngestReport,
  parquetAdapter,
  parquetFileFromBlob,
  TableMapping
} from '../src';

let dir: string;
let instance: DuckDBInstance;
let duckdb: DuckDBConnection;

/** Rows of a DuckDB query, as plain objects. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await duckdb.runAndReadAll(sql);
  return reader.getRowObjects() as Record<string, unknown>[];
}

const balanced = (report: IngestReport) =>
  expect(report.rowsRead).toBe(report.rowsStored + report.rowsQuarantined);

const openFile = async (file: string) =>
  parquetFileFromBlob(
    await (fs as unknown as { openAsBlob(p: string): Promise<Blob> }).openAsBlob(file)
  );

/** Writes `rows` deploy events with DuckDB, with the given compression and row group size. */
async function writeEvents(file: string, rows: number, compression: string, rowGroup: number) {
  await duckdb.run(
    `COPY (SELECT TIMESTAMP '2026-11-10 00:00:00' + i * INTERVAL 1 SECOND + i * INTERVAL 7 MICROSECOND AS time,
              'deploy' AS event_type, 'deploy ' || i AS name, 'svc-' || (i % 5) AS service_name,
              i::BIGINT AS build, [i, i + 1] AS shards
       FROM range(${rows}) t(i))
     TO '${file}' (FORMAT parquet, COMPRESSION ${compression}, ROW_GROUP_SIZE ${rowGroup})`
  );
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-parquet-'));
  instance = await DuckDBInstance.create(':memory:');
  duckdb = await instance.connect();
});

afterAll(() => {
  duckdb.closeSync();
  instance.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Parquet adapter', () => {
  it("reads the generator's canonical zstd spans file row group by row group, with the same values as DuckDB", async () => {
    const summary = await generateTelemetry({ outDir: dir, spans: 3000, hours: 1 });
    const spans = summary.files.find(f => f.name === 'spans.parquet')!;
    const { tables, report } = await collect(
      parquetAdapter({
        mapping: { table: 'spans', columns: {} },
        file: await openFile(spans.path)
      }),
      new Uint8Array()
    );
    expect(report).toMatchObject({ rowsRead: 3000, rowsStored: 3000, rowsQuarantined: 0 });
    expect(report.bytesRead).toBeGreaterThan(0);
    expect(report.notes[0]).toMatch(/^Parquet: 3000 rows in \d+ row group\(s\), created by DuckDB/);
    const rows = recordBatchRows('spans', tables.spans!);
    const expected = await query(
      `SELECT trace_id, span_id, name, kind, epoch_ns(start_time)::VARCHAR AS start_ns,
              attributes['http.route'] AS route
       FROM read_parquet('${spans.path}') WHERE attributes['http.route'] IS NOT NULL
       LIMIT 3 OFFSET 100`
    );
    expect(expected).toHaveLength(3);
    for (const want of expected) {
      const got = rows.find(r => r.span_id === want.span_id)!;
      expect(got).toMatchObject({
        trace_id: want.trace_id,
        name: want.name,
        kind: want.kind,
        start_time: BigInt(want.start_ns as string)
      });
      // A canonical source's attribute values are JSON text already: kept, not encoded again.
      expect(got.attributes['http.route']).toBe(want.route);
      expect(JSON.parse(got.attributes['http.route'] as string)).toMatch(/^\//);
    }
  });

  it.each(['zstd', 'snappy', 'gzip', 'uncompressed'])(
    'reads a %s file written by DuckDB across several row groups, keeping microseconds',
    async compression => {
      const file = path.join(dir, `events-${compression}.parquet`);
      await writeEvents(file, 5000, compression, 2048);
      const mapping: TableMapping = {
        table: 'events',
        columns: { time: 'time', event_type: 'event_type', name: 'name' },
        constants: { source: 'ci' }
      };
      // streamed bytes: buffered whole, then read like a file
      const { tables, report } = await collect(
        parquetAdapter({ mapping }),
        fs.createReadStream(file)
      );
      expect(report).toMatchObject({ rowsRead: 5000, rowsStored: 5000 });
      expect(report.notes[0]).toMatch(/^Parquet: 5000 rows in 3 row group\(s\)/);
      const rows = recordBatchRows('events', tables.events!);
      expect(rows[4999]).toMatchObject({
        time: 1794268800000000000n + 4999n * 1_000_000_000n + 4999n * 7_000n,
        event_type: 'deploy',
        name: 'deploy 4999',
        source: 'ci',
        service_name: null,
        attributes: { service_name: '"svc-4"', build: '"4999"', shards: '["4999","5000"]' }
      });
    }
  );

  it('maps same-named canonical columns when the mapping gives no columns', async () => {
    const file = path.join(dir, 'canonical.parquet');
    await writeEvents(file, 10, 'zstd', 2048);
    const { tables } = await collect(
      parquetAdapter({ mapping: { table: 'events', columns: {} }, file: await openFile(file) }),
      ''
    );
    const [row] = recordBatchRows('events', tables.events!);
    expect(row).toMatchObject({ name: 'deploy 0', service_name: 'svc-0', event_type: 'deploy' });
    expect(Object.keys(row.attributes).sort()).toEqual(['build', 'shards']);
  });

  it('rejects a truncated file with a clear error', async () => {
    const file = path.join(dir, 'events-zstd.parquet');
    const bytes = fs.readFileSync(file);
    const error = await collect(
      parquetAdapter({ mapping: { table: 'events', columns: {} } }),
      bytes.subarray(0, bytes.length - 100)
    ).catch(e => e as IngestError);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).message).toBe(
      'The input is not a readable Parquet file (parquet file invalid (footer != PAR1)). ' +
        'Check the file was copied completely.'
    );
  });

  it('rejects a file that is not Parquet, and a mapping naming a missing column', async () => {
    const notParquet = await collect(
      parquetAdapter({ mapping: { table: 'events', columns: {} } }),
      'time,name\n2024-01-01T00:00:00Z,x\n'
    ).catch(e => e as IngestError);
    expect(notParquet).toMatchObject({ code: 'parquet-invalid' });
    const file = path.join(dir, 'events-zstd.parquet');
    const missing = await collect(
      parquetAdapter({ mapping: { table: 'events', columns: { name: 'title' } } }),
      fs.readFileSync(file)
    ).catch(e => e as IngestError);
    expect(missing).toMatchObject({ code: 'mapping-unknown-column' });
    expect((missing as IngestError).message).toContain('"title"');
  });

  it('quarantines a corrupt row group with all its rows and reads the others', async () => {
    const file = path.join(dir, 'corrupt.parquet');
    await writeEvents(file, 5000, 'zstd', 2048);
    const groups = await query(
      `SELECT row_group_id, min(coalesce(dictionary_page_offset, data_page_offset)) AS start,
              max(data_page_offset + total_compressed_size) AS stop, max(row_group_num_rows) AS n
       FROM parquet_metadata('${file}') GROUP BY row_group_id ORDER BY row_group_id`
    );
    const bytes = fs.readFileSync(file);
    const start = Number(groups[1].start);
    bytes.fill(0xff, start, start + 64);
    const { report } = await collect(
      parquetAdapter({ mapping: { table: 'events', columns: {} } }),
      bytes,
      { onError: 'quarantine' }
    );
    expect(report).toMatchObject({
      rowsRead: 5000,
      rowsStored: 5000 - Number(groups[1].n),
      rowsQuarantined: Number(groups[1].n)
    });
    expect(report.quarantined[0]).toMatchObject({
      code: 'parquet-invalid',
      rows: 2048,
      position: { byteOffset: start, record: 'row group 1 (rows 2049-4096)' }
    });
    expect(report.quarantined[0].reason).toMatch(
      /^The input is not a readable Parquet file \(row group 1 cannot be decoded: /
    );
    balanced(report);
    await expect(
      collect(parquetAdapter({ mapping: { table: 'events', columns: {} } }), bytes)
    ).rejects.toThrow(/^byte \d+, row group 1 \(rows 2049-4096\): The input is not a readable/);
  });

  it('refuses to buffer a streamed file past maxBufferedFileBytes', async () => {
    const file = path.join(dir, 'events-zstd.parquet');
    await expect(
      collect(
        parquetAdapter({ mapping: { table: 'events', columns: {} } }),
        fs.readFileSync(file),
        {
          limits: { maxBufferedFileBytes: 1000 }
        }
      )
    ).rejects.toThrow(
      /larger than maxBufferedFileBytes \(1000 bytes\); pass the file as a random-access ParquetFile/
    );
  });
});
