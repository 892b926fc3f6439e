// Node-only modules (node:crypto, node:fs, better-sqlite3); import as
// `@opsbook/provenance/lib/node` so browser bundles never see them.
export * from './index';
export * from './keys';
export * from './chain';
export * from './hash-chain';
export * from './run-log';
export * from './audit-log';
export * from './cell-history-log';
export * from './store';
