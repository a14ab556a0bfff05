import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceConfig } from '../config.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';
import { sendRawError } from './respond.ts';

/**
 * Time a client has to send a request's headers, the first request's included (so it is also
 * how long a connection that never sends anything is held), in ms.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
/**
 * Time a client has to send a whole request, body included, in ms: a 16 KiB body (the default
 * MAX_BODY_BYTES) fits at about 1.1 KiB/s, far below any working link.
 */
export const REQUEST_TIMEOUT_MS = 15_000;
/**
 * How long an idle keep-alive connection is kept between requests, in ms (sent as
 * `Keep-Alive: timeout=5`). The nodes' forwarding agent drops its idle sockets after 4 s, so a
 * forward never races the close.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often the server checks the two timeouts above, in ms (Node's default is 30 s). */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Connections per client address at most when MAX_CONNECTIONS_PER_ADDRESS is unset. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
// Connections past the soft limit that are still accepted (to answer them a 503) before Node
// drops new ones unanswered.
const HARD_LIMIT_HEADROOM = 64;
// Descriptors kept for everything but client connections (SQLite, Redis, peers, logs).
const RESERVED_DESCRIPTORS = 64;

/** The soft open-files limit (`ulimit -n`) from /proc/self/limits, or undefined off Linux. */
export function openFilesLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    return match === null || match[1] === 'unlimited' ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * The connection limits a node applies: `total` (MAX_CONNECTIONS, by default three quarters of
 * the open-files limit, and always below it) and `perAddress` (MAX_CONNECTIONS_PER_ADDRESS).
 */
export function connectionLimits(config: ServiceConfig): { total: number; perAddress: number } {
  const files = openFilesLimit();
  const fallback =
    files === undefined ? 16_384 : Math.max(16, Math.floor(files * 0.75), files - 4_096);
  const cap =
    files === undefined ? Number.POSITIVE_INFINITY : Math.max(16, files - RESERVED_DESCRIPTORS);
  const total = config.maxConnections ?? Math.min(fallback, cap);
  const perAddress =
    config.maxConnectionsPerAddress ?? Math.min(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, total);
  return { total, perAddress };
}

/** Counts the connections a node holds and refuses those past its limits; see {@link createHttpServer}. */
export class ConnectionGuard {
  readonly total: number;
  readonly perAddress: number;
  #open = 0;
  #byAddress = new Map<string, number>();
  #exempt = new WeakSet<Socket>();
  #acceptErrors = 0;
  #lastAcceptLog = 0;
  #refused = 0;

  constructor(limits: { total: number; perAddress: number }) {
    this.total = limits.total;
    this.perAddress = limits.perAddress;
  }

  /** Open client connections now, and those refused or failed to accept since start. */
  stats(): { open: number; refused: number; acceptErrors: number } {
    return { open: this.#open, refused: this.#refused, acceptErrors: this.#acceptErrors };
  }

  /** Counts a new connection, or answers it a 503 and closes it when it is past a limit. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined) {
      socket.destroy();
      return;
    }
    const fromAddress = this.#byAddress.get(address) ?? 0;
    if (this.#open >= this.total) {
      this.#refuse(socket, 'this node', this.total, 'MAX_CONNECTIONS');
      return;
    }
    if (fromAddress >= this.perAddress) {
      this.#refuse(socket, `address ${address}`, this.perAddress, 'MAX_CONNECTIONS_PER_ADDRESS');
      return;
    }
    this.#open += 1;
    this.#byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.#open -= 1;
      if (!this.#exempt.has(socket)) this.#release(address);
    });
  }

  /**
   * Stops counting `socket` against its address: a peer node proved by a signed request, whose
   * forwarded connections stand for many clients (each already counted on the entry node).
   */
  exempt(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined || this.#exempt.has(socket)) return;
    this.#exempt.add(socket);
    this.#release(address);
  }

  /** Records a failed accept (EMFILE, ENFILE: out of descriptors) and logs it at most every 10 s. */
  acceptFailed(error: Error): void {
    this.#acceptErrors += 1;
    const now = Date.now();
    if (now - this.#lastAcceptLog >= 10_000) {
      this.#lastAcceptLog = now;
      console.error(
        `accepting a connection failed (${this.#acceptErrors} so far): ${error.message}; raise \`ulimit -n\` or lower MAX_CONNECTIONS`,
      );
    }
  }

  #release(address: string): void {
    const left = (this.#byAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.#byAddress.delete(address);
    else this.#byAddress.set(address, left);
  }

  #refuse(socket: Socket, who: string, limit: number, option: string): void {
    this.#refused += 1;
    // A write to a socket that is never read can fail (reset): that must not reach the process.
    socket.on('error', () => socket.destroy());
    sendRawError(
      socket,
      new HttpError(
        503,
        HttpErrorCodes.TOO_MANY_CONNECTIONS,
        `${who} has ${limit} connections open already (${option}); retry later`,
      ),
      true,
    );
  }
}

/**
 * The node's HTTP server with its limits: header, request and keep-alive timeouts (checked every
 * second), a connection cap per node and per client address answered with 503
 * `TIERCACHE_TOO_MANY_CONNECTIONS`, a hard `maxConnections` above it, and failed accepts (out of
 * descriptors) logged instead of killing the process.
 */
export function createHttpServer(config: ServiceConfig): {
  server: Server;
  guard: ConnectionGuard;
} {
  const guard = new ConnectionGuard(connectionLimits(config));
  const server = createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  });
  server.maxConnections = guard.total + HARD_LIMIT_HEADROOM;
  server.on('connection', (socket: Socket) => guard.admit(socket));
  // Without a listener, a failed accept (EMFILE when out of descriptors) is an uncaught 'error'
  // that exits the process. libuv has already closed the pending connection; keep serving.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.syscall === 'accept') guard.acceptFailed(error);
    else if (server.listening) console.error('HTTP server error:', error);
  });
  return { server, guard };
}
