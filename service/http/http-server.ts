import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { DiagnosticsHandler } from 'tiercache/diagnostics';
import type { NodeRing } from '../cluster/index.ts';
import type { LoadControl } from '../dashboard/load-control.ts';
import type { MetricsSampler } from '../dashboard/metrics-sampler.ts';
import type { WarningLog } from '../dashboard/warning-log.ts';
import type { RoomService } from '../room-service.ts';
import { dashboardApi } from './dashboard-api.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';
import { sendError, sendJson } from './respond.ts';
import { roomRoutes } from './room-routes.ts';
import { RoomSockets } from './room-sockets.ts';
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
}

/**
 * Serves the room service on `server` (already listening, so the node knows its own URL): the
 * diagnostics under `/debug/` and `/metrics`, the dashboard's page and assets, the room API
 * and room WebSockets, the dashboard's JSON API under `/api/`, and `/healthz`.
 */
export function serveHttp(server: Server, deps: HttpServerDeps): RoomSockets {
  const assets = dashboardAssets();
  const sockets = new RoomSockets(deps.service, deps.ring);
  const rooms = roomRoutes(deps.service, deps.ring);
  const api = dashboardApi({ ...deps, sockets });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  server.on('upgrade', (req, socket, head) => {
    if (!sockets.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
    }
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  return sockets;
}
