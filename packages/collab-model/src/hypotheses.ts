/**
 * Hypotheses about an incident: propose, edit title, status and verdict, link and unlink evidence
 * cells. Fields are separate map entries (concurrent edits of different fields both survive; the
 * same field is last-writer-wins), evidence is an append-only Y.Array read as a set.
 */
import * as Y from 'yjs';
import { byCreation, COLLAB_ORIGIN, EntryMap, hypothesesMap, str } from './doc';
import { newId, nowIso } from './ids';
import { HYPOTHESIS_STATUSES, type Hypothesis, type HypothesisStatus } from './schema';

/** Arguments of `addHypothesis`. */
export interface IAddHypothesisOptions {
  title: string;
  author: string;
  /** Initial status (default `proposed`). */
  status?: HypothesisStatus;
  /** Initial evidence cell ids (default none). */
  evidence?: string[];
  verdict?: string;
  /** Id (default: a new one). */
  id?: string;
  /** Time (default: now). */
  time?: string;
}

/** The fields `updateHypothesis` can change. */
export interface IHypothesisChange {
  title?: string;
  status?: HypothesisStatus;
  verdict?: string;
}

/** Whether `value` is one of the hypothesis statuses. */
export function isHypothesisStatus(value: unknown): value is HypothesisStatus {
  return typeof value === 'string' && (HYPOTHESIS_STATUSES as readonly string[]).includes(value);
}

/** The Y.Map of a hypothesis (used by `addHypothesis` and the import). */
export function buildHypothesis(h: Hypothesis): EntryMap {
  const map = new Y.Map<unknown>();
  map.set('id', h.id);
  map.set('title', h.title);
  map.set('status', h.status);
  map.set('verdict', h.verdict);
  map.set('author', h.author);
  map.set('created', h.created);
  map.set('updated', h.updated);
  const evidence = new Y.Array<string>();
  evidence.push([...new Set(h.evidence)]);
  map.set('evidence', evidence);
  return map;
}

/** Proposes a hypothesis; returns its id. */
export function addHypothesis(ydoc: Y.Doc, options: IAddHypothesisOptions): string {
  const id = options.id ?? newId('h');
  const time = options.time ?? nowIso();
  const hypotheses = hypothesesMap(ydoc);
  ydoc.transact(() => {
    hypotheses.set(
      id,
      buildHypothesis({
        id,
        title: options.title,
        status: options.status ?? 'proposed',
        evidence: options.evidence ?? [],
        verdict: options.verdict ?? '',
        author: options.author,
        created: time,
        updated: time
      })
    );
  }, COLLAB_ORIGIN);
  return id;
}

/** Changes title, status and/or verdict; returns false when the hypothesis does not exist. */
export function updateHypothesis(
  ydoc: Y.Doc,
  id: string,
  change: IHypothesisChange,
  time: string = nowIso()
): boolean {
  const map = hypothesesMap(ydoc).get(id);
  if (!map) {
    return false;
  }
  if (change.status !== undefined && !isHypothesisStatus(change.status)) {
    throw new Error(
      `Unknown hypothesis status '${change.status}': use one of ${HYPOTHESIS_STATUSES.join(', ')}.`
    );
  }
  ydoc.transact(() => {
    for (const key of ['title', 'status', 'verdict'] as const) {
      if (change[key] !== undefined && map.get(key) !== change[key]) {
        map.set(key, change[key]);
      }
    }
    map.set('updated', time);
  }, COLLAB_ORIGIN);
  return true;
}

/** Links a cell as evidence (no-op when already linked); false when the hypothesis is missing. */
export function linkEvidence(ydoc: Y.Doc, id: string, cellId: string, time = nowIso()): boolean {
  const map = hypothesesMap(ydoc).get(id);
  const evidence = map?.get('evidence');
  if (!map || !(evidence instanceof Y.Array)) {
    return false;
  }
  if (!evidence.toArray().includes(cellId)) {
    ydoc.transact(() => {
      evidence.push([cellId]);
      map.set('updated', time);
    }, COLLAB_ORIGIN);
  }
  return true;
}

/** Unlinks an evidence cell (every copy of it); false when the hypothesis is missing. */
export function unlinkEvidence(ydoc: Y.Doc, id: string, cellId: string, time = nowIso()): boolean {
  const map = hypothesesMap(ydoc).get(id);
  const evidence = map?.get('evidence');
  if (!map || !(evidence instanceof Y.Array)) {
    return false;
  }
  ydoc.transact(() => {
    const items = evidence.toArray();
    for (let i = items.length - 1; i >= 0; i--) {
      if (items[i] === cellId) {
        evidence.delete(i, 1);
      }
    }
    map.set('updated', time);
  }, COLLAB_ORIGIN);
  return true;
}

/** Deletes a hypothesis; returns false when it does not exist. */
export function deleteHypothesis(ydoc: Y.Doc, id: string): boolean {
  const hypotheses = hypothesesMap(ydoc);
  if (!hypotheses.has(id)) {
    return false;
  }
  ydoc.transact(() => hypotheses.delete(id), COLLAB_ORIGIN);
  return true;
}

/** Reads one hypothesis as plain JSON (evidence deduplicated, first link first). */
export function readHypothesis(map: EntryMap, id: string): Hypothesis {
  const evidence = map.get('evidence');
  const status = map.get('status');
  return {
    id,
    title: str(map, 'title'),
    status: isHypothesisStatus(status) ? status : 'proposed',
    evidence: evidence instanceof Y.Array ? [...new Set(evidence.toArray() as string[])] : [],
    verdict: str(map, 'verdict'),
    author: str(map, 'author'),
    created: str(map, 'created'),
    updated: str(map, 'updated')
  };
}

/** Every hypothesis as plain JSON, ordered by creation. */
export function readHypotheses(ydoc: Y.Doc): Hypothesis[] {
  const list: Hypothesis[] = [];
  hypothesesMap(ydoc).forEach((map, id) => {
    if (map instanceof Y.Map) {
      list.push(readHypothesis(map, id));
    }
  });
  return list.sort(byCreation);
}
