/**
 * Opsbook's additions to the shared notebook (comments and hypotheses, `@opsbook/collab-model`)
 * saved in the file under `metadata.opsbook.collaboration` and loaded back into the room.
 * collab-model works on the CommonJS copy of yjs, hence this file's own `yjs` import; the hook
 * trades encoded updates with the room, which lives on the ES-module copy (see yjs.ts).
 */
import { exportCollabState, importCollabState, type CollabStateV1 } from '@opsbook/collab-model';
import * as Y from 'yjs';
import { collabStateHook, type NotebookStateHook } from './codec';

/**
 * The notebook hook that keeps comments and hypotheses with the notebook file. A notebook with
 * neither gets no `opsbook.collaboration` metadata, so files stay as stock Jupyter wrote them.
 */
export function opsbookStateHook(): NotebookStateHook {
  const hook = collabStateHook(
    Y as never,
    importCollabState as (doc: never, value: never) => void,
    exportCollabState as (doc: never) => unknown
  );
  return {
    ...hook,
    save(update) {
      const state = hook.save(update) as CollabStateV1 | undefined;
      return state && (state.comments.length > 0 || state.hypotheses.length > 0)
        ? state
        : undefined;
    }
  };
}
