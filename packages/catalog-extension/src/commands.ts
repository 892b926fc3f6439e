/** The command ids of the catalog plugins, in one place. */
export namespace CommandIDs {
  /** Opens the Catalog side panel. */
  export const openCatalog = 'opsbook:open-catalog';
  /** Reloads the catalog listing. */
  export const refreshCatalog = 'opsbook:refresh-catalog';
  /** Opens the file chooser to upload telemetry files (or uploads `{files}` when given). */
  export const uploadTelemetry = 'opsbook:upload-telemetry';
  /** Opens the Pull from Prometheus dialog. */
  export const pullPrometheus = 'opsbook:pull-prometheus';
  /** Opens the Pull alerts from Alertmanager dialog. */
  export const pullAlerts = 'opsbook:pull-alerts';
  /** Inserts a table's SQL name into the active cell: `{name}` or the table under the mouse. */
  export const insertTable = 'opsbook:insert-table';
}
