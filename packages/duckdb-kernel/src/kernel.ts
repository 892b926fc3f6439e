/**
 * The DuckDB kernel: a Jupyter kernel that runs in the browser (JupyterLite's kernel API) and
 * executes each cell's SQL on DuckDB-WASM through a `QueryEngine`. JupyterLab's normal execution
 * path (Shift+Enter, Run All, busy state, execution counts, interrupt) drives it unchanged.
 *
 * Telemetry cells (see `@opsbook/telemetry-cell`) get a chart and a table; plain code cells get
 * the table. While a query runs, a transient progress line shows its phase and elapsed time.
 *
 * A cell with a result name (`metadata.opsbook.resultName`) has its full result kept in the
 * engine as a table of that name after each successful run (`QueryEngine.registerResult`), before
 * the run observers see it, so later cells can read it and their scans of it name it.
 */
import type { KernelMessage } from '@jupyterlab/services';
import { BaseKernel, type IKernel } from '@jupyterlite/services';
import {
  QueryError,
  type EngineInfo,
  type QueryEngine,
  type QueryProgress,
  type QueryResult
} from '@opsbook/query-engine';
import {
  buildOutputs,
  DEFAULT_MAX_ROWS,
  summary,
  toResultTable,
  type ChartConfig
} from '@opsbook/telemetry-cell';
import { complete } from './completion';
import { errorContent } from './error-content';

/** What the kernel knows about the cell it runs, looked up by the cell id JupyterLab sends. */
export interface CellContext {
  telemetry: boolean;
  chart: ChartConfig | null;
  /** Snapshot pins of the cell (table -> snapshot id); null or absent when it reads the latest. */
  pins?: Record<string, string> | null;
  /** The name to keep the cell's result under (a validated SQL identifier), or null. */
  resultName?: string | null;
}

/** A successful run of a cell, with its FULL result (not only the rows the outputs keep). */
export interface KernelRun {
  /** The nbformat id of the cell that ran; null when unknown (e.g. a console). */
  cellId: string | null;
  /** True for a telemetry cell. */
  telemetry: boolean;
  /** The source as executed. */
  code: string;
  result: QueryResult;
  engine: EngineInfo;
  /** The name the result is now kept under in the engine, or null (none, or it failed). */
  resultName: string | null;
}

/**
 * Called after each successful run, before the kernel replies, so whatever it reports still
 * reaches the cell. Resolves with a short warning to show in the cell, or null. It must not throw
 * for an expected failure (the kernel shows a thrown error as a warning too, never as a failed
 * run).
 */
export type RunObserver = (run: KernelRun) => Promise<string | null>;

/** Options of `DuckDBKernel`. */
export interface DuckDBKernelOptions extends IKernel.IOptions {
  /** Starts (or returns) the engine; awaited before the first request. */
  engine: () => Promise<QueryEngine>;
  /** Finds the cell an execute request came from; null when unknown (e.g. a console). */
  resolveCell?: (cellId: string) => CellContext | null;
  maxRows?: number;
  /** Observes successful runs (e.g. records their provenance). */
  onRun?: RunObserver;
  /**
   * Brings the engine's datasets up to date with the server (tables ingested, or new snapshots
   * of them, since the kernel started); resolves true when something changed. Called before each
   * execute request, and again when a query names a table the engine does not know (ingested
   * meanwhile), which is then run once more if the datasets changed. A failure is logged and the
   * query runs on what the engine has.
   */
  syncDatasets?: (engine: QueryEngine) => Promise<boolean>;
  /** Runs a pinned cell's SQL with its tables read at the pinned snapshots. */
  runPinned?: (
    sql: string,
    pins: Record<string, string>,
    options: { onProgress: (p: QueryProgress) => void }
  ) => Promise<QueryResult>;
}

/** A kernel that runs SQL on DuckDB-WASM. */
export class DuckDBKernel extends BaseKernel {
  private _engine: QueryEngine | null = null;
  private readonly _engineReady: Promise<QueryEngine>;
  private readonly _resolveCell: (cellId: string) => CellContext | null;
  private readonly _maxRows: number;
  private readonly _onRun: RunObserver | null;
  private readonly _syncDatasets: DuckDBKernelOptions['syncDatasets'] | null;
  private readonly _runPinned: DuckDBKernelOptions['runPinned'] | null;

