import plugins from './plugins';

export { KERNEL_NAME } from './plugins';
export default plugins;
