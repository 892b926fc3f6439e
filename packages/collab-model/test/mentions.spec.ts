import { mentionAtCaret, parseMentions } from '../src/mentions';

describe('mentions', () => {
  it('finds each @username once, in order of first mention', () => {
    expect(parseMentions('@ben can you check this? cc @ana, @ben')).toEqual(['ben', 'ana']);
  });

  it('ignores e-mail addresses and trailing punctuation', () => {
    expect(parseMentions('mail ana@example.com or ask @carl.')).toEqual(['carl']);
    expect(parseMentions('(@dee-x) and @e.f_g')).toEqual(['dee-x', 'e.f_g']);
  });

  it('tells the mention being typed at the caret', () => {
    expect(mentionAtCaret('see @be')).toBe('be');
    expect(mentionAtCaret('see @')).toBe('');
    expect(mentionAtCaret('see ben')).toBeNull();
    expect(mentionAtCaret('a@b')).toBeNull();
  });
});
