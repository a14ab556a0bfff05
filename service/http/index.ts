/**
 * The service's HTTP and WebSocket face: the room API with schema-validated, size-bounded JSON
 * bodies and `TIERCACHE_` error codes, forwarding to the owner node (honoured only when a peer
 * signed it), a WebSocket per room, the dashboard's page and JSON API, the diagnostics mounted
 * under `/debug/`, and the server's limits: timeouts, connection caps, paths checked before
 * URL parsing.
 *
 * @module
 */

export { type DashboardApiDeps, dashboardApi } from './dashboard-api.ts';
export { HttpError, HttpErrorCodes, toErrorResponse } from './http-error.ts';
export { type HttpServerDeps, serveHttp } from './http-server.ts';
export { readJsonBody, requireJsonType } from './read-body.ts';
export { sendError, sendJson } from './respond.ts';
export { roomRoutes } from './room-routes.ts';
export { RoomSockets } from './room-sockets.ts';
export {
  ConnectionGuard,
  connectionLimits,
  createHttpServer,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
} from './server-limits.ts';
