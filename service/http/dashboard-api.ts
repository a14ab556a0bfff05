import type { IncomingMessage, ServerResponse } from 'node:http';
import { memoryStores } from 'tiercache';
import { z } from 'zod';
import { BUG_MODE_SCALE } from '../cache/index.ts';
import type { NodeRing } from '../cluster/index.ts';
import { collectGarbage } from '../dashboard/full-gc.ts';
import type { LoadControl } from '../dashboard/load-control.ts';
import type { MetricsSampler } from '../dashboard/metrics-sampler.ts';
import type { WarningLog } from '../dashboard/warning-log.ts';
import type { RoomService } from '../room-service.ts';
import { createControlGuard } from './control-auth.ts';
import { HttpError, HttpErrorCodes } from './http-error.ts';
import { readJsonBody, requireJsonType } from './read-body.ts';
import { sendJson } from './respond.ts';
import type { RoomSockets } from './room-sockets.ts';
import type { ConnectionGuard } from './server-limits.ts';
import { validate } from './validate.ts';

/** What the dashboard's API reads and drives. */
export interface DashboardApiDeps {
  service: RoomService;
  ring: NodeRing;
  sampler: MetricsSampler;
  warnings: WarningLog;
  load: LoadControl;
  sockets: RoomSockets;
  /** The server's connection limits, reported under `connections` in `GET /api/state`. */
  guard?: ConnectionGuard | undefined;
}

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

/**
 * The dashboard's JSON API under `/api/`: `GET metrics` (samples, `?since=`), `GET state`,
 * `GET stores`, `POST mode`, `POST load` (start / stop) and `POST gc` (every POST with a JSON
 * content-type). Guarded like `/debug/` (loopback clients, or the debug token), and against
 * other sites' pages: a foreign `Origin` or a non-loopback `Host` is refused.
 */
export function dashboardApi(
  deps: DashboardApiDeps,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { service } = deps;
  const maxBody = service.config.maxBodyBytes;
  const guard = createControlGuard(service.config.debugToken);

  function state() {
    const stores = memoryStores();
    return {
      node: deps.ring.self,
      nodes: deps.ring.nodes,
      mode: service.modes.mode,
      ownCaches: service.modes.stats(),
      rooms: service.router.stats(),
      redis: service.redis !== undefined,
      cacheErrors: service.cacheErrors,
      handlerErrors: service.handlerErrors,
      load: deps.load.status(),
      warnings: deps.warnings.list(),
      stores: {
        count: stores.length,
        reservedBytes: stores.reduce((sum, s) => sum + s.reservedBytes, 0),
      },
      bugScale: { ...BUG_MODE_SCALE, storeBytes: service.config.bugStoreBytes },
      sockets: deps.sockets.clients,
      connections: deps.guard?.stats(),
      memory: process.memoryUsage(),
    };
  }

  return async (req, res, url) => {
    guard(req, url);
    const method = req.method ?? 'GET';
    // Every action is a POST with a JSON content-type, bodyless ones included (see requireJsonType).
    if (method === 'POST') requireJsonType(req);
    switch (`${method} ${url.pathname}`) {
      case 'GET /api/metrics':
        return sendJson(res, 200, deps.sampler.samples(Number(url.searchParams.get('since') ?? 0)));
      case 'GET /api/state':
        return sendJson(res, 200, state());
      case 'GET /api/stores':
        return sendJson(res, 200, memoryStores());
      case 'POST /api/mode': {
        const { mode } = validate(ModeSchema, await readJsonBody(req, maxBody), 'mode');
        // No GC here: closed stores' chunk pages leave RSS at close (the slab pool), and the
        // library's reclaimer has V8 collect their objects (docs/diagnostics.md, "Dashboard replay").
        return sendJson(res, 200, await service.setMode(mode));
      }
      case 'POST /api/gc':
        return sendJson(res, 200, await collectGarbage());
      case 'POST /api/load': {
        const body = await readJsonBody(req, maxBody);
        const { action, ...options } = validate(LoadSchema, body, 'load request');
        if (action === 'stop') {
          await deps.load.stop();
          return sendJson(res, 200, deps.load.status());
        }
        return sendJson(res, 202, deps.load.start(options));
      }
      default:
        throw new HttpError(404, HttpErrorCodes.NOT_FOUND, `No route ${method} ${url.pathname}`);
    }
  };
}
