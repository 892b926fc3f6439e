/**
 * The details of one snapshot in the Catalog panel: what it is (rows, time range, source, adapter,
 * who and when), its data-quality figures, its schema with each column's null rate, and its
 * lineage (parents and further ancestors, each selectable).
 */
import { button, bytes, count, h, nanos, percent, range, shortId, when } from './format';
import type { SnapshotDetail } from './protocol';

/** Options of `snapshotDetails`. */
export interface IDetailsOptions {
  snapshot: SnapshotDetail;
  /** The SQL name of the snapshot's table in the browser. */
  sqlName: string;
  /** Other SQL names of the same table (`spans` for the default dataset). */
  aliases: string[];
  /** Is the snapshot the newest of its table (the one the SQL name reads, with its parents)? */
  latest: boolean;
  /** Inserts the SQL name into the active cell. */
  insert: (name: string) => void;
  /** Selects another snapshot (a parent). */
  select: (id: string) => void;
  /** Snapshots known in the panel, to label parents. */
  known: (id: string) => SnapshotDetail | null;
}

/** A definition list row. */
function dl(rows: [string, string | HTMLElement, string][]): HTMLElement {
  const list = h('dl', 'jp-opsbook-Facts');
  for (const [term, value, key] of rows) {
    const dt = h('dt', '', term);
    const dd = h('dd', '');
    dd.dataset.fact = key;
    dd.append(value);
    list.append(dt, dd);
  }
  return list;
}

function section(title: string, key: string, ...children: (HTMLElement | string)[]): HTMLElement {
  const node = h('section', 'jp-opsbook-Section');
  node.dataset.section = key;
  node.append(h('h3', 'jp-opsbook-SectionTitle', title), ...children);
  return node;
}

/** Renders the details of a snapshot. */
export function snapshotDetails(options: IDetailsOptions): HTMLElement {
  const { snapshot: s } = options;
  const root = h('div', 'jp-opsbook-Details');
  root.dataset.snapshot = s.id;

  const head = h('div', 'jp-opsbook-DetailsHead');
  const name = h('code', 'jp-opsbook-SqlName', options.sqlName);
  name.title = 'The SQL table name in telemetry cells';
  head.append(
    h('div', 'jp-opsbook-DetailsTitle', `${s.dataset} · ${s.table}`),
    name,
    button(
      'jp-opsbook-InsertButton',
      'Insert into active cell',
      () => options.insert(options.sqlName),
      `Insert ${options.sqlName} at the cursor of the active cell (an empty cell gets a starter query)`
    )
  );
  if (options.aliases.length) {
    head.append(h('div', 'jp-opsbook-Dim', `also: ${options.aliases.join(', ')}`));
  }
  if (!options.latest) {
    head.append(
      h(
        'div',
        'jp-opsbook-Dim',
        'An earlier snapshot: the table reads the union of this and the later snapshots.'
      )
    );
  }
  root.append(head);

  const adapter = s.adapter ? `${s.adapter.name} ${s.adapter.version}` : '–';
  const id = h('code', 'jp-opsbook-Id', shortId(s.id));
  id.title = s.id;
  root.append(
    section(
      'Snapshot',
      'summary',
      dl([
        ['Rows', count(s.rows), 'rows'],
        ['Time range', range(s.timeRange), 'timeRange'],
        ['Source', s.source || '–', 'source'],
        ['Adapter', adapter, 'adapter'],
        ['Ingested', `${s.user ?? '–'}, ${when(s.created)}`, 'ingested'],
        ['Id', id, 'id'],
        ['Schema', s.schemaVersion !== null ? `v${s.schemaVersion}` : '–', 'schemaVersion'],
        ...(s.bytes !== null ? [['Size', bytes(s.bytes), 'bytes'] as [string, string, string]] : [])
      ])
    )
  );
  root.append(qualitySection(s));
  root.append(schemaSection(s));
  root.append(lineageSection(options));
  return root;
}

