/**
 * Awareness (who is here, cursors, selections) with server-stamped identities.
 *
 * An awareness update is `varUint count`, then per client `varUint clientID, varUint clock,
 * varString JSON state` (`null` when the client left). Yjs peers keep, per clientID, the state
 * with the highest clock. The server keeps the same table per room and rewrites each incoming
 * state's `user` field with the authenticated user's identity before storing and relaying it,
 * so nobody can appear under another name or colour; other fields (cursors, the frontend's
 * `opsbook` presence fields) pass through. A clientID belongs to the connection that first
 * announced it; another user's connection may not update it.
 */
import type { Identity } from '../users';
import { ProtocolError } from './protocol';
import { yjs } from './yjs';

/** One client's awareness entry. */
export interface AwarenessEntry {
  clientID: number;
  clock: number;
  state: Record<string, unknown> | null;
}

/** Why an awareness update was refused (the connection is closed with `CloseCode.policy`). */
export class AwarenessPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwarenessPolicyError';
  }
}

/** Decodes an awareness update; throws `ProtocolError` (malformed) or `AwarenessPolicyError`. */
export function decodeAwarenessUpdate(update: Uint8Array, maxStateBytes: number): AwarenessEntry[] {
  const { decoding } = yjs();
  const decoder = decoding.createDecoder(update);
  const entries: AwarenessEntry[] = [];
  try {
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      const clientID = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const text = decoding.readVarString(decoder);
      if (text.length > maxStateBytes) {
        throw new AwarenessPolicyError(
          `awareness state of ${text.length} bytes is over collabMaxAwarenessBytes (${maxStateBytes})`
        );
      }
      const state = JSON.parse(text) as unknown;
      if (state !== null && (typeof state !== 'object' || Array.isArray(state))) {
        throw new ProtocolError('awareness state is not an object or null');
      }
      entries.push({ clientID, clock, state: state as Record<string, unknown> | null });
    }
  } catch (err) {
    if (err instanceof AwarenessPolicyError || err instanceof ProtocolError) {
      throw err;
    }
    throw new ProtocolError(`invalid awareness update (${(err as Error).message})`);
  }
  return entries;
}

/** Encodes entries as an awareness update. */
export function encodeAwarenessUpdate(entries: AwarenessEntry[]): Uint8Array {
  const { encoding } = yjs();
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientID);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, JSON.stringify(entry.state));
  }
  return encoding.toUint8Array(encoder);
}

/** Who sent an update: the connection (identity of ownership) and its authenticated user. */
export interface AwarenessOwner {
  readonly identity: Identity;
}

interface Held extends AwarenessEntry {
  owner: AwarenessOwner;
}

/** The awareness table of one room. */
export class AwarenessRegistry {
  private readonly states = new Map<number, Held>();

  /**
   * Applies entries from `owner`, stamping its identity. Returns the accepted entries (what to
   * relay). Entries for a clientID held by another user's connection are dropped: clients relay
   * the states they know of others (y-protocols does on reconnect and on query-awareness), and
   * only the owner may change its own.
   */
  apply(owner: AwarenessOwner, entries: AwarenessEntry[]): AwarenessEntry[] {
    const accepted: AwarenessEntry[] = [];
    for (const entry of entries) {
      const held = this.states.get(entry.clientID);
      if (held && held.owner !== owner) {
        if (held.owner.identity.username !== owner.identity.username) {
          continue;
        }
        // The same user reconnecting before the old socket was noticed closed: take it over.
      }
      const newer =
        !held ||
        held.clock < entry.clock ||
        (held.clock === entry.clock && entry.state === null && held.state !== null);
      if (!newer) {
        continue;
      }
      const state = entry.state === null ? null : { ...entry.state, user: { ...owner.identity } };
      const stamped: AwarenessEntry = { clientID: entry.clientID, clock: entry.clock, state };
      if (state === null) {
        this.states.delete(entry.clientID);
      } else {
        this.states.set(entry.clientID, { ...stamped, owner });
      }
      accepted.push(stamped);
    }
    return accepted;
  }

  /** Removes every state of `owner` (it disconnected); returns the removal entries to relay. */
  removeOwner(owner: AwarenessOwner): AwarenessEntry[] {
    const removed: AwarenessEntry[] = [];
    for (const [clientID, held] of this.states) {
      if (held.owner === owner) {
        this.states.delete(clientID);
        removed.push({ clientID, clock: held.clock + 1, state: null });
      }
    }
    return removed;
  }

  /** Every current state (answer to a query, or for a new connection). */
  all(): AwarenessEntry[] {
    return [...this.states.values()].map(({ clientID, clock, state }) => ({
      clientID,
      clock,
      state
    }));
  }
}
