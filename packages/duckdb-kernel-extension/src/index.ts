import plugins from './plugins';

export { KERNEL_NAME } from './plugins';
export * from './tokens';
export default plugins;
