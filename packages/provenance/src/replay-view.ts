/** A replay of a run as the server recorded it (the replays API answers these; the app shows them). */
export interface ReplayView {
  runId: string;
  /** Seq of the `replay` entry in the audit log. */
  auditSeq: number;
  user: string;
  time: string;
  /** The replay's result hash equals the recorded one (decided by the server). */
  reproduced: boolean;
  hash: string;
  recordedHash: string;
  rows: number;
  recordedRows: number;
  durationMs: number;
  diverged: Record<string, unknown> | null;
  rationale: string | null;
}
