/** The command ids of the collaboration plugins, in one place. */
export namespace CommandIDs {
  /** Opens the Comments panel; `{cellId}` focuses the new-comment box on that cell. */
  export const openComments = 'opsbook:open-comments';
  /** Opens a thread on the active cell: `{text}` (default: asks in the Comments panel). */
  export const addComment = 'opsbook:add-comment';
  /** Opens the Hypotheses panel. */
  export const openHypotheses = 'opsbook:open-hypotheses';
  /** Proposes a hypothesis: `{title}`. */
  export const addHypothesis = 'opsbook:add-hypothesis';
  /** Links the active cell as evidence of the hypothesis `{id}`. */
  export const linkEvidence = 'opsbook:link-evidence';
}
