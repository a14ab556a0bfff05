import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type ServiceConfig, startApp } from '../../../service/index.ts';

/** A parsed JSON body: tests assert on its fields directly. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies have many shapes; assertions check them
export type Json = any;

/** A service configuration for tests: a free loopback port, a throwaway SQLite file, small seeds. */
export function testConfig(overrides: Partial<ServiceConfig> = {}): {
  config: ServiceConfig;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-rooms-'));
  return {
    config: {
      host: '127.0.0.1',
      port: 0,
      nodes: [],
      nodeUrl: undefined,
      dataPath: join(dir, 'rooms.sqlite'),
      seedUsers: 500,
      redisUrl: undefined,
      cacheName: `test-rooms-${process.pid}-${Date.now()}`,
      debugToken: undefined,
      roomIdleMs: 60_000,
      maxRooms: 1000,
      mailboxSize: 500,
      maxBodyBytes: 16 * 1024,
      cacheMode: 'shared',
      bugStoreBytes: 1024 * 1024,
      forwardTimeoutMs: 5_000,
      maxSockets: undefined,
      maxSocketsPerAddress: 16,
      // Required once `nodes` names several nodes; harmless on a single one.
      clusterSecret: 'test-cluster-secret-0123456789',
      ...overrides,
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts a node for a test; `close()` stops it and deletes its data. */
export async function startTestApp(
  overrides: Partial<ServiceConfig> = {},
): Promise<App & { base: string }> {
  const { config, cleanup } = testConfig(overrides);
  const app = await startApp(config);
  return {
    ...app,
    base: app.url.replace(/\/$/, ''),
    close: async () => {
      await app.close();
      cleanup();
    },
  };
}

/** POSTs JSON and returns the status, headers and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** GETs JSON and returns the status, headers and parsed body. */
export async function getJson(
  url: string,
): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: await res.json() };
}
