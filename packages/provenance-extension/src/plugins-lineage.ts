/**
 * The JupyterLab plugin of the Lineage and Audit Trail views (main area). It only wires them in:
 * - `opsbook:show-lineage` ("Show Lineage of the Notebook"): the current notebook's lineage, one
 *   view per notebook, with Refresh and Export PROV-JSON in its toolbar;
 * - `opsbook:show-audit-trail` ("Show Audit Trail"): the audit log, filtered on the current
 *   notebook to begin with, with the state of both hash chains;
 * both in the command palette and the View menu.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import {
  downloadIcon,
  listIcon,
  refreshIcon,
  ToolbarButton,
  treeViewIcon
} from '@jupyterlab/ui-components';
import { RunLogClient } from './api';
import { AuditView } from './audit-view';
import { LineageView } from './lineage-view';

/** The commands of the Lineage and Audit Trail views. */
export const LineageCommandIDs = {
  showLineage: 'opsbook:show-lineage',
  showAuditTrail: 'opsbook:show-audit-trail'
} as const;

const CATEGORY = 'Provenance';

const views: JupyterFrontEndPlugin<void> = {
  id: '@opsbook/provenance-extension:lineage',
  description:
    'Main-area views of a notebook: its lineage (snapshots, runs, cells, results; PROV-JSON export) and the audit trail.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IMainMenu],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null
  ) => {
    const client = new RunLogClient(app.serviceManager.serverSettings);
    const lineages = new Map<string, MainAreaWidget<LineageView>>();
    let audit: MainAreaWidget<AuditView> | null = null;
    const currentPath = () => tracker.currentWidget?.context.path ?? null;

    app.commands.addCommand(LineageCommandIDs.showLineage, {
      label: 'Show Lineage of the Notebook',
      caption: 'Snapshots → runs → cells → results of the current notebook, with PROV-JSON export',
      icon: treeViewIcon,
      isEnabled: () => currentPath() !== null,
      execute: async () => {
        const path = currentPath();
        if (!path) return;
        let widget = lineages.get(path);
        if (!widget || widget.isDisposed) {
          const content = new LineageView({ client, notebook: path });
          widget = new MainAreaWidget({ content });
          widget.id = `jp-opsbook-lineage-${Private.nextId()}`;
          widget.title.label = `Lineage: ${path.split('/').pop()}`;
          widget.title.caption = `Lineage of ${path}`;
          widget.title.icon = treeViewIcon;
          widget.title.closable = true;
          widget.addClass('jp-opsbook-LineageWidget');
          widget.toolbar.addItem(
            'refresh',
            new ToolbarButton({
              icon: refreshIcon,
              label: 'Refresh',
              tooltip: 'Reload the lineage from the run log',
              onClick: () => void content.refresh()
            })
          );
          widget.toolbar.addItem(
            'export-prov',
            new ToolbarButton({
              icon: downloadIcon,
              label: 'Export PROV-JSON',
              tooltip: 'Download this lineage as W3C PROV-JSON (recorded in the audit trail)',
              className: 'jp-opsbook-Lineage-export',
              onClick: () => void content.exportProv()
            })
          );
          const key = path;
          widget.disposed.connect(() => lineages.delete(key));
          lineages.set(path, widget);
          app.shell.add(widget, 'main');
        }
        app.shell.activateById(widget.id);
        await widget.content.refresh();
      }
    });

    app.commands.addCommand(LineageCommandIDs.showAuditTrail, {
      label: 'Show Audit Trail',
      caption:
        'Who opened, ran, replayed, ingested and exported what, and whether the log verifies',
      icon: listIcon,
      execute: async () => {
        if (!audit || audit.isDisposed) {
          const content = new AuditView({ client, notebook: currentPath() });
          audit = new MainAreaWidget({ content });
          audit.id = 'jp-opsbook-audit-trail';
          audit.title.label = 'Audit Trail';
          audit.title.icon = listIcon;
          audit.title.closable = true;
          audit.addClass('jp-opsbook-AuditWidget');
          audit.toolbar.addItem(
            'refresh',
            new ToolbarButton({
              icon: refreshIcon,
              label: 'Refresh',
              tooltip: 'Verify the chains again and reload the entries',
              className: 'jp-opsbook-Audit-refresh',
              onClick: () => void content.refresh()
            })
          );
          app.shell.add(audit, 'main');
        }
        app.shell.activateById(audit.id);
        await audit.content.refresh();
      }
    });

    for (const command of Object.values(LineageCommandIDs)) {
      palette?.addItem({ command, category: CATEGORY });
    }
    mainMenu?.viewMenu.addGroup(
      Object.values(LineageCommandIDs).map(command => ({ command })),
      40
    );
    tracker.currentChanged.connect(() =>
      app.commands.notifyCommandChanged(LineageCommandIDs.showLineage)
    );
  }
};

namespace Private {
  let id = 0;
  /** A page-unique number for widget ids. */
  export function nextId(): number {
    return ++id;
  }
}

export default [views];
