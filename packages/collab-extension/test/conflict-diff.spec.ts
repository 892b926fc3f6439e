import { diffLines, diffNotebooks } from '../src/conflict-diff';

const nb = (cells: { id?: string; source: string | string[]; cell_type?: string }[]) => ({
  cells: cells.map(c => ({ cell_type: 'code', ...c }))
});

describe('diffLines', () => {
  it('marks lines only on disk, only in the room, and in both', () => {
    expect(diffLines('a\nb\nc', 'a\nB\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'disk', text: 'b' },
      { kind: 'room', text: 'B' },
      { kind: 'same', text: 'c' },
      { kind: 'room', text: 'd' }
    ]);
  });
});

describe('diffNotebooks', () => {
  it('matches cells by id and reports changed, unchanged, added and removed cells', () => {
    const disk = nb([
      { id: 'x', source: 'select 1' },
      { id: 'gone', source: 'old' },
      { id: 'y', source: ['-- external\n', 'rewrite'] }
    ]);
    const room = nb([
      { id: 'x', source: 'select 1' },
      { id: 'y', source: '-- mine\nrewrite' },
      { id: 'new', source: 'added', cell_type: 'markdown' }
    ]);
    const diff = diffNotebooks(disk, room);
    expect(diff.map(c => [c.label, c.status])).toEqual([
      ['Cell 1 (code)', 'unchanged'],
      ['Cell 2 (code)', 'removed'],
      ['Cell 2 (code)', 'changed'],
      ['Cell 3 (markdown)', 'added']
    ]);
    expect(diff[2].lines).toEqual([
      { kind: 'disk', text: '-- external' },
      { kind: 'room', text: '-- mine' },
      { kind: 'same', text: 'rewrite' }
    ]);
  });

  it('matches cells by position when the notebooks have no cell ids', () => {
    const diff = diffNotebooks(nb([{ source: 'a' }]), nb([{ source: 'b' }]));
    expect(diff.map(c => c.status)).toEqual(['changed']);
  });

  it('treats anything but notebook JSON as a notebook without cells', () => {
    expect(diffNotebooks(null, nb([{ source: 'a' }]))[0].status).toBe('added');
  });
});
