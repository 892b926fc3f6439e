/**
 * Keys the Opsbook server writes into the `state` map of a shared document, beside
 * `@jupyter/ydoc`'s own (`path`, `hash`, `dirty`, `document_id`). Only the server writes them
 * (clients read); they describe the live room, are never saved in the file, and a key that is
 * absent means "nothing to report".
 *
 *   opsbook_conflict  ConflictState while the file changed on disk under unsaved edits; deleted
 *                     when the conflict is resolved (a save over the file, or taking the file)
 */

/** `state` key of an open conflict with the file on disk (see `ConflictState`). */
export const CONFLICT_STATE_KEY = 'opsbook_conflict';

/** What `state[CONFLICT_STATE_KEY]` holds while a conflict is open. */
export interface ConflictState {
  /** The file's collaboration id, for `/api/collaboration/conflict/<fileId>`. */
  fileId: string;
  /** When the server noticed the change on disk (ISO 8601). */
  detectedAt: string;
  /** sha256 of the disk version the room did not load. */
  diskHash: string;
}

/** Whether a `state` value is a `ConflictState` (clients validate what they read). */
export function isConflictState(value: unknown): value is ConflictState {
  const v = value as Partial<ConflictState> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.fileId === 'string' &&
    typeof v.detectedAt === 'string' &&
    typeof v.diskHash === 'string'
  );
}
