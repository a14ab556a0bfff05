import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDiagnosticsHandler } from 'tiercache/diagnostics';
import { type ClusterNode, joinCluster } from './cluster/index.ts';
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
  /** The cluster membership of this node (static `NODES`, or live members in Redis). */
  cluster: ClusterNode;
  /** Stops taking requests, leaves the cluster, drains every room, closes caches, Redis and the stores. */
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
  let cluster: ClusterNode;
  try {
    cluster = await joinCluster(config, self, service);
  } catch (error) {
    // Not in NODES, or Redis unreachable: give back the port and everything opened so far.
    await new Promise((resolve) => server.close(resolve));
    await service.close();
    warnings.stop();
    throw error;
  }
  const ring = cluster.ring;
  const sockets = serveHttp(server, { service, ring, sampler, warnings, load, diagnostics, guard });
  sampler.start();
  const leakWatch = startServiceLeakWatch();

  let closing: Promise<void> | undefined;
  return {
    url: `${self}/`,
    service,
    server,
    sampler,
    cluster,
    close: () => {
      leakWatch?.stop();
      closing ??= shutdown(server, sockets, service, sampler, load, warnings, cluster);
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
  cluster: ClusterNode,
): Promise<void> {
  // Out of the members first, so the other nodes route this node's rooms to their new owners
  // while its rooms drain and give their leases back.
  await cluster.leave();
  sampler.stop();
  await load.stop();
  const socketsClosed = sockets.close();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await service.close();
  await cluster.close();
  server.closeAllConnections();
  await socketsClosed;
  await closed;
  warnings.stop();
}
