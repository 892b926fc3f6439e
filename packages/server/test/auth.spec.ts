import WebSocket from 'ws';

import { request, startServer, TestServer, TOKEN } from './helpers';

/** Opens a websocket and reports how the handshake ended. */
function connect(
  url: string,
  headers: Record<string, string> = {}
): Promise<{ opened: boolean; status?: number }> {
  return new Promise(resolve => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode });
      res.resume();
    });
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('authentication', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.close());

  it('refuses API requests without a token with a 403 JSON error', async () => {
    const res = await t.request('GET', '/api/contents', { token: null });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json().message).toMatch(/Missing or invalid token/);
  });

  it('refuses a wrong token, and unknown routes are not revealed to strangers', async () => {
    expect((await t.request('GET', '/api/contents', { token: 'b'.repeat(40) })).status).toBe(403);
    expect((await t.request('GET', '/api/no-such-route', { token: null })).status).toBe(403);
    expect((await t.request('GET', '/api/no-such-route')).status).toBe(404);
  });

  it('answers the page without a token with a 403 login page', async () => {
    const res = await t.request('GET', '/lab', { token: null });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<form method="get" action="/lab">');
    expect(res.text).not.toContain(TOKEN);
  });

  it('accepts the token in the Authorization header', async () => {
    expect((await t.request('GET', '/api/contents')).status).toBe(200);
    expect(
      (
        await t.request('GET', '/api/contents', {
          token: null,
          headers: { Authorization: `Bearer ${TOKEN}` }
        })
      ).status
    ).toBe(200);
  });

  it('accepts the token in the query and sets an HttpOnly SameSite=Strict cookie', async () => {
    const res = await t.request('GET', `/api/contents?token=${TOKEN}`, { token: null });
    expect(res.status).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`opsbook-token-${t.port}=${TOKEN}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
  });

  it('redirects a page opened with ?token= to the same page without it', async () => {
    const res = await t.request('GET', `/lab/tree/a.ipynb?token=${TOKEN}&reset`, { token: null });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/lab/tree/a.ipynb?reset=');
    expect(String(res.headers['set-cookie'])).toContain('HttpOnly');
  });

  it('accepts the token from the cookie', async () => {
    const res = await t.request('GET', '/api/contents', {
      token: null,
      headers: { Cookie: `opsbook-token-${t.port}=${TOKEN}` }
    });
    expect(res.status).toBe(200);
    const other = await t.request('GET', '/api/contents', {
      token: null,
      headers: { Cookie: `opsbook-token-1=${TOKEN}` }
    });
    expect(other.status).toBe(403);
  });

  it('lets public build output through without a token', async () => {
    const root = await t.request('GET', '/', { token: null });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/lab');
  });

  it('refuses a websocket upgrade without a token (403) and accepts one with it', async () => {
    const url = `ws://127.0.0.1:${t.port}/api/events/subscribe`;
    expect(await connect(url)).toEqual({ opened: false, status: 403 });
    expect(
      await connect(url, { Cookie: `opsbook-token-${t.port}=wrong-token-wrong-token` })
    ).toEqual({ opened: false, status: 403 });
    expect(await connect(url, { Cookie: `opsbook-token-${t.port}=${TOKEN}` })).toEqual({
      opened: true
    });
    expect(await connect(`${url}?token=${TOKEN}`)).toEqual({ opened: true });
    expect(await connect(url, { Authorization: `token ${TOKEN}` })).toEqual({ opened: true });
  });

  it('refuses cross-origin websocket upgrades and writes even with a valid token', async () => {
    const url = `ws://127.0.0.1:${t.port}/api/events/subscribe`;
    const headers = { Cookie: `opsbook-token-${t.port}=${TOKEN}`, Origin: 'http://evil.example' };
    expect(await connect(url, headers)).toEqual({ opened: false, status: 403 });
    expect(await connect(url, { ...headers, Origin: `http://127.0.0.1:${t.port}` })).toEqual({
      opened: true
    });
    const put = await t.request('PUT', '/api/contents/x.txt', {
      headers: { Origin: 'http://evil.example' },
      body: { type: 'file', format: 'text', content: 'x' }
    });
    expect(put.status).toBe(403);
    expect(put.json().message).toMatch(/Cross-origin request from 'http:\/\/evil.example' refused/);
  });

  it('refuses a foreign Host header on a loopback server (DNS rebinding)', async () => {
    const res = await t.request('GET', '/api/contents', { headers: { Host: 'evil.example' } });
    expect(res.status).toBe(403);
    expect(
      (await t.request('GET', '/api/contents', { headers: { Host: `localhost:${t.port}` } })).status
    ).toBe(200);
  });

  it('answers an unknown websocket path with 404 once authenticated', async () => {
    const res = await connect(`ws://127.0.0.1:${t.port}/api/kernels/x/channels`, {
      Authorization: `token ${TOKEN}`
    });
    expect(res).toEqual({ opened: false, status: 404 });
  });
});

describe('--no-auth', () => {
  it('serves without a token on a loopback host', async () => {
    const t = await startServer({ noAuth: true, token: null });
    try {
      expect(t.token).toBe('');
      expect((await request(t.port, 'GET', '/api/contents', { token: null })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
