/**
 * The "Pull from Prometheus" and "Pull alerts from Alertmanager" dialogs. Sources are configured
 * by whoever runs the server (`opsbook serve --prometheus NAME=URL`); the browser only names one.
 * A Prometheus pull is a range query: PromQL, a time range (a preset relative to now, or custom
 * UTC times) and a step; the form checks them before the request goes out, including
 * Prometheus's own limit of 11,000 points per series.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { datasetNameProblem } from './adapters';
import { field, FormBody, input, select, showForm } from './form-dialog';
import { h } from './format';
import type { PullRequest, PullSource } from './protocol';
import { DEFAULT_DATASET } from './upload-dialog';
import { autoStep, MAX_POINTS, RANGE_PRESETS, stepSeconds } from './promql-time';

/** `2024-05-01T10:00` (a datetime-local value, read as UTC) -> ISO; null if invalid. */
function utcOf(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local)) {
    return null;
  }
  const d = new Date(`${local}${local.length === 16 ? ':00' : ''}Z`);
  return isNaN(d.getTime()) ? null : d.toISOString();
}

/** `datetime-local` value of a Date, in UTC. */
function localValue(d: Date): string {
  return d.toISOString().slice(0, 16);
}

class PullForm extends FormBody<PullRequest> {
  constructor(
    private readonly kind: 'prometheus' | 'alertmanager',
    sources: PullSource[],
    datasets: string[]
  ) {
    super();
    this.addClass('jp-opsbook-PullForm');
    this.node.dataset.kind = kind;
    this.source = select(
      'source',
      sources.map(s => ({ value: s.name, label: `${s.name} (${s.url})` })),
      sources[0]?.name ?? ''
    );
    this.node.append(field('Source', this.source, 'source'));
    if (kind === 'prometheus') {
      this.query.name = 'query';
      this.query.className = 'jp-mod-styled jp-opsbook-PromQL';
      this.query.rows = 3;
      this.query.spellcheck = false;
      this.query.placeholder = 'e.g. sum by (service) (rate(http_requests_total[5m]))';
      this.node.append(field('PromQL', this.query, 'query'));
      const now = new Date();
      this.start.value = localValue(new Date(now.getTime() - 3600_000));
      this.end.value = localValue(now);
      for (const node of [this.start, this.end]) {
        node.type = 'datetime-local';
        node.className = 'jp-mod-styled';
      }
      this.start.name = 'start';
      this.end.name = 'end';
      this.custom.append(
        field('Start (UTC)', this.start, 'start'),
        field('End (UTC)', this.end, 'end')
      );
      this.node.append(field('Time range', this.range, 'range'), this.custom);
      this.node.append(
        field(
          'Step',
          this.step,
          'step',
          'Resolution: a duration like 15s, 1m, 5m (empty: automatic)'
        )
      );
      this.range.addEventListener('change', () => this.showCustom());
      this.showCustom();
    } else {
      this.node.append(
        field(
          'Filter (optional)',
          this.filter,
          'filter',
          'One label matcher, e.g. severity="critical"; empty: every current alert'
        )
      );
    }
    const ds = input('dataset', DEFAULT_DATASET, DEFAULT_DATASET);
    const list = h('datalist', '');
    list.id = `jp-opsbook-pull-datasets-${kind}`;
    for (const name of new Set([DEFAULT_DATASET, ...datasets])) {
      const option = h('option', '');
      option.value = name;
      list.append(option);
    }
    ds.setAttribute('list', list.id);
    this.datasetInput = ds;
    this.node.append(field('Dataset', ds, 'dataset'), list);
  }

  getValue(): PullRequest {
    const request: PullRequest = {
      source: this.kind,
      name: this.source.value,
      dataset: this.datasetInput.value.trim()
    };
    if (this.kind === 'prometheus') {
      const { start, end } = this.window()!;
      request.query = this.query.value.trim();
      request.start = start;
      request.end = end;
      request.step =
        this.step.value.trim() || autoStep((Date.parse(end) - Date.parse(start)) / 1000);
    } else if (this.filter.value.trim()) {
      // Alertmanager has no query language: `query` is one label matcher.
      request.query = this.filter.value.trim();
    }
    return request;
  }

