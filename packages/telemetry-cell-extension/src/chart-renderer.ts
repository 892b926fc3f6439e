/**
 * The telemetry chart: the Vega-Lite spec stored in the output, drawn with vega-embed, under a
 * row of controls (mark, x, y, colour). A change is announced with a DOM event; the cell-level
 * handler (chart-choice.ts) stores it in the cell's metadata and rewrites the chart output, so the
 * choice is saved with the notebook and shows in stock Jupyter too.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import {
  CHART_MARKS,
  CHART_MIME,
  VEGALITE_MIME,
  type ChartBundle,
  type ChartConfig
} from '@opsbook/telemetry-cell';
import { Widget } from '@lumino/widgets';

/** The DOM event a chart renderer dispatches when the user changes the chart. */
export const CHART_CHANGE_EVENT = 'opsbook-chart-change';

/** Detail of `CHART_CHANGE_EVENT`. */
export interface ChartChangeDetail {
  chart: ChartConfig;
}

/** Renders `CHART_MIME` (with the Vega-Lite spec of the same output). */
export class ChartRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly _controls = document.createElement('div');
  private readonly _plot = document.createElement('div');
  private _finalize: (() => void) | null = null;

  constructor() {
    super();
    this.addClass('jp-opsbook-Chart');
    this._controls.className = 'jp-opsbook-Chart-controls';
    this._plot.className = 'jp-opsbook-Chart-plot';
    this.node.append(this._controls, this._plot);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const bundle = model.data[CHART_MIME] as unknown as ChartBundle;
    const spec = model.data[VEGALITE_MIME] as Record<string, unknown> | undefined;
    this._renderControls(bundle);
    this.node.dataset.mark = bundle.chart.mark;
    this._finalize?.();
    this._finalize = null;
    this._plot.textContent = '';
    if (!spec) {
      this._plot.classList.add('jp-mod-hidden');
      return;
    }
    this._plot.classList.remove('jp-mod-hidden');
    const { default: embed } = await import('vega-embed');
    const result = await embed(this._plot, spec as never, {
      // No "open in editor" or remote loading: Opsbook works offline.
      actions: { export: true, source: false, compiled: false, editor: false },
      renderer: 'svg',
      loader: { target: '_blank', http: { credentials: 'same-origin' } } as never
    });
    this._finalize = () => result.finalize();
  }

  dispose(): void {
    this._finalize?.();
    super.dispose();
  }

  private _renderControls(bundle: ChartBundle): void {
    const current: ChartConfig = { ...bundle.chart };
    this._controls.textContent = '';
    const emit = (change: Partial<ChartConfig>) => {
      const chart = { ...current, ...change };
      this.node.dispatchEvent(
        new CustomEvent<ChartChangeDetail>(CHART_CHANGE_EVENT, { bubbles: true, detail: { chart } })
      );
    };
    this._controls.append(
      select(
        'Mark',
        'mark',
        CHART_MARKS.map(m => [m, m === 'table' ? 'table only' : m]),
        current.mark,
        v => emit({ mark: v as ChartConfig['mark'] })
      )
    );
    if (current.mark === 'table') {
      return;
    }
    const fields: [string, string][] = bundle.columns.map(c => [c.name, `${c.name} (${c.kind})`]);
    const none: [string, string][] = [['', '—']];
    this._controls.append(
      select('x', 'x', fields, current.x ?? '', v => emit({ x: v || null })),
      select('y', 'y', fields, current.y ?? '', v => emit({ y: v || null })),
      select('Colour', 'color', none.concat(fields), current.color ?? '', v =>
        emit({ color: v || null })
      )
    );
  }
}

function select(
  label: string,
  name: string,
  options: [string, string][],
  value: string,
  onChange: (value: string) => void
): HTMLElement {
  const wrapper = document.createElement('label');
  wrapper.className = 'jp-opsbook-Chart-control';
  wrapper.textContent = label;
  const element = document.createElement('select');
  element.className = 'jp-mod-styled';
  element.name = name;
  element.setAttribute('aria-label', `Chart ${label}`);
  for (const [v, text] of options) {
    const option = document.createElement('option');
    option.value = v;
    option.textContent = text;
    option.selected = v === value;
    element.append(option);
  }
  element.onchange = () => onChange(element.value);
  wrapper.append(element);
  return wrapper;
}
