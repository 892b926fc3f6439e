import plugins from './plugins';
import replayPlugins from './plugins-replay';
import historyPlugins from './plugins-history';
import lineagePlugins from './plugins-lineage';
import bundlePlugins from './plugins-bundle';

export * from './api';
export * from './recorder';
export * from './replay';
export * from './replay-notebook';
export * from './report-view';
export * from './result-diff';
export * from './panel';
export * from './history-api';
export * from './history-panel';
export { layoutLineage, type LineageLayout } from './lineage-layout';
export { LineageView, type ILineageViewOptions } from './lineage-view';
export { AuditView, type IAuditViewOptions } from './audit-view';
export { ReplayCommandIDs } from './plugins-replay';
export { LineageCommandIDs } from './plugins-lineage';
export { BundleClient, type BundleImportAnswer, type BundleReportView } from './bundle';
export { BundleCommandIDs } from './plugins-bundle';
export default [
  ...plugins,
  ...replayPlugins,
  ...historyPlugins,
  ...lineagePlugins,
  ...bundlePlugins
];
