/**
 * `@username` mentions in comment text. A username is letters, digits, `_`, `.` and `-`, and a
 * mention must not follow a word character (so `ana@example.com` mentions nobody); a trailing `.`
 * or `-` is punctuation, not part of the name.
 */

const MENTION = /(^|[^\w@.])@([A-Za-z0-9_][A-Za-z0-9_.-]*)/g;

/** The usernames mentioned in `text`, in order of first mention, without duplicates. */
export function parseMentions(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(MENTION)) {
    const name = match[2].replace(/[.-]+$/, '');
    if (name && !found.includes(name)) {
      found.push(name);
    }
  }
  return found;
}

/**
 * The partial mention being typed at the end of `textBeforeCaret` (`"see @be"` -> `"be"`), or
 * null when the caret is not in a mention. Used for autocompletion.
 */
export function mentionAtCaret(textBeforeCaret: string): string | null {
  const match = /(^|[^\w@.])@([A-Za-z0-9_.-]*)$/.exec(textBeforeCaret);
  return match ? match[2] : null;
}
