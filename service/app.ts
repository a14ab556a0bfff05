import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDiagnosticsHandler } from 'tiercache/diagnostics';
import { NodeRing } from './cluster/index.ts';
import { checkConfig, type ServiceConfig } from './config.ts';
import { LoadControl, MetricsSampler, WarningLog } from './dashboard/index.ts';
import { startServiceLeakWatch } from './dashboard/service-leak-watch.ts';
import { createHttpServer, type RoomSockets, serveHttp } from './http/index.ts';
import { RoomService } from './room-service.ts';

/** A running node of the room service. */
export interface App {
  /** The base URL it serves, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  service: RoomService;
  server: Server;
  sampler: MetricsSampler;
  /** Stops taking requests, drains every room, closes caches, Redis and SQLite. */
  close(): Promise<void>;
}

/**
 * Starts a node: the room service, the metrics sampler and warning log behind the dashboard,
 * the HTTP + WebSocket server with diagnostics under `/debug/`, listening on `host:port`.
 */
export async function startApp(config: ServiceConfig): Promise<App> {
  checkConfig(config);
  const warnings = new WarningLog();
  warnings.start();
  const service = new RoomService(config);
  const sampler = new MetricsSampler(service);
  const load = new LoadControl(service);
  const diagnostics = createDiagnosticsHandler(
    config.debugToken === undefined ? {} : { token: config.debugToken },
  );

  // Listen first: the node's own URL (its entry in NODES) is known only once the port is.
  // Timeouts, connection caps and accept-error handling: see service/http/server-limits.ts.
  const { server, guard } = createHttpServer(config);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await service.close();
    warnings.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const self = config.nodeUrl ?? `http://${host}:${port}`;
  let ring: NodeRing;
  try {
    ring = new NodeRing(self, config.nodes);
  } catch (error) {
    // This node is not in NODES: give back the port and everything opened so far.
    await new Promise((resolve) => server.close(resolve));
    await service.close();
    warnings.stop();
    throw error;
  }
  const sockets = serveHttp(server, { service, ring, sampler, warnings, load, diagnostics, guard });
  sampler.start();
  const leakWatch = startServiceLeakWatch();

  let closing: Promise<void> | undefined;
  return {
    url: `${self}/`,
    service,
    server,
    sampler,
    close: () => {
      leakWatch?.stop();
      closing ??= shutdown(server, sockets, service, sampler, load, warnings);
      return closing;
    },
  };
}

async function shutdown(
  server: Server,
  sockets: RoomSockets,
  service: RoomService,
  sampler: MetricsSampler,
  load: LoadControl,
  warnings: WarningLog,
): Promise<void> {
  sampler.stop();
  await load.stop();
  const socketsClosed = sockets.close();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await service.close();
  server.closeAllConnections();
  await socketsClosed;
  await closed;
  warnings.stop();
}
