/**
 * MIME types of telemetry-cell outputs. Every output also carries a standard type (Vega-Lite,
 * HTML, plain text) so a stock Jupyter shows the chart and the table without Opsbook.
 */

/** Opsbook's interactive table: columns and the stored (capped) rows. */
export const TABLE_MIME = 'application/vnd.opsbook.table.v1+json';

/** Opsbook's chart marker: the chart choice, rendered with controls around the Vega-Lite spec. */
export const CHART_MIME = 'application/vnd.opsbook.chart.v1+json';

/** The Vega-Lite MIME type stock JupyterLab renders (`@jupyterlab/vega5-extension`). */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** The Vega-Lite schema URL matching `VEGALITE_MIME`. Only an identifier: never fetched. */
export const VEGALITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
