/**
 * Issue #4 (Telemetry data), the UI, end to end in Chromium on the real server: the Catalog panel's
 * empty state, an OTLP upload through the file chooser with its progress and report, the dataset
 * and snapshot with its quality figures, the same file dropped on the panel again (nothing new),
 * the table dragged into a telemetry cell and run, a malformed file's error with its position,
 * and the Pull from Prometheus dialog without sources.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  command,
  externalRequests,
  launchBrowser,
  openNotebook,
  openPage,
  runActiveCell,
  screenshot,
  ANA,
  startAlertmanager,
  startPrometheus,
  startServer,
  startServerWithArgs,
  writeUsersFile,
  type AlertmanagerHandle,
  type PrometheusHandle,
  type TestUser,
  type RecordedPage,
  type ServerHandle
} from '../harness';

const NOTEBOOK = 'checkout-incident.ipynb';
const TRACES = 3000;
const SPANS = TRACES * 3;

/** 32 or 16 hex digits from a number. */
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0').slice(-digits);

/**
 * An OTLP/JSON traces export: per trace a frontend root span, a checkout child and a payments
 * grandchild. The payments host's clock runs 45 ms ahead on every 10th trace, so its span ends
 * after its parent: the catalog must report clock skew between checkout and payments.
 */
function otlpTraces(traces: number, pretty = false): string {
  const t0 = 1_735_700_000_000_000_000n;
  const resource = (service: string) => ({
    attributes: [{ key: 'service.name', value: { stringValue: service } }]
  });
  const span = (
    trace: number,
    id: number,
    parent: number | null,
    name: string,
    startMs: number,
    endMs: number,
    error = false
  ) => ({
    traceId: hex(trace + 1, 32),
    spanId: hex(id + 1, 16),
    ...(parent !== null ? { parentSpanId: hex(parent + 1, 16) } : {}),
    name,
    kind: parent === null ? 2 : 3,
    startTimeUnixNano: String(t0 + BigInt(Math.round(startMs * 1e6))),
    endTimeUnixNano: String(t0 + BigInt(Math.round(endMs * 1e6))),
    attributes: [{ key: 'http.route', value: { stringValue: name } }],
    status: { code: error ? 2 : 1 }
  });
  const byService: Record<string, ReturnType<typeof span>[]> = {
    frontend: [],
    checkout: [],
    payments: []
  };
  for (let t = 0; t < traces; t++) {
    const at = t * 20;
    const skew = t % 10 === 0 ? 45 : 0;
    byService.frontend.push(span(t, t * 3, null, 'GET /checkout', at, at + 120, t % 50 === 0));
    byService.checkout.push(span(t, t * 3 + 1, t * 3, 'POST /orders', at + 10, at + 100));
    byService.payments.push(
      span(t, t * 3 + 2, t * 3 + 1, 'charge', at + 20 + skew, at + 60 + skew, t % 50 === 0)
    );
  }
  const body = {
    resourceSpans: Object.entries(byService).map(([service, spans]) => ({
      resource: resource(service),
      scopeSpans: [{ scope: { name: 'opsbook.ui-test' }, spans }]
    }))
  };
  return pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
}

/** Drops `files` (name -> text) on `selector` as a user dragging them from the desktop would. */
async function dropFiles(page: Page, selector: string, files: Record<string, string>) {
  await page.evaluate(
    ([selector, files]) => {
      const target = document.querySelector(selector)!;
      const data = new DataTransfer();
      for (const [name, text] of Object.entries(files)) {
        data.items.add(new File([text], name, { type: 'application/json' }));
      }
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true })
        );
      }
    },
    [selector, files] as const
  );
}

/** Uploads `file` with the Upload button and the browser's file chooser. */
async function chooseFile(page: Page, file: string) {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.click('.jp-opsbook-CatalogPanel .jp-opsbook-UploadButton')
  ]);
  await chooser.setFiles(file);
}

/** The upload dialog's fields for its first file. */
async function dialogFields(page: Page) {
  await page.waitForSelector('.jp-Dialog .jp-opsbook-UploadForm');
  return page.evaluate(() => {
    const form = document.querySelector('.jp-Dialog .jp-opsbook-UploadForm')!;
    const value = (name: string) =>
      (form.querySelector(`[name="${name}"]`) as HTMLInputElement | HTMLSelectElement).value;
    return { kind: value('kind'), dataset: value('dataset'), onError: value('onError') };
  });
}

