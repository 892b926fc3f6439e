export * from './engine';
export * from './errors';
export * from './sql';
export * from './planner';
export * from './port';
export * from './duckdb-engine';
export * from './http-source';
