/**
 * The Opsbook collaboration state, version 1: what the notebook's shared document holds beyond
 * `@jupyter/ydoc`'s schema, and what a saved notebook stores under
 * `metadata.opsbook.collaboration`. These types are the one source of truth: the JSON Schema in
 * `schema/collaboration.schema.json` is generated from `CollabStateV1` (`npm run schema`).
 *
 * Times are ISO 8601 strings; authors are usernames (the server's identity, not display names).
 */

/** The version written by this code; readers refuse other versions instead of guessing. */
export const COLLAB_STATE_VERSION = 1;

/** Where a saved notebook keeps the collaboration state: `metadata[opsbook][collaboration]`. */
export const COLLAB_METADATA_KEYS = ['opsbook', 'collaboration'] as const;

/** The verdicts a hypothesis can have while an incident is investigated. */
export type HypothesisStatus = 'proposed' | 'supported' | 'refuted';

/** Every status, in the order the UI offers them. */
export const HYPOTHESIS_STATUSES: readonly HypothesisStatus[] = [
  'proposed',
  'supported',
  'refuted'
];

/** One message of a comment thread. */
export interface CommentMessage {
  /** Unique id of the message. */
  id: string;
  /** Username of the writer. */
  author: string;
  /** When it was written (ISO 8601). */
  time: string;
  /** The text as typed. */
  text: string;
  /** Usernames mentioned with `@username` in the text, in order of first mention, no duplicates. */
  mentions: string[];
}

/** A thread of comments on one cell. */
export interface CommentThread {
  /** Unique id of the thread. */
  id: string;
  /** The id of the cell the thread is about (nbformat cell id). */
  cellId: string;
  /** Username of who opened the thread. */
  author: string;
  /** When the thread was opened (ISO 8601). */
  created: string;
  /** Whether the thread is resolved. */
  resolved: boolean;
  /** Username of who resolved it; null while open. */
  resolvedBy: string | null;
  /** When it was resolved (ISO 8601); null while open. */
  resolvedAt: string | null;
  /** The messages, oldest first; the first is the opening comment. */
  messages: CommentMessage[];
}

/** A hypothesis about an incident, with the cells that are its evidence. */
export interface Hypothesis {
  /** Unique id of the hypothesis. */
  id: string;
  /** Short statement of the hypothesis. */
  title: string;
  /** Where the investigation stands on it. */
  status: HypothesisStatus;
  /** Ids of the cells whose results support or refute it, in the order they were linked. */
  evidence: string[];
  /** Free text conclusion. */
  verdict: string;
  /** Username of who proposed it. */
  author: string;
  /** When it was proposed (ISO 8601). */
  created: string;
  /** When it last changed (ISO 8601). */
  updated: string;
}

/** The collaboration state of one notebook, version 1, as stored in the saved notebook. */
export interface CollabStateV1 {
  /** Always 1 for this format. */
  version: 1;
  /** Comment threads, ordered by creation time then id. */
  comments: CommentThread[];
  /** Hypotheses, ordered by creation time then id. */
  hypotheses: Hypothesis[];
}
