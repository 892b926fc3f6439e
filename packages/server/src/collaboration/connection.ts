/**
 * One client websocket in a room: limits, the queue of messages that arrive before the room is
 * loaded, and dispatch of decoded messages to the room.
 *
 * Hostile or broken clients are closed with a named code and a log line, never allowed to affect
 * the room or the process: text frames, truncated varints, unknown types and invalid Yjs updates
 * -> `CloseCode.malformed`; more than `collabMessagesPerSecond` (token bucket, burst of two
 * seconds) or more than `collabMaxQueuedMessages` before the room is ready -> `CloseCode.flood`;
 * awareness over `collabMaxAwarenessBytes` or for another user's client -> `CloseCode.policy`.
 * Frames over `collabMaxMessageBytes` are refused by ws itself (close 1009).
 */
import type { WebSocket } from 'ws';

import type { Logger } from '../log';
import type { Identity } from '../users';
import { AwarenessPolicyError, decodeAwarenessUpdate } from './awareness';
import { CloseCode, decodeClientMessage, encodeRaw, ProtocolError } from './protocol';
import type { Peer, Room } from './room';

/** Per-connection limits (from `ServerConfig`). */
export interface ConnectionLimits {
  messagesPerSecond: number;
  maxQueuedMessages: number;
}

/** A client connection (see the file comment). */
export class Connection implements Peer {
  autosave = false;
  readonly identity: Identity;
  readonly canWrite: boolean;
  private room: Room | null = null;
  private readonly queue: Uint8Array[] = [];
  private tokens: number;
  private lastRefill = Date.now();
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    options: {
      identity: Identity;
      canWrite: boolean;
      roomName: string;
      limits: ConnectionLimits;
      log: Logger;
    }
  ) {
    this.identity = options.identity;
    this.canWrite = options.canWrite;
    this.roomName = options.roomName;
    this.limits = options.limits;
    this.log = options.log;
    this.tokens = 2 * this.limits.messagesPerSecond;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', err => {
      this.log.warn(
        `Collaboration connection of ${this.identity.username} to ${this.roomName} failed: ${err.message}`
      );
    });
  }

  private readonly roomName: string;
  private readonly limits: ConnectionLimits;
  private readonly log: Logger;

  /** Attaches the loaded room and replays the queued messages. */
  attach(room: Room): void {
    if (this.closed) {
      return;
    }
    this.room = room;
    room.join(this);
    for (const data of this.queue.splice(0)) {
      if (this.closed) {
        return;
      }
      this.handle(data);
    }
  }

  /** Sends a binary message if the socket is still open. */
  send(message: Uint8Array): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) {
      this.ws.send(message);
    }
  }

  /** Closes the connection with a code and reason, logging why. */
  close(code: number, reason: string, level: 'debug' | 'warn' = 'warn'): void {
    if (this.closed) {
      return;
    }
    this.log[level](
      `Closing collaboration connection of ${this.identity.username} to ${this.roomName}: ${code} ${reason}`
    );
    this.ws.close(code, reason.slice(0, 120));
    this.onClose();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) {
      return;
    }
    if (!isBinary) {
      this.close(CloseCode.malformed, 'text frames are not part of the protocol');
      return;
    }
    if (!this.takeToken()) {
      this.close(CloseCode.flood, 'too many messages (collabMessagesPerSecond)');
      return;
    }
    // A private copy: lib0 reads views of the underlying buffer (see `decodeClientMessage`).
    const copy = new Uint8Array(data);
    if (this.room === null) {
      if (this.queue.length >= this.limits.maxQueuedMessages) {
        this.close(CloseCode.flood, 'too many messages before the room was ready');
        return;
      }
      this.queue.push(copy);
      return;
    }
    this.handle(copy);
  }

  private handle(data: Uint8Array): void {
    const room = this.room!;
    try {
      const message = decodeClientMessage(data);
      switch (message.kind) {
        case 'syncStep1':
          room.syncStep1(this, message.stateVector);
          break;
        case 'update':
          room.receiveUpdate(this, message.update, message.incremental);
          break;
        case 'awareness':
          room.receiveAwareness(this, decodeAwarenessUpdate(message.update, room.awarenessLimit));
          break;
        case 'queryAwareness':
          room.queryAwareness(this);
          break;
        case 'save':
          void room.save().then(status => {
            this.send(encodeRaw({ type: 'save', responseTo: message.id, status }));
          });
          break;
        case 'rawOther':
          this.log.debug(`Ignored RAW message in ${this.roomName}: ${message.text.slice(0, 80)}`);
          break;
      }
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.close(CloseCode.malformed, err.message);
      } else if (err instanceof AwarenessPolicyError) {
        this.close(CloseCode.policy, err.message);
      } else {
        this.log.error(`Unexpected error in room ${this.roomName}`, err);
        this.close(CloseCode.serverError, 'internal error');
      }
    }
  }

  private takeToken(): boolean {
    const now = Date.now();
    const rate = this.limits.messagesPerSecond;
    this.tokens = Math.min(2 * rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  private onClose(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.queue.length = 0;
    this.room?.leave(this);
  }
}
