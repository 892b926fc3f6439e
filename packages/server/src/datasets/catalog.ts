/**
 * The dataset catalog: every `*.parquet`, `*.csv`, `*.arrow`/`*.feather` (IPC file) and
 * `*.arrows` (IPC stream) directly in the data directory. A dataset's name is the file name
 * without extension, lower-cased; it must be a plain SQL identifier (`^[a-z_][a-z0-9_]*$`) so
 * the browser can use it as a table name, otherwise the file is skipped with a warning.
 * Descriptions (columns, row count, time column and range) come from native DuckDB (or
 * apache-arrow for IPC) and are cached per file mtime and size.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { isInside } from '../contents/paths';
import { Errors, OpsbookError } from '../errors';
import type { Logger } from '../log';
import { Engine, sqlIdentifier } from './engine';
import type { CatalogItem, ColumnInfo, DatasetEntry, DatasetFormat, SkippedFile } from './model';
import type { IpcDescription } from './ipcfile';

/** Options of `Catalog`. */
export interface CatalogOptions {
  /** Real path of the data directory. */
  dataDir: string;
  engine: () => Promise<Engine>;
  /** Reads Arrow IPC files (in the Arrow worker: apache-arrow stays out of this thread). */
  describeIpcFile: (file: string) => Promise<IpcDescription>;
  queryTimeoutMs: number;
  log: Logger;
}

const EXTENSIONS: Record<string, DatasetFormat> = {
  '.parquet': 'parquet',
  '.csv': 'csv',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.arrows': 'arrows'
};

/** Valid dataset names: usable unquoted as SQL table names. */
export const DATASET_NAME = /^[a-z_][a-z0-9_]*$/;

/** Preferred time column names, in order, before falling back to the first timestamp column. */
const PREFERRED_TIME_COLUMNS = ['start_time', 'timestamp', 'time'];

/** Picks the time column: a preferred name if it is a timestamp, else the first timestamp. */
export function pickTimeColumn(columns: ColumnInfo[]): string | null {
  const timestamps = columns.filter(c => /^TIMESTAMP/.test(c.type));
  for (const name of PREFERRED_TIME_COLUMNS) {
    if (timestamps.some(c => c.name === name)) {
      return name;
    }
  }
  return timestamps[0]?.name ?? null;
}

/** Lists and describes the datasets of one data directory. */
export class Catalog {
  private readonly cache = new Map<string, { key: string; entry: DatasetEntry }>();
  private readonly warned = new Set<string>();

  constructor(private readonly options: CatalogOptions) {}

  /** Every dataset, plus the files skipped and why. */
  async list(): Promise<{ items: CatalogItem[]; skipped: SkippedFile[] }> {
    const items: CatalogItem[] = [];
    const skipped: SkippedFile[] = [];
    const names = new Map<string, string>();
    const files = (await fs.readdir(this.options.dataDir)).filter(f => !f.startsWith('.')).sort();
    for (const file of files) {
      const format = EXTENSIONS[path.extname(file).toLowerCase()];
      if (!format) {
        continue;
      }
      const name = path.basename(file, path.extname(file)).toLowerCase();
      const reason = !DATASET_NAME.test(name)
        ? `dataset name '${name}' is not a plain identifier (use lower-case letters, digits and '_', not starting with a digit); rename the file`
        : names.has(name)
          ? `dataset name '${name}' is already used by '${names.get(name)}'; rename one of the files`
          : null;
      const real = reason ? null : await this.realFile(file);
      if (reason || !real) {
        const why = reason ?? 'not a regular file inside the data directory';
        skipped.push({ file, reason: why });
        if (!this.warned.has(file)) {
          this.warned.add(file);
          this.options.log.warn(`Skipping dataset file ${file}: ${why}`);
        }
        continue;
      }
      names.set(name, file);
      items.push({ entry: await this.describe(name, file, format, real), path: real });
    }
    return { items, skipped };
  }

  /** The dataset called `name`, or a 404 listing the available ones. */
  async byName(name: string): Promise<CatalogItem> {
    const { items } = await this.list();
    const item = items.find(i => i.entry.name === name);
    if (!item) {
      throw new OpsbookError(
        Errors.datasetNotFound(
          name,
          items.map(i => i.entry.name)
        )
      );
    }
    return item;
  }

  /** The dataset stored in `file` (exact file name), or a 404. */
  async byFile(file: string): Promise<CatalogItem> {
    const { items } = await this.list();
    const item = items.find(i => i.entry.file === file);
    if (!item) {
      throw new OpsbookError(
        Errors.datasetNotFound(
          file,
          items.map(i => i.entry.file)
        )
      );
    }
    return item;
  }

