import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { DiagnosticsHandler } from 'tiercache/diagnostics';
import type { NodeRing } from '../cluster/index.ts';
import type { LoadControl } from '../dashboard/load-control.ts';
import type { MetricsSampler } from '../dashboard/metrics-sampler.ts';
import type { WarningLog } from '../dashboard/warning-log.ts';
import type { RoomService } from '../room-service.ts';
import { dashboardApi } from './dashboard-api.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';
import { checkRawPath } from './raw-path.ts';
import { sendError, sendJson, sendRawError } from './respond.ts';
import { roomRoutes } from './room-routes.ts';
import { RoomSockets } from './room-sockets.ts';
import type { ConnectionGuard } from './server-limits.ts';
import { dashboardAssets, sendAsset } from './static-assets.ts';

/** What the HTTP server serves. */
export interface HttpServerDeps {
  service: RoomService;
  ring: NodeRing;
  sampler: MetricsSampler;
  warnings: WarningLog;
  load: LoadControl;
  /** The diagnostics handler mounted under `/debug/` and `/metrics`. */
  diagnostics: DiagnosticsHandler;
  /** The server's connection limits (see `createHttpServer`); peers' connections are exempted. */
  guard?: ConnectionGuard;
}

/** The JSON error a request the HTTP parser refused gets, by the parser's error code. */
function clientErrorResponse(error: NodeJS.ErrnoException): HttpError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(
        431,
        HttpErrorCodes.HEADERS_TOO_LARGE,
        'The request headers exceed 16 KiB; send fewer or shorter headers',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpError(
        408,
        HttpErrorCodes.REQUEST_TIMEOUT,
        'The request was not received in time (headers within 10 s, the whole request within 15 s)',
      );
    default:
      return new HttpError(
        400,
        HttpErrorCodes.BAD_REQUEST,
        `Malformed HTTP request (${error.code ?? error.message})`,
      );
  }
}

/**
 * Serves the room service on `server` (already listening, so the node knows its own URL): the
 * diagnostics under `/debug/` and `/metrics`, the dashboard's page and assets, the room API
 * and room WebSockets, the dashboard's JSON API under `/api/`, and `/healthz`.
 */
export function serveHttp(server: Server, deps: HttpServerDeps): RoomSockets {
  const assets = dashboardAssets();
  const onPeer = (req: IncomingMessage) => deps.guard?.exempt(req.socket as Socket);
  const sockets = new RoomSockets(deps.service, deps.ring, onPeer);
  const rooms = roomRoutes(deps.service, deps.ring, onPeer);
  const api = dashboardApi({ ...deps, sockets });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Before URL parsing, which would turn `/rooms/..` into `/`.
    checkRawPath(req.url);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path.startsWith('/debug/') || path === '/debug' || path === '/metrics') {
      return deps.diagnostics(req, res);
    }
    const asset = req.method === 'GET' ? assets.get(path) : undefined;
    if (asset !== undefined) return sendAsset(res, asset);
    if (await rooms(req, res, path)) return;
    if (path.startsWith('/api/')) return api(req, res, url);
    if (path === '/healthz') return sendJson(res, 200, { ok: true, node: deps.ring.self });
    throw new HttpError(404, HttpErrorCodes.NOT_FOUND, `No route ${req.method} ${path}`);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((error: unknown) => {
      // A body that was refused is not drained: close the connection instead of reading it.
      if (error instanceof HttpError && error.status === 413) res.setHeader('connection', 'close');
      sendError(res, error);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // A failed write to a client that went away must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    try {
      checkRawPath(req.url);
      if (sockets.handleUpgrade(req, socket, head)) return;
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      throw new HttpError(
        404,
        HttpErrorCodes.NOT_FOUND,
        `No WebSocket at ${path}; room events are at /rooms/:rid/events`,
      );
    } catch (error) {
      if (error instanceof HttpError) sendRawError(socket, error);
      else {
        console.error('upgrade failed:', error);
        sendRawError(socket, new HttpError(500, HttpErrorCodes.INTERNAL, 'Internal error'));
      }
    }
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    sendRawError(socket, clientErrorResponse(error));
  });
  return sockets;
}
