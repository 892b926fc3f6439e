/**
 * Query-parameter readers of the provenance routes (`/runs`, `/audit`, `/lineage`): a value
 * that is absent or empty reads as undefined (no filter); a malformed one is a 400 that names the
 * parameter, the value and what it should be (`Errors.badQueryParam`).
 */
import { Errors, OpsbookError } from '../errors';
import type { RequestContext } from '../http/router';

/** A query parameter; absent or empty reads as undefined (no filter). */
export function param(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.query.get(name);
  return value === null || value === '' ? undefined : value;
}

/** A whole-number parameter from `min` to `max`; `fallback` when absent. */
export function intParam(
  ctx: RequestContext,
  name: string,
  fallback: number,
  min: number,
  max: number
): number {
  const text = param(ctx, name);
  if (text === undefined) {
    return fallback;
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new OpsbookError(Errors.badQueryParam(name, text, `a whole number ${min}-${max}`));
  }
  return n;
}

/** An ISO-8601 time parameter, normalised to the form the audit log's time column holds. */
export function timeParam(ctx: RequestContext, name: string): string | undefined {
  const text = param(ctx, name);
  if (text === undefined) {
    return undefined;
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    throw new OpsbookError(
      Errors.badQueryParam(name, text, 'an ISO-8601 time such as 2026-11-25T03:00:00Z')
    );
  }
  return new Date(ms).toISOString();
}
