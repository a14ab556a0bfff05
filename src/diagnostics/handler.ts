import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Profile } from 'pprof-format';
import {
  ErrorCodes,
  InvalidOptionTypeError,
  MissingDependencyError,
  ProfileBusyError,
} from '../errors.ts';
import { createAuthorizer, validateToken } from './auth.ts';
import { takeCpuProfile } from './cpu-profiler.ts';
import { type DiagnosticsOptions, useDiagnostics } from './enable.ts';
import {
  heapSamplerState,
  takeAllocsProfile,
  takeHeapProfile,
  validateSamplingInterval,
} from './heap-profiler.ts';
import { renderIndexPage } from './index-page.ts';
import { collectMemstats } from './memstats.ts';
import { createMetricsRegistry, type MetricsRegistry } from './metrics.ts';
import { encodeProfile } from './pprof-builder.ts';

/** Longest profile window a request may ask for, seconds. */
export const MAX_PROFILE_SECONDS = 60;
/** Window used when a request gives no `seconds`, as Go's `/debug/pprof/profile` does. */
export const DEFAULT_PROFILE_SECONDS = 30;

/** Options of {@link createDiagnosticsHandler}. */
export interface DiagnosticsHandlerOptions extends DiagnosticsOptions {
  /**
   * Path the routes live under, e.g. `/admin` serves `/admin/debug/pprof/heap`. Leave it empty
   * when the framework strips its mount path itself (Express `app.use('/admin', handler)`).
   * @default ''
   */
  prefix?: string;
  /**
   * Shared secret (at least 16 characters) every request must carry as
   * `Authorization: Bearer <token>` or `?token=`. Without it only loopback clients are served,
   * never a request carrying a proxy header, and only under a loopback `Host` (see `loopbackTrust`).
   */
  token?: string;
  /**
   * The application's prom-client `Registry`: `/metrics` adds the tiercache metrics to it and
   * serves it whole, so one scrape gets both. @default a registry of tiercache's own
   */
  metricsRegistry?: MetricsRegistry;
}

/**
 * A `node:http` request handler; `next` (Express / Connect style) is called for paths it does
 * not own, otherwise those get a 404.
 */
export type DiagnosticsHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void;

/**
 * Creates the handler for `/debug/pprof/*`, `/debug/memstats` and `/metrics` and enables
 * diagnostics (the in-use heap sampler starts now). Routes:
 * `/debug/pprof/` (index), `heap[?gc=1]`, `allocs?seconds=N`, `profile?seconds=N`. A handler
 * has no end, so it keeps diagnostics on for the rest of the process.
 */
export function createDiagnosticsHandler(
  options: DiagnosticsHandlerOptions = {},
): DiagnosticsHandler {
  return createDiagnosticsRoutes(options).handler;
}

/**
 * The handler plus `release()`, which ends its use of diagnostics: the debug server calls it on
 * close so the heap sampler and monitors stop once nothing else uses them.
 */
