/** Icons of the side panels. */
import { LabIcon } from '@jupyterlab/ui-components';

/** A speech bubble: the Comments panel. */
export const commentsIcon = new LabIcon({
  name: 'opsbook:comments',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm2 5v2h12V8zm0 4v2h8v-2z"/></svg>'
});

/** A flask: the Hypotheses panel. */
export const hypothesesIcon = new LabIcon({
  name: 'opsbook:hypotheses',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" d="M9 2h6v2h-1v5.2l5.6 9.3A2 2 0 0 1 17.9 21H6.1a2 2 0 0 1-1.7-2.5L10 9.2V4H9zm3 8.3L8.6 16h6.8z"/></svg>'
});
