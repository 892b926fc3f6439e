/**
 * The collaboration wire protocol: y-websocket framing, as the stock `@jupyter/docprovider` 5.x
 * speaks it. Every websocket message is binary and starts with a varUint message type:
 *
 *   0 SYNC            varUint step, then varUint8Array payload
 *                     step 0 (step 1): the sender's state vector; answered with step 2
 *                     step 1 (step 2): the update the other side is missing
 *                     step 2 (update): an incremental document update
 *   1 AWARENESS       varUint8Array awareness update (see `awareness.ts`)
 *   2 RAW             varString text:
 *                     client -> server: "save", then varUint save id (Ctrl+S)
 *                     server -> client: JSON, `{"type":"save","responseTo":id,"status":...}`
 *                                        or `{"type":"error",...}`
 *   3 QUERY_AWARENESS (no payload): answered with the awareness of every client
 *
 * A conflict with the file on disk is not a RAW message (the stock client would answer it with
 * its "Edit Conflict" dialog, whose text describes another case): the server publishes it in the
 * shared document's `state` map under `CONFLICT_STATE_KEY`, which every client, including one
 * joining later, receives with the document.
 *
 * Close codes: 1003 with a JSON reason `{"reason","sessionId","reloadable"}` when the client's
 * server session is unknown; 4400/4404/4500 before the first sync make the document fail to
 * open; the 42xx/44xx codes below are ours for hostile or over-limit connections. Every message
 * type and close code is named here once.
 */
import { yjs } from './yjs';

export { CONFLICT_STATE_KEY, type ConflictState } from '@opsbook/collab-model';

/** First varUint of every message. */
export const MessageType = {
  sync: 0,
  awareness: 1,
  raw: 2,
  queryAwareness: 3
} as const;

/** Second varUint of a SYNC message. */
export const SyncStep = {
  step1: 0,
  step2: 1,
  update: 2
} as const;

/** Websocket close codes, with what the stock client does on each. */
export const CloseCode = {
  /** Room unloaded or server shutting down; the client reconnects. */
  goingAway: 1001,
  /** Unknown server session (restart): the client shows "Session expired" and offers a reload. */
  session: 1003,
  /** A frame over `collabMaxMessageBytes` (ws closes with this itself). */
  messageTooBig: 1009,
  /** Bad request before the first sync: the document fails to open with this message. */
  badRequest: 4400,
  /** The file is gone: the document fails to open. */
  notFound: 4404,
  /** The room could not load: the document fails to open. */
  serverError: 4500,
  /** Ours: a malformed frame (text frame, truncated varint, unknown type, invalid update). */
  malformed: 4422,
  /** Ours: more messages than `collabMessagesPerSecond` or the pre-load queue allows. */
  flood: 4429,
  /** Ours: an awareness state over `collabMaxAwarenessBytes` or for another client's id. */
  policy: 4408
} as const;

/** `reason` values of a 1003 close (the stock client picks its dialog by these). */
export const SessionCloseReason = {
  unknownSession: 'unknown_session',
  versionMismatch: 'version_mismatch',
  initializationError: 'initialization_error'
} as const;

/** The one RAW request clients send. */
export const RAW_SAVE_REQUEST = 'save';

/** Status of a save reply (the stock client rejects its save promise unless 'success'). */
export type SaveStatus = 'success' | 'failed' | 'skipped';

/** RAW messages the server sends. */
export type ServerRawMessage =
  | { type: 'save'; responseTo: number; status: SaveStatus }
  | { type: 'error'; reason: 'read_only'; message: string };

/** A decoded client message. */
export type ClientMessage =
  | { kind: 'syncStep1'; stateVector: Uint8Array }
  /** `incremental`: a sync "update" message (one local change), not a sync step 2 answer. */
  | { kind: 'update'; update: Uint8Array; incremental: boolean }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'queryAwareness' }
  | { kind: 'save'; id: number }
  | { kind: 'rawOther'; text: string };

/** A frame that breaks the protocol; the connection is closed with `CloseCode.malformed`. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Decodes one client frame. `data` must be a private copy (lib0 reads views of the underlying
 * buffer, and ws may hand out slices of a shared one). Throws `ProtocolError`.
 */
export function decodeClientMessage(data: Uint8Array): ClientMessage {
  const { decoding } = yjs();
  const decoder = decoding.createDecoder(data);
  try {
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.sync: {
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (step === SyncStep.step1) {
          return { kind: 'syncStep1', stateVector: payload };
        }
        if (step === SyncStep.step2 || step === SyncStep.update) {
          return { kind: 'update', update: payload, incremental: step === SyncStep.update };
        }
        throw new ProtocolError(`unknown sync step ${step}`);
      }
      case MessageType.awareness:
        return { kind: 'awareness', update: decoding.readVarUint8Array(decoder) };
      case MessageType.queryAwareness:
        return { kind: 'queryAwareness' };
      case MessageType.raw: {
        const text = decoding.readVarString(decoder);
        if (text === RAW_SAVE_REQUEST) {
          return { kind: 'save', id: decoding.readVarUint(decoder) };
        }
        return { kind: 'rawOther', text };
      }
      default:
        throw new ProtocolError(`unknown message type ${type}`);
    }
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw err;
    }
    // lib0 throws plain Errors/RangeErrors on truncated varints and lengths past the end.
    throw new ProtocolError(`truncated or invalid frame (${(err as Error).message})`);
  }
}

/** SYNC step 1 carrying our state vector. */
export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.step1, stateVector);
}

/** SYNC step 2 carrying what the other side misses. */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.step2, update);
}

/** SYNC update (a change to broadcast). */
export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.update, update);
}

/** AWARENESS message. */
export function encodeAwarenessMessage(update: Uint8Array): Uint8Array {
  const { encoding } = yjs();
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.awareness);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** RAW message with a JSON payload. */
export function encodeRaw(message: ServerRawMessage): Uint8Array {
  const { encoding } = yjs();
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.raw);
  encoding.writeVarString(encoder, JSON.stringify(message));
  return encoding.toUint8Array(encoder);
}

/** The JSON reason of a 1003 close. */
export function sessionCloseReason(
  reason: (typeof SessionCloseReason)[keyof typeof SessionCloseReason],
  sessionId: string,
  reloadable: boolean
): string {
  return JSON.stringify({ reason, sessionId, reloadable });
}

function encodeSync(step: number, payload: Uint8Array): Uint8Array {
  const { encoding } = yjs();
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}