  constructor(options: DuckDBKernelOptions) {
    super(options);
    this._resolveCell = options.resolveCell ?? (() => null);
    this._onRun = options.onRun ?? null;
    this._syncDatasets = options.syncDatasets ?? null;
    this._runPinned = options.runPinned ?? null;
    this._maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this._engineReady = options.engine().then(engine => (this._engine = engine));
    DuckDBKernel.running.set(this.id, this);
  }

  /** Live kernels by id, so an interrupt from the UI can reach the running query. */
  static readonly running = new Map<string, DuckDBKernel>();

  get ready(): Promise<void> {
    return this._engineReady.then(() => undefined);
  }

  /** Cancels the query that is running, if any (the interrupt button). */
  async interrupt(): Promise<void> {
    await this._engine?.cancel();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    DuckDBKernel.running.delete(this.id);
    void this._engine?.dispose();
    super.dispose();
  }

  async kernelInfoRequest(): Promise<KernelMessage.IInfoReplyMsg['content']> {
    const engine = await this._engineReady;
    return {
      implementation: 'opsbook-duckdb',
      implementation_version: '0.1.0',
      language_info: {
        name: 'sql',
        version: engine.info.version,
        mimetype: 'text/x-sql',
        file_extension: '.sql',
        codemirror_mode: 'sql'
      },
      protocol_version: '5.3',
      status: 'ok',
      banner: `DuckDB ${engine.info.version} (${engine.info.name}) — SQL over your telemetry datasets`,
      help_links: []
    };
  }

  /** Brings the engine's datasets up to date (see `syncDatasets`); true when they changed. */
  private async _sync(engine: QueryEngine): Promise<boolean> {
    if (!this._syncDatasets) {
      return false;
    }
    try {
      return await this._syncDatasets(engine);
    } catch (error) {
      console.warn('Could not refresh the datasets from the server', error);
      return false;
    }
  }

  async executeRequest(
    content: KernelMessage.IExecuteRequestMsg['content']
  ): Promise<KernelMessage.IExecuteReplyMsg['content']> {
    const engine = await this._engineReady;
    await this._sync(engine);
    const cellId = (this.parent?.metadata as { cellId?: string } | undefined)?.cellId;
    const cell = (cellId && this._resolveCell(cellId)) || { telemetry: false, chart: null };
    const displayId = `opsbook-progress-${this.executionCount}-${Date.now()}`;
    let shown = false;
    let last = 0;
    const onProgress = (p: QueryProgress) => {
      // A progress line only for queries that take a moment, updated at most 5 times a second.
      if (p.phase === 'done' || p.elapsedMs < 300 || p.elapsedMs - last < 200) {
        return;
      }
      last = p.elapsedMs;
      const bundle = {
        data: { 'text/plain': progressText(p) },
        metadata: {},
        transient: { display_id: displayId }
      };
      if (shown) {
        this.updateDisplayData(bundle);
      } else {
        shown = true;
        this.displayData(bundle);
      }
    };
    try {
      let result: QueryResult;
      try {
        if (cell.pins && Object.keys(cell.pins).length > 0 && this._runPinned) {
          result = await this._runPinned(content.code, cell.pins, { onProgress });
        } else {
          result = await engine.query(content.code, { onProgress });
        }
      } catch (error) {
        // A table ingested since the last listing: look again, and run once more if it came.
        const unknownTable =
          error instanceof QueryError &&
          error.duckdbType === 'Catalog' &&
          /Table with name .* does not exist/.test(error.message);
        if (!unknownTable || cell.pins || !(await this._sync(engine))) {
          throw error;
        }
        result = await engine.query(content.code, { onProgress });
      }
      const table = toResultTable(result.table, this._maxRows);
      if (shown) {
        this.clearOutput({ wait: true });
      }
      const outputs = buildOutputs(table, {
        chart: cell.telemetry,
        chosen: cell.chart,
        executionCount: this.executionCount,
        elapsedMs: result.elapsedMs,
        metadata: {
          elapsedMs: result.elapsedMs,
          scans: result.scans,
          engine: { name: engine.info.name, version: engine.info.version },
          summary: summary(table)
        }
      });
      for (const output of outputs) {
        if (output.output_type === 'execute_result') {
          this.publishExecuteResult({
            execution_count: this.executionCount,
            data: output.data as KernelMessage.IExecuteResultMsg['content']['data'],
            metadata: output.metadata as KernelMessage.IExecuteResultMsg['content']['metadata']
          });
        } else {
          this.displayData({
            data: output.data as KernelMessage.IDisplayDataMsg['content']['data'],
            metadata: output.metadata as KernelMessage.IDisplayDataMsg['content']['metadata']
          });
        }
      }
      const resultName = await this._keepResult(engine, cell.resultName ?? null, result);
      await this._observe({
        cellId: cellId ?? null,
        telemetry: cell.telemetry,
        code: content.code,
        result,
        engine: engine.info,
        resultName
      });
      return {
        status: 'ok',
        execution_count: this.executionCount,
        user_expressions: {}
      } as KernelMessage.IExecuteReplyMsg['content'];
    } catch (error) {
      if (shown) {
        this.clearOutput({ wait: true });
      }
      const failure = errorContent(error);
      this.publishExecuteError(failure);
      return {
        status: 'error',
        execution_count: this.executionCount,
        ...failure
      } as KernelMessage.IExecuteReplyMsg['content'];
    }
  }

