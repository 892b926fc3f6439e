/**
 * Whether the local user may change documents, from the server's `/api/me?permissions=` (Jupyter's
 * permissions protocol: `{"contents": ["write"]}` comes back with `write` only for editors and
 * owners). The server enforces the role on every route and refuses a viewer's edits in the shared
 * document; the app asks only so it can tell viewers so up front and hide what would fail.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The local user's write permission, asked once. Resolves true when the server does not say
 * (an error, an older server): a failing check must never hide what the server would allow.
 */
export function canWriteDocuments(): Promise<boolean> {
  if (!answer) {
    answer = Private.ask();
  }
  return answer;
}

/** The one request's answer, once asked. */
let answer: Promise<boolean> | null = null;

namespace Private {
  export async function ask(): Promise<boolean> {
    const settings = ServerConnection.makeSettings();
    const asked = encodeURIComponent(JSON.stringify({ contents: ['write'] }));
    const url = `${URLExt.join(settings.baseUrl, 'api/me')}?permissions=${asked}`;
    try {
      const response = await ServerConnection.makeRequest(url, {}, settings);
      if (!response.ok) {
        return true;
      }
      const body = (await response.json()) as { permissions?: { contents?: unknown } };
      const actions = body.permissions?.contents;
      return !Array.isArray(actions) || actions.includes('write');
    } catch {
      return true;
    }
  }
}
