/** Icons of the catalog. */
import { LabIcon } from '@jupyterlab/ui-components';

/** A database cylinder: the Catalog panel. */
export const catalogIcon = new LabIcon({
  name: 'opsbook:catalog',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" d="M12 2c4.4 0 8 1.3 8 3v14c0 1.7-3.6 3-8 3s-8-1.3-8-3V5c0-1.7 3.6-3 8-3zm6 12.6c-1.5.8-3.6 1.2-6 1.2s-4.5-.4-6-1.2V17c.3.5 2.5 1.5 6 1.5s5.7-1 6-1.5zm0-6c-1.5.8-3.6 1.2-6 1.2S7.5 9.4 6 8.6V11c.3.5 2.5 1.5 6 1.5s5.7-1 6-1.5zM12 4C8.5 4 6.3 4.9 6 5.3c.3.5 2.5 1.4 6 1.4s5.7-.9 6-1.4C17.7 4.9 15.5 4 12 4z"/></svg>'
});
