import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { memoryStores } from 'tiercache';
import type { DiagnosticsHandler } from 'tiercache/diagnostics';
import { z } from 'zod';
import { BUG_MODE_SCALE } from '../cache/index.ts';
import { FORWARDED_HEADER, forwardRequest, NODE_HEADER, type NodeRing } from '../cluster/index.ts';
import { collectGarbage } from '../dashboard/full-gc.ts';
import type { LoadControl } from '../dashboard/load-control.ts';
import type { MetricsSampler } from '../dashboard/metrics-sampler.ts';
import type { WarningLog } from '../dashboard/warning-log.ts';
import { RoomIdSchema, RoomMessageSchema } from '../room/index.ts';
import type { RoomService } from '../room-service.ts';
import { createControlGuard } from './control-auth.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';
import { readJsonBody } from './read-body.ts';
import { sendError, sendJson } from './respond.ts';
import { RoomSockets } from './room-sockets.ts';
import { dashboardAssets, sendAsset } from './static-assets.ts';
import { validate } from './validate.ts';

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

const ROOM_PATH = /^\/rooms\/([^/]+)(\/messages|\/stats)?$/;
const USER_PATH = /^\/users\/([^/]+)$/;

const ModeSchema = z.object({ mode: z.enum(['shared', 'per-room']) }).strict();
const LoadSchema = z
  .object({
    action: z.enum(['start', 'stop']),
    rooms: z.number().int().min(1).max(2000).optional(),
    bots: z.number().int().min(1).max(5000).optional(),
    seconds: z.number().int().min(1).max(3600).optional(),
    thinkMs: z.number().int().min(10).max(10_000).optional(),
    churnMs: z.number().int().min(0).max(60_000).optional(),
  })
  .strict();
const UserIdSchema = z.coerce.number().int().min(1).max(2_147_483_647);

/**
 * Serves the room service on `server` (already listening, so the node knows its own URL):
 * the room API the room API (`POST /rooms/:rid/messages`, `GET /rooms/:rid`,
 * `GET /rooms/:rid/stats`, `GET /rooms`, `GET /users/:id`), the room WebSockets, the dashboard
 * and its JSON API (`/api/*`), and the diagnostics under `/debug/`. Room requests for a rid
 * this node does not own are forwarded to the owner.
 */
export function serveHttp(server: Server, deps: HttpServerDeps): RoomSockets {
  const { service, ring } = deps;
  const assets = dashboardAssets();
  const sockets = new RoomSockets(service, ring);
  const maxBody = service.config.maxBodyBytes;
  const guardControl = createControlGuard(service.config.debugToken);

  async function handleRoom(
    req: IncomingMessage,
    res: ServerResponse,
    rawRid: string,
    tail: string | undefined,
  ): Promise<void> {
    const rid = validate(RoomIdSchema, decodeURIComponent(rawRid), 'room id');
    const method = req.method ?? 'GET';
    const allowed = tail === '/messages' ? 'POST' : 'GET';
    if (method !== allowed) {
      throw new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, `Use ${allowed} on ${req.url}`);
    }
    // The body is read (bounded) before forwarding, so an oversized one never crosses nodes.
    const body = method === 'POST' ? await readJsonBody(req, maxBody) : undefined;
    const owner = ring.owner(rid);
    if (owner !== ring.self && req.headers[FORWARDED_HEADER] === undefined) {
      const raw = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return forwardRequest(req, res, owner, ring.self, raw);
    }
    const headers = { [NODE_HEADER]: ring.self };
    if (tail === '/messages') {
      const message = validate(RoomMessageSchema, body, 'room message');
      const delivery = await service.deliver(rid, message);
      return sendJson(
        res,
        delivery.status,
        delivery.status === 200 ? delivery.reply : { queued: true },
        headers,
      );
    }
    if (tail === '/stats') {
      const worker = service.router.get(rid);
      if (worker === undefined) {
        throw new HttpError(
          404,
          HttpErrorCodes.NOT_FOUND,
          `Room "${rid}" is not live on this node`,
        );
      }
      return sendJson(res, 200, await worker.command('stats'), headers);
    }
    return sendJson(res, 200, await service.snapshot(rid), headers);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    guardControl(req, url);
    const method = req.method ?? 'GET';
    switch (`${method} ${url.pathname}`) {
      case 'GET /api/metrics':
        return sendJson(res, 200, deps.sampler.samples(Number(url.searchParams.get('since') ?? 0)));
      case 'GET /api/state':
        return sendJson(res, 200, state());
      case 'GET /api/stores':
        return sendJson(res, 200, memoryStores());
      case 'POST /api/mode': {
        const { mode } = validate(ModeSchema, await readJsonBody(req, maxBody), 'mode');
        const switched = await service.setMode(mode);
        // Stores closed by the switch free their arenas only at a major GC: run one now.
        const gc = switched.released > 0 ? await collectGarbage() : undefined;
        return sendJson(res, 200, { ...switched, gc });
      }
      case 'POST /api/gc':
        return sendJson(res, 200, await collectGarbage());
      case 'POST /api/load': {
        const { action, ...options } = validate(
          LoadSchema,
          await readJsonBody(req, maxBody),
          'load request',
        );
        if (action === 'stop') {
          await deps.load.stop();
          return sendJson(res, 200, deps.load.status());
        }
        return sendJson(res, 202, deps.load.start(options));
      }
      default:
        throw new HttpError(404, HttpErrorCodes.NOT_FOUND, `No route ${method} ${url.pathname}`);
    }
  }

  function state() {
    const stores = memoryStores();
    return {
      node: ring.self,
      nodes: ring.nodes,
      mode: service.modes.mode,
      ownCaches: service.modes.stats(),
      rooms: service.router.stats(),
      redis: service.redis !== undefined,
      load: deps.load.status(),
      warnings: deps.warnings.list(),
      stores: {
        count: stores.length,
        reservedBytes: stores.reduce((sum, s) => sum + s.reservedBytes, 0),
      },
      bugScale: { ...BUG_MODE_SCALE, storeBytes: service.config.bugStoreBytes },
      sockets: sockets.clients,
      memory: process.memoryUsage(),
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path.startsWith('/debug/') || path === '/debug' || path === '/metrics') {
      return deps.diagnostics(req, res);
    }
    const asset = req.method === 'GET' ? assets.get(path) : undefined;
    if (asset !== undefined) return sendAsset(res, asset);
    const room = ROOM_PATH.exec(path);
    if (room !== null) return handleRoom(req, res, room[1]!, room[2]);
    if (path === '/rooms' && req.method === 'GET') {
      const rooms = service.router.rids().map((rid) => {
        const worker = service.router.get(rid);
        return { rid, pending: worker?.pending ?? 0, handled: worker?.handled ?? 0 };
      });
      return sendJson(res, 200, { node: ring.self, rooms });
    }
    const user = USER_PATH.exec(path);
    if (user !== null && req.method === 'GET') {
      const id = validate(UserIdSchema, user[1], 'user id');
      const profile = await service.profiles.one(id);
      if (profile === undefined) {
        throw new HttpError(404, HttpErrorCodes.NOT_FOUND, `No user with id ${id}`);
      }
      return sendJson(res, 200, profile);
    }
    if (path === '/healthz') return sendJson(res, 200, { ok: true, node: ring.self });
    if (path.startsWith('/api/')) return handleApi(req, res, url);
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