export function createDiagnosticsRoutes(options: DiagnosticsHandlerOptions = {}): {
  handler: DiagnosticsHandler;
  release(): Promise<void>;
} {
  const prefix = validatePrefix(options.prefix);
  const authorize = createAuthorizer(validateToken(options.token));
  validateSamplingInterval(options.heapSamplingIntervalBytes);
  if (
    options.metricsRegistry !== undefined &&
    typeof options.metricsRegistry?.registerMetric !== 'function'
  ) {
    throw new InvalidOptionTypeError('metricsRegistry', 'must be a prom-client Registry');
  }
  // Built on the first scrape: prom-client is optional and only /metrics needs it.
  let registry: MetricsRegistry | undefined;
  const use = useDiagnostics({ ...options, monitors: true });
  const enabled = use.ready;
  // A failure here resurfaces on the first profile request; never as an unhandled rejection.
  enabled.catch(() => undefined);

  // A Map, not an object literal: a path such as `/constructor` must not find a prototype member.
  const routes = new Map<string, (res: ServerResponse, url: URL) => Promise<void>>(
    Object.entries({
      '/debug/pprof': async (res) => sendIndex(res, prefix),
      '/debug/pprof/': async (res) => sendIndex(res, prefix),
      '/debug/pprof/heap': async (res, url) => {
        await enabled;
        const gc = url.searchParams.get('gc');
        const profile = await takeHeapProfile({ gc: gc === '1' || gc === 'true' });
        const since = heapSamplerState().inuseSince;
        if (since !== undefined)
          res.setHeader('X-Tiercache-Inuse-Since', new Date(since).toISOString());
        sendProfile(res, profile, 'heap');
      },
      '/debug/pprof/allocs': async (res, url) => {
        // Listen for the hang-up before awaiting: a client gone while enabling was pending
        // would otherwise hold the profile lock for a window nobody reads.
        const signal = abortOnHangUp(res);
        await enabled;
        if (signal.aborted) return; // nobody to send it to: leave the in-use sampler alone
        const seconds = parseSeconds(url);
        if (typeof seconds === 'string')
          return sendError(res, 400, ErrorCodes.INVALID_ARGUMENT, seconds);
        const profile = await takeAllocsProfile(seconds, { signal });
        const since = heapSamplerState().inuseSince;
        // The one V8 heap sampler was taken for the window: say so where the client can see it.
        if (since !== undefined)
          res.setHeader('X-Tiercache-Inuse-Restarted', new Date(since).toISOString());
        sendProfile(res, profile, 'allocs');
      },
      '/debug/pprof/profile': async (res, url) => {
        const seconds = parseSeconds(url);
        if (typeof seconds === 'string')
          return sendError(res, 400, ErrorCodes.INVALID_ARGUMENT, seconds);
        sendProfile(res, await takeCpuProfile(seconds, { signal: abortOnHangUp(res) }), 'profile');
      },
      '/debug/memstats': async (res) => {
        sendBody(
          res,
          200,
          'application/json; charset=utf-8',
          `${JSON.stringify(collectMemstats(), null, 2)}\n`,
        );
      },
      '/metrics': async (res) => {
        try {
          registry ??= createMetricsRegistry({ registry: options.metricsRegistry });
        } catch (err) {
          if (!(err instanceof MissingDependencyError)) throw err;
          return sendError(res, 501, err.code, err.message);
        }
        sendBody(res, 200, registry.contentType, await registry.metrics());
      },
    }),
  );

  const handler: DiagnosticsHandler = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : undefined;
    const route = path === undefined ? undefined : routes.get(path);
    if (route === undefined) {
      if (next !== undefined) return next();
      return sendError(res, 404, 'TIERCACHE_NOT_FOUND', `No diagnostics route at ${url.pathname}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(
        res,
        405,
        'TIERCACHE_METHOD_NOT_ALLOWED',
        `${req.method} is not supported; use GET`,
      );
    }
    const verdict = authorize(req, url);
    if (verdict === 'unauthorized') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="tiercache diagnostics"');
      return sendError(res, 401, 'TIERCACHE_UNAUTHORIZED', 'Missing or wrong diagnostics token');
    }
    if (verdict === 'forbidden') {
      return sendError(
        res,
        403,
        'TIERCACHE_FORBIDDEN',
        'Diagnostics without a token are served to direct loopback clients only (no proxy headers, a loopback Host); configure a token',
      );
    }
    route(res, url).catch((err: unknown) => {
      if (err instanceof ProfileBusyError) {
        res.setHeader('Retry-After', '1');
        return sendError(res, 409, err.code, err.message);
      }
      sendError(
        res,
        500,
        'TIERCACHE_DIAGNOSTICS_FAILED',
        err instanceof Error ? err.message : String(err),
      );
    });
  };
  return { handler, release: use.release };
}

function validatePrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
    throw new InvalidOptionTypeError(
      'prefix',
      `expected a path starting with "/", got ${String(prefix)}`,
    );
  }
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** Reads `seconds`; returns the reason as a string when it is not a number in (0, 60]. */
function parseSeconds(url: URL): number | string {
  const raw = url.searchParams.get('seconds');
  if (raw === null) return DEFAULT_PROFILE_SECONDS;
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_PROFILE_SECONDS)) {
    return `Query parameter "seconds" must be a number greater than 0 and at most ${MAX_PROFILE_SECONDS}, got "${raw}"`;
  }
  return seconds;
}

/** A signal that aborts when the client goes away before the response is sent. */
function abortOnHangUp(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  // The response closes early when the connection drops before it is sent.
  if (res.destroyed) onClose();
  else res.once('close', onClose);
  return controller.signal;
}

function sendIndex(res: ServerResponse, prefix: string): void {
  sendBody(res, 200, 'text/html; charset=utf-8', renderIndexPage(prefix, heapSamplerState()));
}

function sendProfile(res: ServerResponse, profile: Profile, name: string): void {
  res.setHeader('Content-Disposition', `attachment; filename="${name}.pb.gz"`);
  sendBody(res, 200, 'application/octet-stream', encodeProfile(profile));
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendBody(
    res,
    status,
    'application/json; charset=utf-8',
    `${JSON.stringify({ error: { code, message } })}\n`,
  );
}

function sendBody(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
