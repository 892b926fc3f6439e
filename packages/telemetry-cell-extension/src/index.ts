import plugins from './plugins';

export { CommandIDs } from './commands';
export { TELEMETRY_CELL_CLASS } from './cell-marker';
export { CHART_CHANGE_EVENT } from './chart-renderer';
export default plugins;
