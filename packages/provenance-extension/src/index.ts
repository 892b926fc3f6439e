import plugins from './plugins';

export * from './api';
export * from './recorder';
export * from './replay';
export * from './result-diff';
export * from './panel';
export default plugins;
