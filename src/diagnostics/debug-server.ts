import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InsecureDebugError } from '../errors.ts';
import { integerOption, stringOption } from '../options-check.ts';
import { isLoopback, validateToken } from './auth.ts';
import { createDiagnosticsRoutes, type DiagnosticsHandlerOptions } from './handler.ts';

/** Options of {@link startDebugServer}. */
export interface DebugServerOptions extends Omit<DiagnosticsHandlerOptions, 'prefix'> {
  /**
   * Address to bind. Anything but a loopback address requires `token`.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * TCP port; 0 picks a free one (read it back from `port`).
   * @default 6060 (the port Go services conventionally serve pprof on)
   */
  port?: number;
}

/** A running debug server. */
export interface DebugServer {
  /** Base URL, e.g. `http://127.0.0.1:6060`; append `/debug/pprof/heap`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The underlying `node:http` server. */
  readonly server: Server;
  /**
   * Stops listening, closes open connections, and ends the server's use of diagnostics: the
   * heap sampler and monitors stop unless something else (another server, a started LeakWatch,
   * `enableDiagnostics()`) still uses them.
   */
  close(): Promise<void>;
}

/**
 * Starts a dedicated HTTP server for the diagnostics routes and enables diagnostics. Binds
 * 127.0.0.1 by default; binding any other address without a `token` throws
 * `InsecureDebugError` (`TIERCACHE_INSECURE_DEBUG`) before anything listens.
 */
export async function startDebugServer(options: DebugServerOptions = {}): Promise<DebugServer> {
  const host = stringOption('host', options.host, '127.0.0.1', true);
  const port = integerOption('port', options.port, 6060, 0, 65535);
  const token = validateToken(options.token);
  if (token === undefined && !isLoopback(host)) {
    throw new InsecureDebugError(
      `Refusing to serve profiles and memory reports on ${host} without a token: ` +
        'pass { token } (16+ characters) or bind 127.0.0.1',
    );
  }
  const { handler, release } = createDiagnosticsRoutes({ ...options, prefix: '' });
  const server = createServer((req, res) => handler(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await release(); // a port in use must not leave the sampler on for a server that never ran
    throw err;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    server,
    close: async () => {
      try {
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeAllConnections();
        });
      } finally {
        await release();
      }
    },
  };
}