  /** Real path of a regular file in the data dir (links allowed only if they stay inside). */
  private async realFile(file: string): Promise<string | null> {
    try {
      const real = await fs.realpath(path.join(this.options.dataDir, file));
      const inside = isInside(this.options.dataDir, real) && real !== this.options.dataDir;
      return inside && (await fs.stat(real)).isFile() ? real : null;
    } catch {
      return null;
    }
  }

  private async describe(
    name: string,
    file: string,
    format: DatasetFormat,
    real: string
  ): Promise<DatasetEntry> {
    const stat = await fs.stat(real);
    const key = `${stat.mtimeMs}:${stat.size}`;
    const cached = this.cache.get(real);
    if (cached?.key === key) {
      return cached.entry;
    }
    const entry: DatasetEntry = {
      name,
      file,
      format,
      size: stat.size,
      rowCount: null,
      columns: [],
      timeColumn: null,
      timeRange: null,
      modified: stat.mtime.toISOString()
    };
    try {
      Object.assign(
        entry,
        format === 'arrow' || format === 'arrows'
          ? await describeIpc(real, this.options.describeIpcFile)
          : await this.describeSql(name, format, real)
      );
    } catch (err) {
      entry.error = Errors.datasetUnreadable(file, cleanMessage(err, real, file)).message;
      this.options.log.warn(`Dataset ${file} is unreadable: ${entry.error}`);
    }
    this.cache.set(real, { key, entry });
    return entry;
  }

  private async describeSql(
    name: string,
    format: 'parquet' | 'csv',
    real: string
  ): Promise<Pick<DatasetEntry, 'columns' | 'rowCount' | 'timeColumn' | 'timeRange'>> {
    const engine = await this.options.engine();
    const source = scanFunction(format);
    return engine.withConnection(name, this.options.queryTimeoutMs, null, async connection => {
      const described = await engine.rows(connection, `DESCRIBE SELECT * FROM ${source}`, [real]);
      const columns = described.map(row => ({ name: String(row[0]), type: String(row[1]) }));
      const countSql =
        format === 'parquet'
          ? 'SELECT coalesce(sum(num_rows), 0)::BIGINT FROM parquet_file_metadata(?)'
          : `SELECT count(*) FROM ${source}`;
      const rowCount = Number((await engine.rows(connection, countSql, [real]))[0][0]);
      const timeColumn = pickTimeColumn(columns);
      let timeRange: DatasetEntry['timeRange'] = null;
      if (timeColumn) {
        const q = sqlIdentifier(timeColumn);
        const [min, max] = (
          await engine.rows(
            connection,
            `SELECT epoch_us(min(${q})), epoch_us(max(${q})) FROM ${source}`,
            [real]
          )
        )[0];
        timeRange = isoRange(min as bigint | null, max as bigint | null);
      }
      return { columns, rowCount, timeColumn, timeRange };
    });
  }
}

/** The DuckDB table function for a format; the file path is always a bound parameter. */
export function scanFunction(format: 'parquet' | 'csv'): string {
  return format === 'parquet' ? 'read_parquet(?)' : 'read_csv(?)';
}

async function describeIpc(
  real: string,
  describeIpcFile: (file: string) => Promise<IpcDescription>
): Promise<Pick<DatasetEntry, 'columns' | 'rowCount' | 'timeColumn' | 'timeRange'>> {
  const d = await describeIpcFile(real);
  const timeRange = d.timeRangeMs
    ? isoRange(
        BigInt(Math.round(d.timeRangeMs.start * 1000)),
        BigInt(Math.round(d.timeRangeMs.end * 1000))
      )
    : null;
  return { columns: d.columns, rowCount: d.rowCount, timeColumn: d.timeColumn, timeRange };
}

/** Epoch microseconds -> ISO strings; null for empty data or infinite timestamps. */
function isoRange(min: bigint | null, max: bigint | null): DatasetEntry['timeRange'] {
  const iso = (us: bigint | null): string | null => {
    const ms = us === null ? NaN : Number(us / 1000n);
    return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
  };
  const start = iso(min);
  const end = iso(max);
  return start && end ? { start, end } : null;
}

/** First line of an engine error, with the server's absolute path replaced by the file name. */
export function cleanMessage(err: unknown, real: string, file: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].split(real).join(file).trim();
}
