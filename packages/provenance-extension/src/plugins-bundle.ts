/**
 * Investigation bundles in the app: "Export Investigation Bundle" (the current notebook, saved
 * first, downloaded as `<name>.opsbundle`) and "Import Investigation Bundle…" (a file chooser;
 * the server verifies every hash and signature and imports; the verification report is shown and
 * the imported notebook opened). Both in the File menu and the command palette.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';
import { BundleClient, type BundleReportView } from './bundle';

/** Command ids of the plugin. */
export const BundleCommandIDs = {
  exportBundle: 'opsbook:export-bundle',
  importBundle: 'opsbook:import-bundle'
} as const;

/** The verification report as a small block of text for a dialog. */
export function reportWidget(report: BundleReportView | null, headline: string): Widget {
  const node = document.createElement('div');
  node.className = 'jp-OpsbookBundleReport';
  node.style.maxWidth = '560px';
  node.style.lineHeight = '1.5';
  const line = (text: string, color?: string) => {
    const p = document.createElement('p');
    p.textContent = text;
    p.style.margin = '0 0 6px 0';
    if (color) p.style.color = color;
    node.appendChild(p);
    return p;
  };
  line(
    headline,
    report?.ok ? 'var(--jp-success-color1)' : report ? 'var(--jp-error-color1)' : undefined
  );
  if (report) {
    const c = report.counts;
    if (report.notebook) {
      line(
        `${report.notebook}, exported by ${report.createdBy ?? '?'} at ${report.createdAt ?? '?'}: ` +
          `${c.runs} run(s), ${c.replays} replay(s), ${c.auditEntries} audit entries, ` +
          `${c.snapshots} snapshot(s), ${formatBytes(c.bytes)}.`
      );
    }
    if (report.key) {
      line(
        report.key.trust === 'trusted'
          ? `Signed by the trusted key ${report.key.keyId.slice(0, 16)}….`
          : `Signed by key ${report.key.keyId.slice(0, 16)}…, as the bundle declares it ` +
              "(self-declared: compare it with the exporting instance's key, GET /api/opsbook/provenance/key).",
        report.key.trust === 'trusted' ? undefined : 'var(--jp-warn-color1)'
      );
    }
    if (report.problems.length) {
      const list = document.createElement('ul');
      list.style.margin = '0';
      list.style.paddingLeft = '18px';
      for (const p of report.problems.slice(0, 8)) {
        const item = document.createElement('li');
        item.textContent = `${p.code}: ${p.message}`;
        list.appendChild(item);
      }
      node.appendChild(list);
    }
  }
  return new Widget({ node });
}

/** A size for people: 512 B, 4.2 MiB. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Asks for a file with the browser's chooser; null when cancelled. */
function chooseFile(): Promise<File | null> {
  return new Promise(resolve => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = '.opsbundle,application/x-tar';
    input.onchange = () => resolve(input.files?.[0] ?? null);
    input.oncancel = () => resolve(null);
    input.click();
  });
}

const bundlePlugin: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/provenance-extension:bundles',
  description:
    'Export the current notebook as an investigation bundle, and import and verify bundles.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IMainMenu],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null
  ) => {
    const client = new BundleClient();
    app.commands.addCommand(BundleCommandIDs.exportBundle, {
      label: 'Export Investigation Bundle',
      caption:
        'Download one file with this notebook, the snapshots its runs read, its signed run log ' +
        'and audit trail, verifiable and replayable on another Opsbook',
      isEnabled: () => !!tracker.currentWidget,
      execute: async () => {
        const panel = tracker.currentWidget;
        if (!panel) {
          return;
        }
        try {
          if (panel.context.model.dirty) {
            await panel.context.save();
          }
          const { name, blob } = await client.download(panel.context.path);
          const url = URL.createObjectURL(blob);
          const a = document.createElement('a');
          a.href = url;
          a.download = name;
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
        } catch (error) {
          await showErrorMessage(
            'Cannot export the investigation bundle',
            (error as Error).message
          );
        }
      }
    });
    app.commands.addCommand(BundleCommandIDs.importBundle, {
      label: 'Import Investigation Bundle…',
      caption: 'Verify an .opsbundle file (every hash and signature) and import it',
      execute: async () => {
        const file = await chooseFile();
        if (!file) {
          return;
        }
        const answer = await client.import(file);
        if (!answer.ok) {
          await showDialog({
            title: 'Bundle rejected: nothing was imported',
            body: reportWidget(answer.report, answer.message),
            buttons: [Dialog.okButton()]
          });
          return;
        }
        const result = await showDialog({
          title: 'Investigation bundle imported',
          body: reportWidget(
            answer.report,
            `Verified and imported as ${answer.notebook}: ${answer.runs} run(s), ` +
              `${answer.snapshots.imported.length} snapshot(s) added, ${answer.snapshots.skipped.length} already here.`
          ),
          buttons: [
            Dialog.cancelButton({ label: 'Close' }),
            Dialog.okButton({ label: 'Open Notebook' })
          ]
        });
        if (app.commands.hasCommand('filebrowser:refresh')) {
          void app.commands.execute('filebrowser:refresh');
        }
        if (result.button.accept) {
          await app.commands.execute('docmanager:open', { path: answer.notebook });
        }
      }
    });
    for (const command of Object.values(BundleCommandIDs)) {
      palette?.addItem({ command, category: 'Opsbook' });
    }
    mainMenu?.fileMenu.addGroup(
      [{ command: BundleCommandIDs.exportBundle }, { command: BundleCommandIDs.importBundle }],
      45
    );
  }
};

export default [bundlePlugin];
