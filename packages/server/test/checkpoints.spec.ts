import * as fs from 'node:fs';
import * as path from 'node:path';

import { notebook, startServer, TestServer } from './helpers';

describe('checkpoints', () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(() => t.close());

  const save = (source: string) =>
    t.request('PUT', '/api/contents/n.ipynb', {
      body: { type: 'notebook', content: notebook(source) }
    });

  it('lists none, creates one, and restores the file from it', async () => {
    await save('first');
    expect((await t.request('GET', '/api/contents/n.ipynb/checkpoints')).json()).toEqual([]);
    const created = await t.request('POST', '/api/contents/n.ipynb/checkpoints');
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ id: 'checkpoint' });
    expect(typeof created.json().last_modified).toBe('string');
    const list = (await t.request('GET', '/api/contents/n.ipynb/checkpoints')).json();
    expect(list).toEqual([created.json()]);

    await save('second');
    const restored = await t.request('POST', '/api/contents/n.ipynb/checkpoints/checkpoint');
    expect(restored.status).toBe(204);
    const model = (await t.request('GET', '/api/contents/n.ipynb')).json();
    expect(model.content.cells[0].source).toBe('first');
  });

  it('stores checkpoints in the hidden state dir, not beside the notebook', async () => {
    await save('x');
    await t.request('POST', '/api/contents/n.ipynb/checkpoints');
    expect(fs.existsSync(path.join(t.notebookDir, '.opsbook', 'checkpoints', 'n.ipynb'))).toBe(
      true
    );
    const listing = (await t.request('GET', '/api/contents')).json();
    expect(listing.content.map((m: { name: string }) => m.name)).toEqual(['n.ipynb']);
  });

  it('deletes a checkpoint, and 404s an unknown one', async () => {
    await save('x');
    await t.request('POST', '/api/contents/n.ipynb/checkpoints');
    expect((await t.request('DELETE', '/api/contents/n.ipynb/checkpoints/checkpoint')).status).toBe(
      204
    );
    expect((await t.request('GET', '/api/contents/n.ipynb/checkpoints')).json()).toEqual([]);
    const missing = await t.request('POST', '/api/contents/n.ipynb/checkpoints/checkpoint');
    expect(missing.status).toBe(404);
    expect(missing.json().message).toBe("No checkpoint 'checkpoint' for 'n.ipynb'.");
  });

  it('moves checkpoints along with a renamed file', async () => {
    await save('x');
    await t.request('POST', '/api/contents/n.ipynb/checkpoints');
    await t.request('PATCH', '/api/contents/n.ipynb', { body: { path: 'm.ipynb' } });
    expect((await t.request('GET', '/api/contents/m.ipynb/checkpoints')).json()).toHaveLength(1);
  });
});