  protected problems(): Map<string, string> {
    const problems = new Map<string, string>();
    if (!this.source.value) {
      problems.set('source', 'No source configured.');
    }
    const dataset = datasetNameProblem(this.datasetInput.value.trim());
    if (dataset) {
      problems.set('dataset', dataset);
    }
    if (this.kind !== 'prometheus') {
      const filter = this.filter.value.trim();
      if (filter && !/^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*".*"$/.test(filter)) {
        problems.set('filter', `"${filter}" is not a label matcher: write it as name="value".`);
      }
      return problems;
    }
    if (!this.query.value.trim()) {
      problems.set('query', 'Write the PromQL query to run over the time range.');
    }
    const window = this.window();
    if (this.range.value === 'custom') {
      if (!utcOf(this.start.value)) {
        problems.set('start', 'Give the start time.');
      }
      if (!utcOf(this.end.value)) {
        problems.set('end', 'Give the end time.');
      }
    }
    if (window && Date.parse(window.end) <= Date.parse(window.start)) {
      problems.set('end', 'The end must be after the start.');
    }
    const stepText = this.step.value.trim();
    const step = stepText ? stepSeconds(stepText) : null;
    if (stepText && step === null) {
      problems.set('step', `"${stepText}" is not a step: use a duration like 15s, 1m or 1h30m.`);
    } else if (step !== null && window) {
      const points = (Date.parse(window.end) - Date.parse(window.start)) / 1000 / step;
      if (points > MAX_POINTS) {
        problems.set(
          'step',
          `A step of ${stepText} gives ${Math.ceil(points).toLocaleString('en-US')} points per series; Prometheus allows ${MAX_POINTS.toLocaleString('en-US')}. Use a larger step or a shorter range.`
        );
      }
    }
    return problems;
  }

  /** The time range as ISO strings, or null when custom times are invalid. */
  private window(): { start: string; end: string } | null {
    const preset = RANGE_PRESETS.find(p => p.value === this.range.value);
    if (preset && preset.seconds > 0) {
      const end = new Date();
      return {
        start: new Date(end.getTime() - preset.seconds * 1000).toISOString(),
        end: end.toISOString()
      };
    }
    const start = utcOf(this.start.value);
    const end = utcOf(this.end.value);
    return start && end ? { start, end } : null;
  }

  private showCustom(): void {
    this.custom.hidden = this.range.value !== 'custom';
  }

  private readonly source: HTMLSelectElement;
  private readonly query = document.createElement('textarea');
  private readonly range = select(
    'range',
    RANGE_PRESETS.map(p => ({ value: p.value, label: p.label })),
    '1h'
  );
  private readonly custom = h('div', 'jp-opsbook-CustomRange');
  private readonly start = document.createElement('input');
  private readonly end = document.createElement('input');
  private readonly step = input('step', '', 'automatic');
  private readonly filter = input('filter', '', 'severity="critical"');
  private readonly datasetInput: HTMLInputElement;
}

/** Asks what to pull from a source of `kind`; null when cancelled (or no source to ask about). */
export async function askPull(
  kind: 'prometheus' | 'alertmanager',
  sources: PullSource[],
  datasets: string[]
): Promise<PullRequest | null> {
  const usable = sources.filter(s => s.kind === kind);
  const title = kind === 'prometheus' ? 'Pull from Prometheus' : 'Pull alerts from Alertmanager';
  if (usable.length === 0) {
    const body = h('div', 'jp-opsbook-NoSources');
    const flag = kind === 'prometheus' ? '--prometheus' : '--alertmanager';
    const port = kind === 'prometheus' ? 9090 : 9093;
    const how = h('p', '');
    how.append(
      'Whoever runs the server adds one with ',
      h('code', '', `opsbook serve ${flag} NAME=URL`),
      ' (for example ',
      h('code', '', `${flag} main=http://localhost:${port}`),
      '). For safety the server only reads from sources its operator configured.'
    );
    body.append(
      h(
        'p',
        '',
        `No ${kind === 'prometheus' ? 'Prometheus' : 'Alertmanager'} source is configured on this server.`
      ),
      how
    );
    await showDialog({
      title,
      body: new WidgetOf(body),
      buttons: [Dialog.okButton({ label: 'Close' })]
    });
    return null;
  }
  return showForm(title, new PullForm(kind, usable, datasets), 'Pull');
}

/** A widget around a ready-made node. */
class WidgetOf extends Widget {
  constructor(node: HTMLElement) {
    super({ node });
  }
}
