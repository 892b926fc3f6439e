export * from './errors';
export * from './limits';
export * from './source';
export * from './prometheus';
export * from './alertmanager';
