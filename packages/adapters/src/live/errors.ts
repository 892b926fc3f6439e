/**
 * The catalog of user-facing errors of live pulls (Prometheus, Alertmanager). Each message says
 * what was wrong, names the server URL or parameter, and what to do. Pulls only ever refer to a
 * code and its details.
 */
import { ErrorDetails } from '../errors';

/** The message of every live-pull error code. */
export const LIVE_MESSAGES = {
  'bad-parameter': (d: ErrorDetails) =>
    `${d.system} pull: parameter "${d.parameter}" ${d.problem}. ${d.hint ?? ''}`.trim(),
  'too-many-points': (d: ErrorDetails) =>
    `Prometheus pull: the window ${d.start} to ${d.end} at step ${d.step}s gives ${d.points} ` +
    `points per series, but ${d.limit}. Use a step of at least ${d.minStep}s or a shorter ` +
    'window. Nothing was requested.',
  'too-many-samples': (d: ErrorDetails) =>
    `${d.system} answer from ${d.url} has ${d.found}, more than ${d.parameter} allows ` +
    `(${d.limit}). ${d.hint}`,
  'response-too-large': (d: ErrorDetails) =>
    `${d.system} answer from ${d.url} is larger than ${d.limit} bytes (maxResponseBytes); ` +
    'reading stopped. Narrow the query, or raise maxResponseBytes.',
  unreachable: (d: ErrorDetails) =>
    `Could not reach ${d.system} at ${d.url} (${d.reason}). Check the URL, that the server ` +
    'is running and that this machine can connect to it.',
  timeout: (d: ErrorDetails) =>
    `${d.system} at ${d.url} did not answer within ${d.timeoutMs} ms (timeoutMs). Narrow the ` +
    'query or raise timeoutMs.',
  aborted: (d: ErrorDetails) => `The ${d.system} pull from ${d.url} was cancelled.`,
  'http-status': (d: ErrorDetails) =>
    `${d.system} at ${d.url} answered HTTP ${d.status}: ${d.body}. ${d.hint}`,
  'not-json': (d: ErrorDetails) =>
    `${d.system} at ${d.url} answered HTTP ${d.status} with ${d.contentType}, not JSON: ` +
    `${d.body}. Check that the URL points at ${d.system} itself (not a proxy login page).`,
  'api-error': (d: ErrorDetails) =>
    `${d.system} at ${d.url} refused the query: ${d.errorType}: ${d.error}. Fix the query.`,
  'unexpected-answer': (d: ErrorDetails) =>
    `${d.system} at ${d.url} answered JSON without ${d.expected} (found ${d.found}). Check ` +
    `that the URL points at ${d.system} ${d.api}.`
} as const;

/** A code of the live-pull catalog. */
export type LiveErrorCode = keyof typeof LIVE_MESSAGES;

/** An error of a live pull: bad parameters, an unreachable or failing server, a too-large answer. */
export class LiveSourceError extends Error {
  /** The catalog code. */
  readonly code: LiveErrorCode;
  /** The message details (system, url, parameter, ...). */
  readonly details: ErrorDetails;

  constructor(code: LiveErrorCode, details: ErrorDetails, options?: { cause?: unknown }) {
    super(LIVE_MESSAGES[code](details), options);
    this.name = 'LiveSourceError';
    this.code = code;
    this.details = details;
  }
}