/** Waits for the newest job to finish and returns its state and report figures. */
async function lastJob(page: Page) {
  await page.waitForFunction(
    () => {
      const job = document.querySelector<HTMLElement>('.jp-opsbook-Job');
      return job && job.dataset.state !== 'running';
    },
    undefined,
    { timeout: 120_000 }
  );
  return page.evaluate(() => {
    const job = document.querySelector<HTMLElement>('.jp-opsbook-Job')!;
    const figures: Record<string, string> = {};
    job.querySelectorAll<HTMLElement>('tr[data-figure]').forEach(tr => {
      figures[tr.dataset.figure!] = tr.querySelector('td')!.textContent!;
    });
    return {
      state: job.dataset.state,
      status: job.querySelector('.jp-opsbook-Job-status')?.textContent ?? '',
      error: job.querySelector('.jp-opsbook-Job-error')?.textContent ?? '',
      snapshots: job.querySelector('.jp-opsbook-Job-snapshots')?.textContent ?? '',
      figures
    };
  });
}

describe('the telemetry catalog in the app', () => {
  let server: ServerHandle;
  let browser: Browser;
  let recorded: RecordedPage;
  let dir: string;
  let tracesFile: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbook-catalog-ui-'));
    tracesFile = path.join(dir, 'checkout-traces.json');
    fs.writeFileSync(tracesFile, otlpTraces(TRACES));
    server = await startServer();
    browser = await launchBrowser();
    recorded = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows an empty catalog that says how to add data', async () => {
    const { page } = recorded;
    await page.goto(`${server.url}/lab?token=${server.token}`);
    await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached', timeout: 60_000 });
    await command(page, 'opsbook:open-catalog');
    const empty = page.locator('.jp-opsbook-CatalogEmpty');
    await empty.waitFor();
    const text = await empty.textContent();
    expect(text).toContain('Drop files here');
    expect(text).toContain('Pull from Prometheus');
    expect(text).toContain('opsbook ingest');
    // The command is in the palette.
    const palette = await page.evaluate(() =>
      (window as any).jupyterapp.commands.hasCommand('opsbook:open-catalog')
    );
    expect(palette).toBe(true);
    await screenshot(page, 'catalog-01-empty');
  });

  it('uploads an OTLP file from the file chooser with progress, then shows its report', async () => {
    const { page } = recorded;
    // Record every progress the job shows, however fast the upload goes.
    await page.evaluate(() => {
      const seen = ((window as any).__catalogProgress = { bar: 0, status: [] as string[] });
      new MutationObserver(() => {
        const job = document.querySelector<HTMLElement>('.jp-opsbook-Job[data-state="running"]');
        const bar = job?.querySelector('progress');
        if (bar) {
          seen.bar = Math.max(seen.bar, bar.value);
        }
        const status = job?.querySelector('.jp-opsbook-Job-status')?.textContent;
        if (status && !seen.status.includes(status)) {
          seen.status.push(status);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await chooseFile(page, tracesFile);
    expect(await dialogFields(page)).toEqual({
      kind: 'otlp',
      dataset: 'default',
      onError: 'reject'
    });
    await screenshot(page, 'catalog-02-upload-dialog');
    await page.click('.jp-Dialog .jp-mod-accept');
    await page.waitForSelector('.jp-opsbook-Job');
    await page
      .waitForFunction(() => (window as any).__catalogProgress.bar > 0, undefined, {
        timeout: 10_000
      })
      .catch(() => undefined);
    await screenshot(page, 'catalog-03-progress');
    const job = await lastJob(page);
    expect(job.state).toBe('done');
    expect(job.figures).toMatchObject({
      rowsRead: SPANS.toLocaleString('en-US'),
      rowsStored: SPANS.toLocaleString('en-US'),
      duplicatesDropped: '0',
      rowsQuarantined: '0'
    });
    expect(job.snapshots).toMatch(/spans [0-9a-f]{12}/);
    const progress = await page.evaluate(() => (window as any).__catalogProgress);
    expect(progress.bar).toBeGreaterThan(0);
    expect(progress.status.some((s: string) => / sent/.test(s))).toBe(true);
    await screenshot(page, 'catalog-04-report');
  });

  it('shows the dataset, its table and the new snapshot with schema, quality and lineage', async () => {
    const { page } = recorded;
    const row = page.locator('.jp-opsbook-TableRow[data-sql-name="default_spans"]');
    await row.waitFor();
    expect(await row.locator('.jp-opsbook-Rows').textContent()).toBe(SPANS.toLocaleString('en-US'));
    const details = page.locator('.jp-opsbook-Details');
    await details.waitFor();
    const facts = await details.evaluate(node => {
      const fact = (key: string) =>
        node.querySelector(`[data-fact="${key}"]`)?.textContent?.trim() ?? null;
      return {
        rows: fact('rows'),
        source: fact('source'),
        adapter: fact('adapter'),
        duplicates: fact('duplicates'),
        quarantined: fact('quarantined'),
        skewRows: node.querySelectorAll('[data-table="skew"] tr.jp-mod-warn').length,
        skewText: node.querySelector('[data-table="skew"]')?.textContent ?? '',
        columns: node.querySelectorAll('.jp-opsbook-Schema tr[data-column]').length,
        parentNull:
          node.querySelector('tr[data-column="parent_span_id"] .jp-opsbook-NullText')
            ?.textContent ?? '',
        lineage: node.querySelector('[data-section="lineage"]')?.textContent ?? ''
      };
    });
    expect(facts).toMatchObject({
      rows: SPANS.toLocaleString('en-US'),
      source: 'checkout-traces.json',
      duplicates: '0',
      quarantined: '0'
    });
    expect(facts.adapter).toMatch(/^otlp-json \d/);
    // payments runs 45 ms ahead of checkout on every 10th trace.
    expect(facts.skewRows).toBeGreaterThan(0);
    expect(facts.skewText).toContain('checkout → payments');
    expect(facts.skewText).toContain(
      `${(TRACES / 10).toLocaleString('en-US')} / ${TRACES.toLocaleString('en-US')}`
    );
    expect(facts.columns).toBeGreaterThan(20);
    // A third of the spans (the roots) have no parent.
    expect(facts.parentNull).toBe('33 %');
    expect(facts.lineage).toContain('No parents');
    await page.locator('[data-section="quality"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'catalog-05-snapshot');
  });

  it('says nothing new when the same file is dropped on the panel again', async () => {
    const { page } = recorded;
    await dropFiles(page, '.jp-opsbook-CatalogPanel', {
      'checkout-traces.json': fs.readFileSync(tracesFile, 'utf8')
    });
    expect(await dialogFields(page)).toEqual({
      kind: 'otlp',
      dataset: 'default',
      onError: 'reject'
    });
    await page.click('.jp-Dialog .jp-mod-accept');
    await page.waitForFunction(() => document.querySelectorAll('.jp-opsbook-Job').length === 2);
    const job = await lastJob(page);
    expect(job.state).toBe('unchanged');
    expect(job.status).toContain('Nothing new');
    expect(job.figures).toMatchObject({
      rowsRead: SPANS.toLocaleString('en-US'),
      rowsStored: '0',
      duplicatesDropped: SPANS.toLocaleString('en-US')
    });
    // Still one snapshot.
    expect(await page.locator('.jp-opsbook-SnapshotRow').count()).toBe(1);
    await screenshot(page, 'catalog-06-unchanged');
  });

  it('drags the table into an empty telemetry cell, which runs a starter query', async () => {
    const { page } = recorded;
    await openNotebook(page, server, NOTEBOOK);
    await command(page, 'opsbook:open-catalog');
    await page.evaluate(() => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
    });
    await command(page, 'opsbook:insert-telemetry-cell');
    const editor = page.locator('.jp-Notebook .jp-Cell.jp-mod-active .jp-InputArea-editor');
    await editor.scrollIntoViewIfNeeded();
    const table = page.locator('.jp-opsbook-TableRow[data-sql-name="default_spans"]');
    await table.waitFor();
    await table.dragTo(editor);
    const source = () =>
      page.evaluate(
        () =>
          (
            window as any
          ).jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource() as string
      );
    await page.waitForFunction(
      () =>
        (
          window as any
        ).jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource() !== ''
    );
    expect(await source()).toBe('SELECT * FROM default_spans LIMIT 100');
    const id = await runActiveCell(page);
    const result = await page.evaluate(id => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const cell = notebook.widgets.find((c: any) => c.model.id === id);
      const table = cell.node.querySelector('.jp-opsbook-Table') as HTMLElement | null;
      return {
        rows: table ? Number(table.dataset.rows) : null,
        error:
          cell.node.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]')
            ?.textContent ?? ''
      };
    }, id);
    expect(result).toEqual({ rows: 100, error: '' });
    await screenshot(page, 'catalog-07-dragged-and-run');
  });

  it('drops the table name at the drop point of a cell that has text', async () => {
    const { page } = recorded;
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.keyboard.type('SELECT count(*) AS n FROM ');
    const line = page.locator('.jp-Notebook .jp-Cell.jp-mod-active .cm-line').first();
    const box = (await line.boundingBox())!;
    // Just right of the typed text (the cell toolbar covers the far right of the first line).
    const textEnd = await line.evaluate(node => {
      const range = document.createRange();
      range.selectNodeContents(node);
      return range.getBoundingClientRect().right - node.getBoundingClientRect().left;
    });
    await page.locator('.jp-opsbook-TableRow[data-sql-name="default_spans"]').dragTo(line, {
      targetPosition: { x: Math.min(textEnd + 12, box.width / 2), y: box.height / 2 }
    });
    await page.waitForFunction(() =>
      (
        (
          window as any
        ).jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource() as string
      ).includes('default_spans')
    );
    const source = await page.evaluate(
      () =>
        (
          window as any
        ).jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource() as string
    );
    expect(source).toBe('SELECT count(*) AS n FROM default_spans');
    const id = await runActiveCell(page);
    const total = await page.evaluate(id => {
      const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets.find(
        (c: any) => c.model.id === id
      );
      return cell.node.querySelector('.jp-opsbook-Table td.jp-opsbook-number')?.textContent;
    }, id);
    expect(total).toBe(String(SPANS));
  });

  it('inserts the table into the active cell from the context menu', async () => {
    const { page } = recorded;
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.click('.jp-opsbook-TableRow[data-sql-name="default_spans"]', { button: 'right' });
    await page.click('.lm-Menu-item[data-command="opsbook:insert-table"]');
    const source = await page.evaluate(
      () =>
        (
          window as any
        ).jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource() as string
    );
    expect(source).toBe('SELECT * FROM default_spans LIMIT 100');
  });

  it('lets a running kernel query a table ingested after it started, without a restart', async () => {
    const { page } = recorded;
    // The notebook's kernel is running (earlier tests ran cells). Another user ingests a dataset
    // through the API meanwhile.
    const res = await fetch(
      `${server.url}/api/opsbook/ingest?dataset=late&as=otlp&filename=late.json`,
      {
        method: 'POST',
        headers: { Authorization: `token ${server.token}` },
        body: otlpTraces(5)
      }
    );
    const answer = await res.text();
    expect(answer).toContain('"type":"report"');
    const status = res.status;
    expect(status).toBe(200);
    await command(page, 'opsbook:insert-telemetry-cell');
    await page.evaluate(() => {
      const cell = (window as any).jupyterapp.shell.currentWidget.content.activeCell;
      cell.model.sharedModel.setSource('SELECT count(*) AS spans FROM late_spans');
    });
    const id = await runActiveCell(page);
    const result = await page.evaluate(id => {
      const notebook = (window as any).jupyterapp.shell.currentWidget.content;
      const cell = notebook.widgets.find((c: any) => c.model.id === id);
      return {
        spans: cell.node.querySelector('.jp-opsbook-Table td.jp-opsbook-number')?.textContent,
        error:
          cell.node.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]')
            ?.textContent ?? ''
      };
    }, id);
    expect(result).toEqual({ spans: '15', error: '' });
  });

  it('shows the error of a malformed file with its position, and stores nothing', async () => {
    const { page } = recorded;
    const lines = otlpTraces(2, true).split('\n');
    // The first span name loses its closing quote: a JSON syntax error the adapter must place.
    const broken = lines.findIndex(l => l.includes('"GET /checkout"'));
    lines[broken] = lines[broken].replace('"GET /checkout"', '"GET /checkout');
    const bad = path.join(dir, 'broken-traces.json');
    fs.writeFileSync(bad, lines.join('\n'));
    const before = await page.locator('.jp-opsbook-Job').count();
    await chooseFile(page, bad);
    await dialogFields(page);
    await page.click('.jp-Dialog .jp-mod-accept');
    await page.waitForFunction(
      n => document.querySelectorAll('.jp-opsbook-Job').length === n + 1,
      before
    );
    const job = await lastJob(page);
    expect(job.state).toBe('error');
    expect(job.error).toMatch(/line \d+|byte \d+/);
    await page.locator('.jp-opsbook-Job').first().scrollIntoViewIfNeeded();
    await screenshot(page, 'catalog-08-error');
    // Nothing stored: the table still has the rows of the first upload.
    expect(
      await page
        .locator('.jp-opsbook-TableRow[data-sql-name="default_spans"] .jp-opsbook-Rows')
        .textContent()
    ).toBe(SPANS.toLocaleString('en-US'));
  });

  it('quarantines bad log lines on request and groups them by reason in the report', async () => {
    const { page } = recorded;
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      const time = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
      lines.push(
        JSON.stringify({ timestamp: time, level: 'info', service: 'checkout', message: `ok ${i}` })
      );
    }
    lines[5] = 'this line is not JSON';
    lines[17] = '{"level": "error", "message": "truncated';
    lines[23] = JSON.stringify({ level: 'warn', service: 'checkout', message: 'no time at all' });
    const file = path.join(dir, 'checkout-app.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const before = await page.locator('.jp-opsbook-Job').count();
    await chooseFile(page, file);
    expect(await dialogFields(page)).toEqual({
      kind: 'jsonl',
      dataset: 'default',
      onError: 'reject'
    });
    await page.selectOption('.jp-Dialog select[name="onError"]', 'quarantine');
    await page.click('.jp-Dialog .jp-mod-accept');
    await page.waitForFunction(
      n => document.querySelectorAll('.jp-opsbook-Job').length === n + 1,
      before
    );
    const job = await lastJob(page);
    expect(job.state).toBe('done');
    expect(job.figures).toMatchObject({ rowsRead: '40', rowsStored: '37', rowsQuarantined: '3' });
    const reasons = await page
      .locator('.jp-opsbook-Job')
      .first()
      .locator('.jp-opsbook-Job-reasons li')
      .allTextContents();
    expect(reasons.map(r => r.split(/(?<=× \d+)/)[0])).toEqual([
      'not-json-line × 2',
      'no-timestamp × 1'
    ]);
    await screenshot(page, 'catalog-09-quarantine');
    await page.locator('.jp-opsbook-TableRow[data-sql-name="default_logs"]').waitFor();
  });

  it('says no Prometheus is configured when the server has none', async () => {
    const { page } = recorded;
    // Not `command()`: it would wait for the dialog to close.
    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute('opsbook:pull-prometheus');
    });
    const dialog = page.locator('.jp-Dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('No Prometheus source is configured');
    expect(await dialog.textContent()).toContain('--prometheus');
    await screenshot(page, 'catalog-10-no-prometheus');
    await page.click('.jp-Dialog .jp-mod-accept');
    await dialog.waitFor({ state: 'detached' });
  });

  it('sent no request beyond the local server', () => {
    expect(externalRequests(recorded.requests, server)).toEqual([]);
    expect(recorded.errors.filter(e => /catalog/i.test(e))).toEqual([]);
  });
});

