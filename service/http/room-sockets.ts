import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { FORWARD_SIGNATURE_HEADER, signForward } from '../cluster/forward-signature.ts';
import { FORWARDED_HEADER, type NodeRing } from '../cluster/index.ts';
import { socketLimit } from '../config.ts';
import type { RoomService } from '../room-service.ts';
import type { RoomWorker } from '../runtime/index.ts';
import { HttpError, HttpErrorCodes, misdirected } from './http-error.ts';
import { isPeerRequest } from './peer-request.ts';
import { sendRawError } from './respond.ts';

const EVENTS_PATH = /^\/rooms\/([A-Za-z0-9_.-]{1,64})\/events$/;

/** How long shutdown waits for clients to answer the close frame before cutting them, in ms. */
const CLOSE_GRACE_MS = 1_000;

// A watcher that cannot keep up is cut off rather than buffered without bound.
const MAX_BUFFERED_BYTES = 1024 * 1024;

// Close codes a proxy passes on from the owner as they are; any other close (1006: the
// connection dropped, the owner died) reaches the client as 1014.
const PASSED_CLOSE_CODES = new Set([1000, 1001, 1011, 1012, 1013, 1014]);

/** Answers an upgrade request with `error`'s status and JSON body instead of a WebSocket. */
function refuseUpgrade(socket: Duplex, error: HttpError): void {
  sendRawError(socket, error);
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

  #onPeer: (req: IncomingMessage) => void;

  constructor(
    service: RoomService,
    ring: NodeRing,
    onPeer: (req: IncomingMessage) => void = () => undefined,
  ) {
    this.#service = service;
    this.#ring = ring;
    this.#onPeer = onPeer;
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
    let fromPeer: boolean;
    try {
      fromPeer = isPeerRequest(req, this.#ring, this.#service.config.clusterSecret);
    } catch (error) {
      refuseUpgrade(socket, error as HttpError);
      return true;
    }
    if (fromPeer) this.#onPeer(req);
    if (owner !== this.#ring.self && fromPeer) {
      refuseUpgrade(socket, misdirected(rid, this.#ring.self, owner));
      return true;
    }
    // A socket a peer node proxies (signed) counts against this node's limit, not its
    // address's: the entry node already applied the per-address limit to the real client.
    const address = fromPeer ? undefined : req.socket.remoteAddress;
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

  /**
   * Relays the owner's events for `path` to `client`. The owner gets FORWARD_TIMEOUT_MS to
   * complete the handshake and, once open, is pinged every half of it and may not stay silent
   * longer: an owner that died, froze or stopped answering closes the client with 1014 (bad
   * gateway), and a reconnect is routed afresh.
   */
  #proxy(client: WebSocket, owner: string, path: string): void {
    const timeoutMs = this.#service.config.forwardTimeoutMs;
    const secret = this.#service.config.clusterSecret;
    const target = new URL(path, owner.replace(/^http/, 'ws'));
    const headers: Record<string, string> = { [FORWARDED_HEADER]: this.#ring.self };
    if (secret !== undefined) {
      headers[FORWARD_SIGNATURE_HEADER] = signForward(
        secret,
        this.#ring.self,
        'GET',
        target.pathname + target.search,
      );
    }
    const upstream = new WebSocket(target, { headers, handshakeTimeout: timeoutMs });
    let reason: string | undefined;
    // The first failure names the close: cutting the upstream raises an error of its own.
    const fail = (why: string) => {
      reason ??= why;
      upstream.terminate();
    };
    let heard = Date.now();
    let heartbeat: NodeJS.Timeout | undefined;
    // The deadline of the whole handshake (connect, upgrade), then the liveness check.
    const deadline = setTimeout(
      () =>
        fail(`owner ${owner} did not open the stream within ${timeoutMs} ms (FORWARD_TIMEOUT_MS)`),
      timeoutMs,
    );
    upstream.on('open', () => {
      clearTimeout(deadline);
      heard = Date.now();
      // Pinged every half deadline; silent for a whole one (pongs and events alike): frozen.
      heartbeat = setInterval(
        () => {
          if (Date.now() - heard > timeoutMs) {
            fail(`owner ${owner} stopped answering pings for ${timeoutMs} ms`);
            return;
          }
          upstream.ping();
        },
        Math.max(1, Math.floor(timeoutMs / 2)),
      );
    });
    upstream.on('pong', () => {
      heard = Date.now();
    });
    upstream.on('message', (data) => {
      heard = Date.now();
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
    upstream.on('close', (code, why) => {
      clearTimeout(deadline);
      clearInterval(heartbeat);
      if (client.readyState !== WebSocket.OPEN) return;
      // 1014: bad gateway, the WebSocket form of the HTTP API's 502.
      if (PASSED_CLOSE_CODES.has(code)) client.close(code, why.toString().slice(0, 120));
      else
        client.close(1014, (reason ?? `owner ${owner} closed the stream (${code})`).slice(0, 120));
    });
    upstream.on('error', (error) => fail(`owner ${owner} unreachable: ${error.message}`));
    client.on('close', () => {
      clearTimeout(deadline);
      clearInterval(heartbeat);
      if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
      else upstream.close();
    });
    client.on('error', closeBoth);
  }
}
