/**
 * The Upload dialog: for each dropped or chosen file, its adapter (pre-selected from the file's
 * extension), the dataset it goes to (default "default", existing ones offered) and what to do with
 * bad records (reject the file, or quarantine them and keep the rest).
 */
import { ADAPTER_CHOICES, datasetNameProblem, kindForFile } from './adapters';
import { bytes, h } from './format';
import { field, FormBody, input, select, showForm } from './form-dialog';

/** What to upload, per file. */
export interface UploadChoice {
  file: File;
  kind: string;
  dataset: string;
  onError: 'reject' | 'quarantine';
  /** Target table of a tabular format (csv, parquet, arrow). */
  table?: string;
}

/** Formats with no tables of their own: the rows go to the table the user names. */
export const TABULAR_KINDS = ['csv', 'parquet', 'arrow'];

/** The default dataset of uploads. */
export const DEFAULT_DATASET = 'default';

class UploadForm extends FormBody<UploadChoice[]> {
  constructor(files: File[], datasets: string[], dataset: string) {
    super();
    this.addClass('jp-opsbook-UploadForm');
    const list = h('datalist', '');
    list.id = `jp-opsbook-datasets-${++UploadForm.count}`;
    for (const name of new Set([DEFAULT_DATASET, ...datasets])) {
      const option = h('option', '');
      option.value = name;
      list.append(option);
    }
    this.node.append(list);
    files.forEach((file, i) => {
      const detected = kindForFile(file.name);
      const kinds = [
        ...(detected ? [] : [{ value: '', label: 'Choose the format…' }]),
        ...ADAPTER_CHOICES.map(c => ({ value: c.kind, label: `${c.kind}: ${c.label}` }))
      ];
      const row = h('fieldset', 'jp-opsbook-UploadFile');
      row.dataset.file = file.name;
      const legend = h('legend', '');
      legend.append(
        h('strong', '', file.name),
        h('span', 'jp-opsbook-Dim', ` ${bytes(file.size)}`)
      );
      const kind = select('kind', kinds, detected ?? '');
      const ds = input('dataset', dataset, DEFAULT_DATASET);
      ds.setAttribute('list', list.id);
      const policy = select(
        'onError',
        [
          { value: 'reject', label: 'Reject the file at the first bad record' },
          { value: 'quarantine', label: 'Quarantine bad records, keep the rest' }
        ],
        'reject'
      );
      const table = select(
        'table',
        [
          { value: '', label: 'Choose the table…' },
          ...['spans', 'logs', 'metrics', 'events'].map(t => ({ value: t, label: t }))
        ],
        ''
      );
      const tableField = field(
        'Table',
        table,
        `table-${i}`,
        'CSV, Parquet and Arrow rows go into one table; columns are matched by name'
      );
      const showTable = () => {
        tableField.hidden = !TABULAR_KINDS.includes(kind.value);
      };
      kind.addEventListener('change', showTable);
      showTable();
      row.append(
        legend,
        field(
          'Format',
          kind,
          `kind-${i}`,
          detected ? `detected from .${ext(file.name)}` : undefined
        ),
        tableField,
        field('Dataset', ds, `dataset-${i}`),
        field('Bad records', policy, `onError-${i}`)
      );
      this.node.append(row);
      this.rows.push({ file, kind, dataset: ds, policy, table });
    });
  }

  getValue(): UploadChoice[] {
    return this.rows.map(r => ({
      file: r.file,
      kind: r.kind.value,
      dataset: r.dataset.value.trim(),
      onError: r.policy.value === 'quarantine' ? 'quarantine' : 'reject',
      table: TABULAR_KINDS.includes(r.kind.value) ? r.table.value : undefined
    }));
  }

  protected problems(): Map<string, string> {
    const problems = new Map<string, string>();
    this.rows.forEach((r, i) => {
      if (!r.kind.value) {
        problems.set(`kind-${i}`, `Choose the format of ${r.file.name}.`);
      }
      if (TABULAR_KINDS.includes(r.kind.value) && !r.table.value) {
        problems.set(`table-${i}`, `Choose the table the rows of ${r.file.name} go to.`);
      }
      const name = datasetNameProblem(r.dataset.value.trim());
      if (name) {
        problems.set(`dataset-${i}`, name);
      }
    });
    return problems;
  }

  private static count = 0;
  private readonly rows: {
    file: File;
    kind: HTMLSelectElement;
    dataset: HTMLInputElement;
    policy: HTMLSelectElement;
    table: HTMLSelectElement;
  }[] = [];
}

function ext(name: string): string {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  return base.slice(base.lastIndexOf('.') + 1);
}

/** Asks how to upload `files`; null when cancelled. */
export function askUpload(
  files: File[],
  datasets: string[],
  dataset = DEFAULT_DATASET
): Promise<UploadChoice[] | null> {
  const title = files.length === 1 ? `Upload ${files[0].name}` : `Upload ${files.length} files`;
  return showForm(title, new UploadForm(files, datasets, dataset), 'Upload');
}
