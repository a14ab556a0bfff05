import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { FORWARDED_HEADER, type NodeRing } from '../cluster/index.ts';
import { socketLimit } from '../config.ts';
import type { RoomService } from '../room-service.ts';
import type { RoomWorker } from '../rooms/index.ts';
import { HttpError, HttpErrorCodes, misdirected, toErrorResponse } from './http-error.ts';

const EVENTS_PATH = /^\/rooms\/([A-Za-z0-9_.-]{1,64})\/events$/;

/** How long shutdown waits for clients to answer the close frame before cutting them, in ms. */
const CLOSE_GRACE_MS = 1_000;

// A watcher that cannot keep up is cut off rather than buffered without bound.
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Answers an upgrade request with `error`'s status and JSON body instead of a WebSocket. */
function refuseUpgrade(socket: Duplex, error: HttpError): void {
  const { status, body } = toErrorResponse(error);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      `connection: close\r\n\r\n${text}`,
  );
}

/**
 * The WebSocket per room: `GET /rooms/:rid/events` upgrades to a socket that first receives the
 * room's snapshot, then every event the room publishes. An open socket holds the room, so it
 * is not stopped as idle while someone watches: so sockets are capped per node (below the room
 * limit) and per client address, and refused beyond with 503 `TIERCACHE_TOO_MANY_SOCKETS`. On a
 * node that does not own the room the socket is proxied to the owner.
 */
export class RoomSockets {
  #wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  #service: RoomService;
  #ring: NodeRing;
  #maxSockets: number;
  #maxPerAddress: number;
  #perAddress = new Map<string, number>();

  constructor(service: RoomService, ring: NodeRing) {
    this.#service = service;
    this.#ring = ring;
    this.#maxSockets = socketLimit(service.config);
    this.#maxPerAddress = service.config.maxSocketsPerAddress;
  }

  /** Open sockets (watchers and proxied). */
  get clients(): number {
    return this.#wss.clients.size;
  }

  /** Handles an HTTP upgrade; returns false when the path is not a room's events. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = EVENTS_PATH.exec(url.pathname);
    if (match === null) return false;
    const rid = match[1]!;
    const owner = this.#ring.owner(rid);
    if (owner !== this.#ring.self && req.headers[FORWARDED_HEADER] !== undefined) {
      refuseUpgrade(socket, misdirected(rid, this.#ring.self, owner));
      return true;
    }
    // A socket another node proxies counts against this node's limit, not its address's: the
    // entry node already applied the per-address limit to the real client.
    const address =
      req.headers[FORWARDED_HEADER] === undefined ? req.socket.remoteAddress : undefined;
    const refusal = this.#overLimit(address);
    if (refusal !== undefined) {
      refuseUpgrade(socket, refusal);
      return true;
    }
    // No await between the check and the count: ws completes this upgrade synchronously.
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (address !== undefined) this.#count(address, ws);
      if (owner !== this.#ring.self) this.#proxy(ws, owner, url.pathname);
      else void this.#watch(ws, rid);
    });
    return true;
  }

  #overLimit(address: string | undefined): HttpError | undefined {
    if (this.#wss.clients.size >= this.#maxSockets) {
      return new HttpError(
        503,
        HttpErrorCodes.TOO_MANY_SOCKETS,
        `This node serves ${this.#maxSockets} room sockets at most (MAX_SOCKETS); retry later`,
      );
    }
    if (address !== undefined && (this.#perAddress.get(address) ?? 0) >= this.#maxPerAddress) {
      return new HttpError(
        503,
        HttpErrorCodes.TOO_MANY_SOCKETS,
        `Your address has ${this.#maxPerAddress} room sockets open already (MAX_SOCKETS_PER_ADDRESS)`,
      );
    }
    return undefined;
  }

  #count(address: string, ws: WebSocket): void {
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    ws.once('close', () => {
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left === 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    });
  }

  /**
   * Closes every socket: a close frame first, then, for clients that have not answered it
   * within {@link CLOSE_GRACE_MS}, the connection is cut. Resolves once every socket is closed.
   */
  close(): Promise<void> {
    const clients = [...this.#wss.clients];
    const closed = clients.map((client) => new Promise((resolve) => client.once('close', resolve)));
    for (const client of clients) client.close(1001, 'server shutting down');
    this.#wss.close();
    // ws itself waits 30 s for the peer's close frame: a client that ignores it would hold the
    // shutdown that long. unref(): the timer alone never keeps the process up.
    const cut = setTimeout(() => {
      for (const client of clients) client.terminate();
    }, CLOSE_GRACE_MS);
    cut.unref();
    return Promise.all(closed).then(() => clearTimeout(cut));
  }

  async #watch(ws: WebSocket, rid: string): Promise<void> {
    let worker: RoomWorker;
    try {
      worker = this.#service.router.worker(rid);
    } catch (error) {
      ws.close(1013, (error as Error).message.slice(0, 120));
      return;
    }
    worker.retain();
    const unsubscribe = this.#service.hub.subscribe(rid, (event) => {
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.terminate();
      else ws.send(JSON.stringify(event));
    });
    ws.on('close', () => {
      unsubscribe();
      worker.release();
    });
    ws.on('error', () => ws.terminate());
    try {
      const snapshot = await this.#service.snapshot(rid);
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: 'snapshot', rid, at: Date.now(), snapshot }));
      }
    } catch {
      // The room refused (busy or stopping): events still flow; the client can GET the room.
    }
  }

  #proxy(client: WebSocket, owner: string, path: string): void {
    const upstream = new WebSocket(new URL(path, owner.replace(/^http/, 'ws')), {
      headers: { [FORWARDED_HEADER]: this.#ring.self },
      // An owner that accepts the connection but never completes the handshake is given up on.
      handshakeTimeout: this.#service.config.forwardTimeoutMs,
    });
    upstream.on('message', (data) => {
      // A client that cannot keep up is cut off rather than buffered without bound, as watchers are.
      if (client.bufferedAmount > MAX_BUFFERED_BYTES) closeBoth();
      else client.send(data.toString());
    });
    // Watchers are read-only: what a client sends is dropped, never queued for the owner, so a
    // client cannot make this node buffer while the owner is slow to answer.
    const closeBoth = () => {
      client.terminate();
      upstream.terminate();
    };
    upstream.on('close', () => client.close());
    upstream.on('error', (error) => {
      upstream.terminate();
      // 1014: bad gateway, the WebSocket form of the HTTP API's 502.
      client.close(1014, `owner ${owner} unreachable: ${error.message}`.slice(0, 120));
    });
    client.on('close', () => upstream.close());
    client.on('error', closeBoth);
  }
}
