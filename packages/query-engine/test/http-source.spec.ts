/**
 * `httpDatasetSource` and snapshots (issue #5): every slice names the snapshot the server says it
 * served, and a pinned source refuses a missing snapshot or a slice from another one.
 */
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import type { ServedSlice } from '../src/engine';
import { httpDatasetSource, type DatasetListing } from '../src/http-source';

const listing: DatasetListing = {
  name: 'spans',
  file: 'catalog:default/spans',
  format: 'parquet',
  size: 0,
  rowCount: 1,
  columns: [{ name: 'n', type: 'INTEGER' }],
  timeColumn: null,
  timeRange: null,
  snapshotId: 'latest'
};
const ipc = tableToIPC(tableFromArrays({ n: Int32Array.of(1) }), 'stream');

/** A fetch that answers every request with `status` and the given snapshot header. */
function fakeFetch(status: number, snapshot: string | null, urls: string[] = []): typeof fetch {
  return (async (url: string) => {
    urls.push(url);
    const headers = new Headers(snapshot ? { 'X-Opsbook-Snapshot': snapshot } : {});
    return status === 200
      ? new Response(ipc as Uint8Array<ArrayBuffer>, { status, headers })
      : new Response(JSON.stringify({ message: 'no such snapshot' }), { status, headers });
  }) as unknown as typeof fetch;
}

describe('httpDatasetSource and snapshots', () => {
  it('returns the snapshot named by X-Opsbook-Snapshot with the bytes', async () => {
    const source = httpDatasetSource(listing, {
      datasetsUrl: 'http://x/api/datasets',
      fetch: fakeFetch(200, 'served-by-server')
    });
    const slice = (await source.fetchSlice({ columns: ['n'] })) as ServedSlice;
    expect(slice.snapshotId).toBe('served-by-server');
    expect(slice.ipc.length).toBe(ipc.length);
  });

  it('asks for the pinned snapshot', async () => {
    const urls: string[] = [];
    const source = httpDatasetSource(listing, {
      datasetsUrl: 'http://x/api/datasets',
      fetch: fakeFetch(200, 'old', urls),
      snapshot: 'old'
    });
    expect(source.snapshotId).toBe('old');
    await source.fetchSlice({ columns: ['n'] });
    expect(new URL(urls[0]).searchParams.get('snapshot')).toBe('old');
  });

  it('says the pinned snapshot no longer exists when the server answers 404', async () => {
    const source = httpDatasetSource(listing, {
      datasetsUrl: 'http://x/api/datasets',
      fetch: fakeFetch(404, null),
      snapshot: 'gone'
    });
    await expect(source.fetchSlice({ columns: ['n'] })).rejects.toThrow(
      /^snapshot gone of spans no longer exists/
    );
  });

  it('refuses a slice served from another snapshot than the pinned one', async () => {
    const source = httpDatasetSource(listing, {
      datasetsUrl: 'http://x/api/datasets',
      fetch: fakeFetch(200, 'latest'),
      snapshot: 'old'
    });
    await expect(source.fetchSlice({ columns: ['n'] })).rejects.toThrow(
      /served spans from snapshot latest instead of the pinned old/
    );
  });
});