function qualitySection(s: SnapshotDetail): HTMLElement {
  const q = s.quality;
  if (!q) {
    return section('Quality', 'quality', h('p', 'jp-opsbook-Dim', 'No quality figures recorded.'));
  }
  const duplicates = q.duplicatesWithinInput + q.duplicatesOfEarlierSnapshots;
  const rows: [string, string, string][] = [
    ['Rows in', count(q.rowsIn), 'rowsIn'],
    [
      'Duplicates dropped',
      duplicates
        ? `${count(duplicates)} (${count(q.duplicatesWithinInput)} within the input, ${count(q.duplicatesOfEarlierSnapshots)} already stored)`
        : '0',
      'duplicates'
    ],
    ['Rows quarantined', count(q.rowsQuarantined), 'quarantined'],
    [
      'Out-of-order timestamps',
      q.outOfOrderRows
        ? `${count(q.outOfOrderRows)} rows, up to ${nanos(q.maxLatenessNs)} late`
        : '0',
      'outOfOrder'
    ]
  ];
  const body: HTMLElement[] = [dl(rows)];
  if (q.quarantineReasons.length) {
    const list = h('ul', 'jp-opsbook-Reasons');
    for (const r of q.quarantineReasons) {
      const li = h('li', '');
      li.append(
        h('strong', '', `${r.code} × ${count(r.rows)}`),
        h('div', 'jp-opsbook-Dim', r.example)
      );
      list.append(li);
    }
    body.push(h('div', 'jp-opsbook-Subtitle', 'Quarantined, by reason'), list);
  }
  if (q.spanSkew.length) {
    body.push(
      h('div', 'jp-opsbook-Subtitle', 'Clock skew between services (parent → child spans)'),
      table(
        'skew',
        ['Services', 'Violations', 'Max', 'p95'],
        q.spanSkew.map(k => [
          `${k.parentService ?? '?'} → ${k.childService ?? '?'}`,
          `${count(k.violations)} / ${count(k.pairs)}`,
          nanos(k.maxSkewNs),
          nanos(k.p95SkewNs)
        ]),
        q.spanSkew.map(k => k.violations > 0)
      )
    );
  } else if (s.table === 'spans') {
    body.push(
      h('div', 'jp-opsbook-Dim', 'Clock skew: no cross-service parent/child spans to compare.')
    );
  }
  if (q.observedOffset.length) {
    body.push(
      h('div', 'jp-opsbook-Subtitle', 'Log time vs. observed time, per service'),
      table(
        'offset',
        ['Service', 'Records', 'Median', 'Max'],
        q.observedOffset.map(o => [
          o.service ?? '?',
          count(o.records),
          nanos(o.medianOffsetNs),
          nanos(o.maxAbsOffsetNs)
        ]),
        q.observedOffset.map(o => Math.abs(o.maxAbsOffsetNs) > 1e9)
      )
    );
  }
  return section('Quality', 'quality', ...body);
}

function table(key: string, head: string[], rows: string[][], warn: boolean[] = []): HTMLElement {
  const node = h('table', 'jp-opsbook-Grid');
  node.dataset.table = key;
  const tr = h('tr', '');
  head.forEach(c => tr.append(h('th', '', c)));
  node.append(tr);
  rows.forEach((row, i) => {
    const r = h('tr', warn[i] ? 'jp-mod-warn' : '');
    row.forEach(c => r.append(h('td', '', c)));
    node.append(r);
  });
  return node;
}

function schemaSection(s: SnapshotDetail): HTMLElement {
  const rates = s.quality?.nullRates ?? {};
  const columns = s.columns.length
    ? s.columns
    : Object.keys(rates).map(name => ({ name, type: '' }));
  if (!columns.length) {
    return section('Schema', 'schema', h('p', 'jp-opsbook-Dim', 'No schema recorded.'));
  }
  const node = h('table', 'jp-opsbook-Grid jp-opsbook-Schema');
  const head = h('tr', '');
  head.append(h('th', '', 'Column'), h('th', '', 'Type'), h('th', '', 'Nulls'));
  node.append(head);
  for (const c of columns) {
    const rate = rates[c.name];
    const tr = h('tr', '');
    tr.dataset.column = c.name;
    const nulls = h('td', 'jp-opsbook-NullRate');
    if (rate !== undefined) {
      const bar = h('span', 'jp-opsbook-NullBar');
      bar.style.width = `${Math.round(rate * 100)}%`;
      nulls.append(bar, h('span', 'jp-opsbook-NullText', percent(rate)));
    } else {
      nulls.textContent = '–';
    }
    tr.append(h('td', '', c.name), h('td', 'jp-opsbook-Type', c.type), nulls);
    node.append(tr);
  }
  return section(`Schema (${columns.length} columns)`, 'schema', node);
}

function lineageSection(options: IDetailsOptions): HTMLElement {
  const s = options.snapshot;
  const ancestors = s.ancestors.length
    ? s.ancestors
    : s.parents.map(id => ({ id, depth: 1, table: s.table, dataset: s.dataset }));
  if (!ancestors.length) {
    return section(
      'Lineage',
      'lineage',
      h('p', 'jp-opsbook-Dim', 'No parents: the first snapshot of this table.')
    );
  }
  const list = h('ul', 'jp-opsbook-Lineage');
  for (const a of ancestors) {
    const li = h('li', '');
    li.style.paddingLeft = `${(a.depth - 1) * 12}px`;
    const known = options.known(a.id);
    const link = button('jp-opsbook-LineageLink', shortId(a.id), () => options.select(a.id), a.id);
    link.disabled = !known;
    li.append(
      link,
      h(
        'span',
        'jp-opsbook-Dim',
        ` ${a.dataset}.${a.table}${known ? `, ${count(known.rows)} rows, ${when(known.created)}` : ''}`
      )
    );
    list.append(li);
  }
  return section(
    s.parents.length === 1 ? 'Lineage (1 parent)' : `Lineage (${s.parents.length} parents)`,
    'lineage',
    list
  );
}
