import plugins from './plugins';

export { CommandIDs } from './commands';
export { CELL_MARKS_CLASS } from './cell-decorations';
export type { Identity, OpsbookAwareness } from './session';
export default plugins;