  /**
   * Keeps a named cell's full result as a table of that name; resolves with the name, or null
   * (and a warning on stderr) when it could not be kept: the run itself still succeeded.
   */
  private async _keepResult(
    engine: QueryEngine,
    name: string | null,
    result: QueryResult
  ): Promise<string | null> {
    if (!name) {
      return null;
    }
    try {
      await engine.registerResult(name, result.table);
      return name;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.stream({
        name: 'stderr',
        text: `result not kept as ${name}: ${reason}
`
      });
      return null;
    }
  }

  /** Hands a run to the observer; shows its warning (or its error) on stderr in the cell. */
  private async _observe(run: KernelRun): Promise<void> {
    if (!this._onRun) {
      return;
    }
    let warning: string | null;
    try {
      warning = await this._onRun(run);
    } catch (error) {
      warning = error instanceof Error ? error.message : String(error);
    }
    if (warning) {
      this.stream({ name: 'stderr', text: `${warning}\n` });
    }
  }

  async completeRequest(
    content: KernelMessage.ICompleteRequestMsg['content']
  ): Promise<KernelMessage.ICompleteReplyMsg['content']> {
    const engine = await this._engineReady;
    const result = complete(content.code, content.cursor_pos, engine.datasets());
    return {
      status: 'ok',
      matches: result.matches,
      cursor_start: result.cursorStart,
      cursor_end: result.cursorEnd,
      metadata: { _jupyter_types_experimental: result.types }
    };
  }

  async inspectRequest(
    content: KernelMessage.IInspectRequestMsg['content']
  ): Promise<KernelMessage.IInspectReplyMsg['content']> {
    const engine = await this._engineReady;
    const before = content.code.slice(0, content.cursor_pos);
    const after = content.code.slice(content.cursor_pos);
    const word =
      (/[A-Za-z0-9_]*$/.exec(before)?.[0] ?? '') + (/^[A-Za-z0-9_]*/.exec(after)?.[0] ?? '');
    const dataset = engine.datasets().find(d => d.name === word);
    if (!dataset) {
      return { status: 'ok', found: false, data: {}, metadata: {} };
    }
    const lines = dataset.columns.map(c => `  ${c.name.padEnd(28)} ${c.type}`);
    return {
      status: 'ok',
      found: true,
      data: {
        'text/plain': `${dataset.name}: ${dataset.rowCount ?? '?'} rows\n${lines.join('\n')}`
      },
      metadata: {}
    };
  }

  async isCompleteRequest(): Promise<KernelMessage.IIsCompleteReplyMsg['content']> {
    return { status: 'complete' };
  }

  async commInfoRequest(): Promise<KernelMessage.ICommInfoReplyMsg['content']> {
    return { status: 'ok', comms: {} };
  }

  inputReply(): void {
    // SQL never asks for input.
  }

  async commOpen(): Promise<void> {
    // No comms.
  }

  async commMsg(): Promise<void> {
    // No comms.
  }

  async commClose(): Promise<void> {
    // No comms.
  }
}

function progressText(p: QueryProgress): string {
  const seconds = (p.elapsedMs / 1000).toFixed(1);
  if (p.phase === 'loading') {
    const mb = ((p.bytesLoaded ?? 0) / 1e6).toFixed(1);
    return `Loading ${p.dataset}… ${mb} MB (${seconds} s)`;
  }
  return `${p.phase === 'planning' ? 'Planning' : 'Running'}… ${seconds} s`;
}
