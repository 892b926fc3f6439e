import plugins from './plugins';

export { CommandIDs } from './commands';
export { TABLE_MIME, starterQuery, type DraggedTable } from './cell-insert';
export default plugins;
