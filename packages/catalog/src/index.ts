export * from './errors';
export * from './model';
export * from './canonical';
export * from './quality';
export * from './snapshot-writer';
export * from './store';
export * from './ingest';
export * from './catalog';
