// Browser-safe modules only; the SQLite logs and keys are in `@opsbook/provenance/lib/node`.
export * from './sha256';
export * from './fast-sha256';
export * from './canonical-json';
export {
  canonicalSchema,
  canonicalType,
  type CanonicalField,
  type IncrementalHash
} from './canonical-arrow';
export * from './result-hash';
export * from './run-record';
export * from './run-summary';
export * from './replay-view';
export * from './sql-tokens';
export * from './nondeterminism';
export * from './lineage';
export * from './cell-history';
export * from './bundle-report';
