export * from './schema';
export * from './doc';
export * from './mentions';
export * from './ids';
export * from './comments';
export * from './hypotheses';
export * from './codec';
export * from './room-state';
