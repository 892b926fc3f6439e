/**
 * A hand-rolled y-websocket client for collaboration tests: a YNotebook (from the server's own
 * copy of yjs, see src/collaboration/yjs.ts) synced over a real websocket with raw frames, so
 * tests see every message and close code.
 */
import WebSocket from 'ws';
import type { YNotebook } from '@jupyter/ydoc';

import * as fs from 'node:fs';
import * as path from 'node:path';

import { yjs } from '../src/collaboration/yjs';
import type { ServerConfigInput } from '../src/config';
import { notebook, startServer, TestServer, TOKEN } from './helpers';

const REMOTE = Symbol('remote');

/** A test peer. */
export class Peer {
  readonly nb: YNotebook;
  ws: WebSocket | null = null;
  raws: Record<string, unknown>[] = [];
  awareness = new Map<number, Record<string, unknown> | null>();
  closes: { code: number; reason: string }[] = [];
  synced = false;
  errors: string[] = [];
  /** Updates made while disconnected are sent by the sync on reconnect. */
  constructor(
    public port: number,
    public room: string,
    public sessionId: string,
    readonly token = TOKEN
  ) {
    const { YNotebook } = yjs();
    this.nb = new YNotebook();
    this.nb.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE && this.ws?.readyState === WebSocket.OPEN) {
        this.ws.send(frame(0, 2, update));
      }
    });
  }

  /** Opens the socket; resolves once the server's step 2 arrived (or the socket closed). */
  connect(): Promise<void> {
    const { Y } = yjs();
    const ws = new WebSocket(
      `ws://127.0.0.1:${this.port}/api/collaboration/room/${this.room}?sessionId=${this.sessionId}`,
      { headers: { Authorization: `token ${this.token}` } }
    );
    this.ws = ws;
    this.synced = false;
    return new Promise(resolve => {
      ws.on('open', () => ws.send(frame(0, 0, Y.encodeStateVector(this.nb.ydoc))));
      ws.on('message', (data: Buffer) => {
        this.onMessage(new Uint8Array(data), ws);
        if (this.synced) {
          resolve();
        }
      });
      ws.on('close', (code, reason) => {
        this.closes.push({ code, reason: reason.toString() });
        resolve();
      });
      ws.on('error', err => this.errors.push(err.message));
    });
  }

  /** Closes the socket (edits made meanwhile stay local until `connect`). */
  disconnect(): Promise<void> {
    const ws = this.ws;
    this.ws = null;
    if (!ws || ws.readyState === WebSocket.CLOSED) {
      return Promise.resolve();
    }
    return new Promise(resolve => {
      ws.once('close', () => resolve());
      ws.close();
    });
  }

  /** Sends raw bytes (hostile frame tests). */
  sendRaw(data: Uint8Array | string, binary = true): void {
    this.ws!.send(data, { binary });
  }

  /** Sends an awareness state for this peer's client id. */
  setAwareness(state: Record<string, unknown>, clock = 1, clientID = this.nb.ydoc.clientID): void {
    const { encoding } = yjs();
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, clientID);
    encoding.writeVarUint(e, clock);
    encoding.writeVarString(e, JSON.stringify(state));
    this.ws!.send(frame(1, null, encoding.toUint8Array(e)));
  }

  /** Sends a RAW save request and waits for its answer. */
  async save(id: number): Promise<string> {
    const { encoding } = yjs();
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 2);
    encoding.writeVarString(e, 'save');
    encoding.writeVarUint(e, id);
    this.ws!.send(encoding.toUint8Array(e));
    const reply = await until(() => this.raws.find(r => r.type === 'save' && r.responseTo === id));
    return reply.status as string;
  }

  /** The notebook as JSON. */
  json(): unknown {
    return this.nb.toJSON();
  }

  dispose(): void {
    this.ws?.terminate();
    this.nb.dispose();
  }

  private onMessage(data: Uint8Array, ws: WebSocket): void {
    const { Y, decoding } = yjs();
    const d = decoding.createDecoder(data);
    const type = decoding.readVarUint(d);
    if (type === 0) {
      const step = decoding.readVarUint(d);
      const payload = decoding.readVarUint8Array(d);
      if (step === 0) {
        ws.send(frame(0, 1, Y.encodeStateAsUpdate(this.nb.ydoc, payload)));
      } else {
        Y.applyUpdate(this.nb.ydoc, payload, REMOTE);
        if (step === 1) {
          this.synced = true;
        }
      }
    } else if (type === 1) {
      const u = decoding.createDecoder(decoding.readVarUint8Array(d));
      const n = decoding.readVarUint(u);
      for (let i = 0; i < n; i++) {
        const id = decoding.readVarUint(u);
        decoding.readVarUint(u);
        this.awareness.set(id, JSON.parse(decoding.readVarString(u)));
      }
    } else if (type === 2) {
      this.raws.push(JSON.parse(decoding.readVarString(d)));
    }
  }
}

/** A y-websocket frame: type, optional sync step, payload as varUint8Array. */
export function frame(type: number, step: number | null, payload: Uint8Array): Uint8Array {
  const { encoding } = yjs();
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, type);
  if (step !== null) {
    encoding.writeVarUint(e, step);
  }
  encoding.writeVarUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

/** Polls `fn` until it returns a truthy value (default 5 s). */
export async function until<T>(fn: () => T | undefined | null | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`condition not met within ${ms} ms: ${fn.toString()}`);
    }
    await new Promise(r => setTimeout(r, 10));
  }
}

/** PUT session for `path`; returns the room name and session id. */
export async function openSession(
  request: (
    m: string,
    p: string,
    o?: { body?: unknown; token?: string }
  ) => Promise<{ status: number; json: () => any }>, // eslint-disable-line @typescript-eslint/no-explicit-any -- test JSON
  path: string,
  token?: string
): Promise<{ room: string; sessionId: string; fileId: string; status: number }> {
  const res = await request('PUT', `/api/collaboration/session/${encodeURIComponent(path)}`, {
    body: { format: 'json', type: 'notebook' },
    token
  });
  const body = res.json();
  return {
    room: `json:notebook:${body.fileId}`,
    sessionId: body.sessionId,
    fileId: body.fileId,
    status: res.status
  };
}

/**
 * The servers and peers of one test, closed after it in reverse order:
 *   const t = new CollabTest();
 *   afterEach(() => t.closeAll());
 */
export class CollabTest {
  private readonly cleanup: (() => unknown)[] = [];

  /** A server with autosave off (unless overridden) and `a.ipynb`: one cell, source `v0`. */
  async server(overrides: Partial<ServerConfigInput> = {}): Promise<TestServer> {
    const s = await startServer({ collabAutosaveDelayMs: 60_000, ...overrides });
    fs.writeFileSync(path.join(s.notebookDir, 'a.ipynb'), JSON.stringify(notebook('v0')));
    this.cleanup.push(() => s.close());
    return s;
  }

  /** A connected peer in `room`. */
  async connect(s: TestServer, room: string, sessionId: string): Promise<Peer> {
    const p = new Peer(s.port, room, sessionId);
    this.cleanup.push(() => p.dispose());
    await p.connect();
    return p;
  }

  /** Closes `fn` after the test too. */
  onClose(fn: () => unknown): void {
    this.cleanup.push(fn);
  }

  async closeAll(): Promise<void> {
    for (const fn of this.cleanup.splice(0).reverse()) {
      await fn();
    }
  }
}
