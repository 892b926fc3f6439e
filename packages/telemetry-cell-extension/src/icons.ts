/** Icons of telemetry cells, inline SVG so nothing is fetched. */
import { LabIcon } from '@jupyterlab/ui-components';

/** "Insert telemetry cell": a small line chart with a plus. */
export const telemetryCellIcon = new LabIcon({
  name: 'opsbook:telemetry-cell',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M3 3h2v16h16v2H3z"/>' +
    '<path d="M7 15.6l4-5 3 2.5 3.6-4.8 1.6 1.2-4.8 6.4-3-2.5-2.8 3.4z"/>' +
    '<path d="M18 2h2v3h3v2h-3v3h-2V7h-3V5h3z"/>' +
    '</g></svg>'
});