describe('Pull from Prometheus in the app (a real Prometheus scraping itself)', () => {
  let prometheus: PrometheusHandle;
  let server: ServerHandle;
  let browser: Browser;
  let recorded: RecordedPage;

  beforeAll(async () => {
    prometheus = await startPrometheus();
    server = await startServerWithArgs(['--prometheus', `local=${prometheus.url}`]);
    browser = await launchBrowser();
    recorded = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await prometheus?.stop();
  });

  /** The problems the dialog shows, by field. */
  const problems = (page: Page) =>
    page.evaluate(() => {
      const out: Record<string, string> = {};
      document.querySelectorAll<HTMLElement>('.jp-Dialog [data-problem-for]').forEach(node => {
        if (!node.hidden) {
          out[node.dataset.problemFor!] = node.textContent ?? '';
        }
      });
      return out;
    });
  const acceptDisabled = (page: Page) =>
    page.$eval('.jp-Dialog .jp-mod-accept', b => (b as HTMLButtonElement).disabled);

  it('checks the form before pulling: PromQL, time range and step', async () => {
    const { page } = recorded;
    await page.goto(`${server.url}/lab?token=${server.token}`);
    await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached', timeout: 60_000 });
    await command(page, 'opsbook:open-catalog');
    await page.click('.jp-opsbook-CatalogPanel .jp-opsbook-PullButton');
    await page.waitForSelector('.jp-Dialog .jp-opsbook-PullForm');
    await page.waitForFunction(() => !!document.querySelector('.jp-Dialog [data-valid]'));
    expect(
      await page.$eval('.jp-Dialog select[name="source"]', s => (s as HTMLSelectElement).value)
    ).toBe('local');
    // Empty PromQL.
    expect(await acceptDisabled(page)).toBe(true);
    expect(Object.keys(await problems(page))).toEqual(['query']);
    await page.fill('.jp-Dialog textarea[name="query"]', 'prometheus_http_requests_total');
    // A step that is not a duration, then one giving too many points for 24 hours.
    await page.fill('.jp-Dialog input[name="step"]', 'often');
    expect((await problems(page)).step).toContain('not a step');
    await page.selectOption('.jp-Dialog select[name="range"]', '24h');
    await page.fill('.jp-Dialog input[name="step"]', '1s');
    expect((await problems(page)).step).toContain('86,400 points');
    expect(await acceptDisabled(page)).toBe(true);
    // Custom range with the end before the start.
    await page.selectOption('.jp-Dialog select[name="range"]', 'custom');
    await page.fill('.jp-Dialog input[name="start"]', '2025-01-02T10:00');
    await page.fill('.jp-Dialog input[name="end"]', '2025-01-02T09:00');
    expect((await problems(page)).end).toContain('after the start');
    // A bad dataset name.
    await page.fill('.jp-Dialog input[name="dataset"]', 'Prod Metrics');
    expect((await problems(page)).dataset).toContain('not a valid dataset name');
    await screenshot(page, 'catalog-11-pull-validation');
    // Enter does not submit an invalid form.
    await page.focus('.jp-Dialog input[name="dataset"]');
    await page.keyboard.press('Enter');
    expect(await page.locator('.jp-Dialog').count()).toBe(1);
    await page.click('.jp-Dialog .jp-mod-reject');
  });

  it('pulls a range query into a dataset and shows the report and the new table', async () => {
    const { page } = recorded;
    await page.click('.jp-opsbook-CatalogPanel .jp-opsbook-PullButton');
    await page.waitForSelector('.jp-Dialog .jp-opsbook-PullForm');
    await page.fill('.jp-Dialog textarea[name="query"]', 'prometheus_http_requests_total');
    await page.selectOption('.jp-Dialog select[name="range"]', '15m');
    await page.fill('.jp-Dialog input[name="step"]', '1s');
    await page.fill('.jp-Dialog input[name="dataset"]', 'prom');
    await page.waitForFunction(
      () => !(document.querySelector('.jp-Dialog .jp-mod-accept') as HTMLButtonElement).disabled
    );
    await screenshot(page, 'catalog-12-pull-dialog');
    await page.click('.jp-Dialog .jp-mod-accept');
    const job = await lastJob(page);
    expect(job.error).toBe('');
    expect(job.state).toBe('done');
    expect(Number(job.figures.rowsStored.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(job.snapshots).toMatch(/metrics [0-9a-f]{12}/);
    const row = page.locator('.jp-opsbook-TableRow[data-sql-name="prom_metrics"]');
    await row.waitFor();
    expect(await page.locator('.jp-opsbook-Details [data-fact="source"]').textContent()).toContain(
      prometheus.url
    );
    await screenshot(page, 'catalog-13-pulled');
  });
});

describe('the catalog for a viewer', () => {
  const VIEWER: TestUser & { role: string } = {
    username: 'vic',
    display_name: 'Vic Viewer',
    color: '#2ca02c',
    token: 'ui-test-token-viewer-1357924680',
    role: 'viewer'
  };
  let server: ServerHandle;
  let browser: Browser;
  let recorded: RecordedPage;

  beforeAll(async () => {
    server = await startServer({ usersFile: writeUsersFile([ANA, VIEWER]) });
    browser = await launchBrowser();
    recorded = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("refuses a viewer's upload and says why", async () => {
    const { page } = recorded;
    await page.goto(`${server.url}/lab?token=${VIEWER.token}`);
    await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached', timeout: 60_000 });
    await command(page, 'opsbook:open-catalog');
    await page.locator('.jp-opsbook-CatalogEmpty').waitFor();
    // The panel knows the role (/api/me permissions): no Upload or Pull buttons, a note instead.
    await page.locator('.jp-opsbook-ReadOnlyNote').waitFor({ state: 'visible' });
    expect(await page.locator('.jp-opsbook-UploadButton').isVisible()).toBe(false);
    expect(await page.locator('.jp-opsbook-PullButton').isVisible()).toBe(false);
    await page.getByText('An editor of this workspace can add some').waitFor();
    // A drop still reaches the server, which refuses it and says why.
    await dropFiles(page, '.jp-opsbook-CatalogPanel', { 'trace.json': otlpTraces(3) });
    await dialogFields(page);
    await page.click('.jp-Dialog .jp-mod-accept');
    const job = await lastJob(page);
    expect(job.state).toBe('error');
    expect(job.error).toContain("User 'vic' is a viewer and cannot ingest telemetry");
    await screenshot(page, 'catalog-14-viewer');
  });
});

describe('Pull alerts from Alertmanager in the app (a real Alertmanager)', () => {
  let alertmanager: AlertmanagerHandle;
  let server: ServerHandle;
  let browser: Browser;
  let recorded: RecordedPage;

  beforeAll(async () => {
    alertmanager = await startAlertmanager();
    await alertmanager.post([
      {
        labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout' },
        annotations: { summary: 'checkout 5xx above 5 %' }
      },
      { labels: { alertname: 'SlowDisk', severity: 'warning', service: 'db' } }
    ]);
    server = await startServerWithArgs(['--alertmanager', `am=${alertmanager.url}`]);
    browser = await launchBrowser();
    recorded = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await alertmanager?.stop();
  });

  it('pulls the current alerts matching a filter into the events table', async () => {
    const { page } = recorded;
    await page.goto(`${server.url}/lab?token=${server.token}`);
    await page.waitForSelector('body[data-opsbook-ready]', { state: 'attached', timeout: 60_000 });
    await command(page, 'opsbook:open-catalog');
    // The button shows once the panel knows an Alertmanager is configured.
    const button = page.locator('.jp-opsbook-PullAlertsButton');
    await button.waitFor({ state: 'visible' });
    await button.click();
    await page.waitForSelector('.jp-Dialog .jp-opsbook-PullForm');
    await page.fill('.jp-Dialog input[name="filter"]', 'severity=critical');
    await page.waitForFunction(() =>
      (
        document.querySelector('.jp-Dialog [data-problem-for="filter"]')?.textContent ?? ''
      ).includes('not a label matcher')
    );
    await page.fill('.jp-Dialog input[name="filter"]', 'severity="critical"');
    await page.fill('.jp-Dialog input[name="dataset"]', 'alerts');
    await page.waitForFunction(
      () => !(document.querySelector('.jp-Dialog .jp-mod-accept') as HTMLButtonElement).disabled
    );
    await screenshot(page, 'catalog-15-alerts-dialog');
    await page.click('.jp-Dialog .jp-mod-accept');
    const job = await lastJob(page);
    expect(job.error).toBe('');
    expect(job.state).toBe('done');
    expect(job.figures.rowsStored).toBe('1');
    await page.locator('.jp-opsbook-TableRow[data-sql-name="alerts_events"]').waitFor();
    await screenshot(page, 'catalog-16-alerts-pulled');
  });
});
