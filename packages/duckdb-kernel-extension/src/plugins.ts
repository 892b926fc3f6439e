/**
 * Registers the DuckDB kernel with JupyterLite's in-browser kernel service, so notebooks run SQL
 * on DuckDB-WASM in the page while contents, settings and collaboration stay on our server.
 *
 * - The DuckDB-WASM module and worker are bundled assets of the app (self-hosted; never a CDN).
 * - Datasets come from the server's listing; their rows are fetched on demand as Arrow slices.
 * - The query time limit and memory limit come from this plugin's settings.
 * - JupyterLite's interrupt only cancels queued cells, so we also cancel the running query.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IKernelClient, IKernelSpecs } from '@jupyterlite/services';
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import {
  DuckDBKernel,
  type CellContext,
  type KernelRun,
  type RunObserver
} from '@opsbook/duckdb-kernel';
import {
  httpDatasetSource,
  listDatasets,
  queryPinned,
  type EngineSettings,
  type QueryEngine,
  type QueryProgress
} from '@opsbook/query-engine';
import { createBrowserEngine } from '@opsbook/query-engine/lib/browser';
import {
  isTelemetryMetadata,
  METADATA_KEY,
  readChartConfig,
  readPins,
  readResultName
} from '@opsbook/telemetry-cell';
import { KERNEL_LOGO } from './logo';
import { IDuckDBKernelHooks } from './tokens';

const PLUGIN_ID = '@opsbook/duckdb-kernel-extension:plugin';

/** The kernel's name in notebook metadata (`metadata.kernelspec.name`). */
export const KERNEL_NAME = 'duckdb';

const plugin: JupyterFrontEndPlugin<IDuckDBKernelHooks> = {
  id: PLUGIN_ID,
  description: 'Registers the DuckDB SQL kernel, running DuckDB-WASM in the browser.',
  autoStart: true,
  provides: IDuckDBKernelHooks,
  requires: [IKernelSpecs, IKernelClient],
  optional: [INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    kernelSpecs: IKernelSpecs,
    kernelClient: IKernelClient,
    tracker: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null
  ): IDuckDBKernelHooks => {
    const serverSettings = ServerConnection.makeSettings();
    const settings = loadSettings(settingRegistry);
    const authorizedFetch = ((url: string, init?: RequestInit) =>
      ServerConnection.makeRequest(url, init ?? {}, serverSettings)) as typeof fetch;
    const datasetsUrl = URLExt.join(serverSettings.baseUrl, 'api', 'datasets');

    const createEngine = async () =>
      createBrowserEngine({
        bundle: {
          mainModule: new URL('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm', import.meta.url).href,
          mainWorker: new URL(
            '@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js',
            import.meta.url
          ).href
        },
        settings: await settings
      });
    /**
     * Registers the server's datasets the engine does not have yet, and again those whose latest
     * snapshot changed (which drops the engine's cached slices of them): a kernel started before
     * an upload, a pull or `opsbook ingest` sees the new tables and data on its next run. Asked
     * before every run: the listing is a small local request, and a result must never be older
     * than the data the user just ingested.
     */
    const syncDatasets = async (engine: QueryEngine): Promise<boolean> => {
      const listing = await listDatasets({ datasetsUrl, fetch: authorizedFetch });
      const known = new Map(engine.datasets().map(d => [d.name, d.snapshotId ?? null]));
      let changed = false;
      for (const entry of listing.filter(d => !d.error)) {
        const source = httpDatasetSource(entry, { datasetsUrl, fetch: authorizedFetch });
        if (!known.has(source.name) || known.get(source.name) !== (source.snapshotId ?? null)) {
          await engine.registerDataset(source);
          changed = true;
        }
      }
      return changed;
    };
    // Pinned cells run on an engine of their own: pinning replaces its tables, and the kernel's
    // engine keeps the latest snapshots for every other cell.
    let pinnedEngine: Promise<QueryEngine> | null = null;
    const runPinned = async (
      sql: string,
      pins: Record<string, string>,
      options: { onProgress: (p: QueryProgress) => void }
    ) => {
      pinnedEngine ??= createEngine();
      const { result } = await queryPinned(sql, {
        engine: await pinnedEngine,
        http: { datasetsUrl, fetch: authorizedFetch },
        pins,
        hash: () => null,
        onProgress: options.onProgress
      });
      return result;
    };
    const startEngine = async () => {
      const engine = await createEngine();
      await syncDatasets(engine);
      return engine;
    };

    // Observers run one after the other; their warnings are shown together.
    const observers = new Set<RunObserver>();
    const observeRun = async (run: KernelRun): Promise<string | null> => {
      const warnings: string[] = [];
      for (const observer of observers) {
        try {
          const warning = await observer(run);
          if (warning) {
            warnings.push(warning);
          }
        } catch (error) {
          warnings.push(error instanceof Error ? error.message : String(error));
        }
      }
      return warnings.length ? warnings.join('\n') : null;
    };

    const resolveCell = (cellId: string): CellContext | null => {
      let found: CellContext | null = null;
      tracker?.forEach(panel => {
        const cells = panel.content.model?.cells;
        if (!cells || found) {
          return;
        }
        for (let i = 0; i < cells.length; i++) {
          const cell = cells.get(i);
          if (cell.id === cellId) {
            const metadata = { [METADATA_KEY]: cell.getMetadata(METADATA_KEY) };
            found = {
              telemetry: isTelemetryMetadata(metadata),
              chart: readChartConfig(metadata),
              pins: readPins(metadata),
              resultName: readResultName(metadata)
            };
            return;
          }
        }
      });
      return found;
    };

    kernelSpecs.register({
      spec: {
        name: KERNEL_NAME,
        display_name: 'DuckDB SQL',
        language: 'sql',
        argv: [],
        env: {},
        metadata: {},
        resources: { 'logo-32x32': KERNEL_LOGO, 'logo-64x64': KERNEL_LOGO }
      } as never,
      create: async options =>
        new DuckDBKernel({
          ...options,
          engine: startEngine,
          resolveCell,
          onRun: observeRun,
          syncDatasets,
          runPinned
        })
    });

    // Interrupt: JupyterLite cancels the queued cells; we cancel the query that is running.
    const interrupt = kernelClient.interrupt.bind(kernelClient);
    kernelClient.interrupt = async (kernelId: string) => {
      await DuckDBKernel.running.get(kernelId)?.interrupt();
      return interrupt(kernelId);
    };
    void app;
    return {
      addRunObserver: (observer: RunObserver): IDisposable => {
        observers.add(observer);
        return new DisposableDelegate(() => observers.delete(observer));
      },
      createEngine,
      http: { datasetsUrl, fetch: authorizedFetch }
    };
  }
};

/** Reads the engine settings (time limit, memory limit); defaults when settings are unavailable. */
async function loadSettings(registry: ISettingRegistry | null): Promise<Partial<EngineSettings>> {
  if (!registry) {
    return {};
  }
  try {
    const settings = await registry.load(PLUGIN_ID);
    return {
      queryTimeoutMs: (settings.composite.queryTimeoutSeconds as number) * 1000,
      memoryLimit: settings.composite.memoryLimit as string
    };
  } catch (error) {
    console.warn('Opsbook: could not load the DuckDB kernel settings; using defaults.', error);
    return {};
  }
}

export default [plugin];
