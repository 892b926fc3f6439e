/**
 * The notebook file format as Jupyter writes it: nbformat 4 JSON with keys sorted, one-space
 * indent and a trailing newline, so files saved here diff cleanly against files saved by
 * jupyter_server. Validation is deliberately minimal (the structure every reader needs); full
 * schema validation is the frontend's job.
 */
import { Errors, OpsbookError } from '../errors';
import { isObject } from '../http/router';

/** An empty notebook, as "New Notebook" creates it. */
export function emptyNotebook(): Record<string, unknown> {
  return { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };
}

/** Checks the structure every reader relies on; throws a 400 naming the notebook. */
export function validateNotebook(apiPath: string, value: unknown): Record<string, unknown> {
  if (!isObject(value)) {
    throw new OpsbookError(Errors.badNotebook(apiPath, 'the content is not a JSON object'));
  }
  if (value.nbformat !== 4) {
    throw new OpsbookError(
      Errors.badNotebook(apiPath, `'nbformat' is ${JSON.stringify(value.nbformat)}, not 4`)
    );
  }
  if (!Array.isArray(value.cells)) {
    throw new OpsbookError(Errors.badNotebook(apiPath, "'cells' is missing or not an array"));
  }
  value.cells.forEach((cell: unknown, i: number) => {
    if (!isObject(cell) || typeof cell.cell_type !== 'string') {
      throw new OpsbookError(Errors.badNotebook(apiPath, `cells[${i}] has no 'cell_type'`));
    }
  });
  if (value.metadata !== undefined && !isObject(value.metadata)) {
    throw new OpsbookError(Errors.badNotebook(apiPath, "'metadata' is not an object"));
  }
  return value;
}

/** Serialises a notebook exactly like nbformat (`json.dumps(nb, sort_keys=True, indent=1)`). */
export function serializeNotebook(notebook: Record<string, unknown>): string {
  return (
    JSON.stringify(
      notebook,
      (_key, value: unknown) => (isObject(value) ? sortKeys(value) : value),
      1
    ) + '\n'
  );
}

/** Parses notebook bytes read from disk; unreadable files are a 400 that says how to repair. */
export function parseNotebook(apiPath: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new OpsbookError(Errors.unreadableNotebook(apiPath, (err as Error).message));
  }
  if (!isObject(value)) {
    throw new OpsbookError(Errors.unreadableNotebook(apiPath, 'not a JSON object'));
  }
  return value;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = value[key];
  }
  return out;
}
