import { isIP } from 'node:net';
import { join } from 'node:path';
import { InsecureDebugError, InvalidOptionError } from 'tiercache/errors';
import type { CacheMode } from './cache/index.ts';

/** Everything the service can be told, with the environment variable that sets each. */
export interface ServiceConfig {
  /** Address to listen on (`HOST`). Not a loopback address? Then `debugToken` is required. @default '127.0.0.1' */
  host: string;
  /** Port (`PORT`); 0 picks a free one. @default 8080 */
  port: number;
  /**
   * Base URLs of every node sharing the rooms (`NODES`, comma-separated), this one included.
   * Empty: this node owns every room. @default []
   */
  nodes: string[];
  /** This node's own base URL as it appears in `nodes` (`NODE_URL`). @default http://HOST:PORT */
  nodeUrl: string | undefined;
  /** SQLite file of the users table (`DATA_PATH`). @default .data/rooms.sqlite */
  dataPath: string;
  /** Demo users seeded into an empty database (`SEED_USERS`). @default 10_000 */
  seedUsers: number;
  /** Redis for the cache's second tier (`REDIS_URL`); unset: memory + SQLite only. */
  redisUrl: string | undefined;
  /** The profile cache's name: its Redis key prefix and bus channel (`CACHE_NAME`). @default 'rooms-profiles' */
  cacheName: string;
  /** Bearer token for `/debug/` (`DEBUG_TOKEN`, at least 16 characters). */
  debugToken: string | undefined;
  /** A room with no activity for this long is stopped, in ms (`ROOM_IDLE_MS`). @default 30_000 */
  roomIdleMs: number;
  /** Live rooms per node at most (`MAX_ROOMS`). @default 5_000 */
  maxRooms: number;
  /** Mailbox depth of each room (`MAILBOX_SIZE`). @default 500 */
  mailboxSize: number;
  /** Largest request body, in bytes (`MAX_BODY_BYTES`). @default 16 KiB */
  maxBodyBytes: number;
  /** Cache mode at start (`CACHE_MODE`: `shared` or `per-room`). @default 'shared' */
  cacheMode: CacheMode;
  /** What each room's own store preallocates in per-room mode, in bytes (`BUG_STORE_BYTES`). @default 8 MiB */
  bugStoreBytes: number;
  /**
   * How long a forwarded request or proxied WebSocket handshake waits on the owner node before
   * the client gets a 502 `TIERCACHE_NODE_UNREACHABLE`, in ms (`FORWARD_TIMEOUT_MS`). @default 5_000
   */
  forwardTimeoutMs: number;
  /**
   * Open room WebSockets per node at most (`MAX_SOCKETS`), watchers and proxied together; each
   * watcher holds its room live, so this stays below `maxRooms`. @default maxRooms / 4
   */
  maxSockets: number | undefined;
  /** Open room WebSockets per client address at most (`MAX_SOCKETS_PER_ADDRESS`). @default 16 */
  maxSocketsPerAddress: number;
  /**
   * How the nodes find each other (`MEMBERSHIP`): `static` (the `NODES` list) or `redis` (nodes
   * register and heartbeat in Redis at `REDIS_URL`, rooms run under fenced Redis leases).
   * @default 'static'
   */
  membership?: 'static' | 'redis';
  /** Lease time of a room and registration time of a node, in ms (`LEASE_MS`). @default 5_000 */
  leaseMs?: number;
  /** Key prefix of the cluster's membership and leases in Redis (`CLUSTER_NAME`). @default 'rooms-cluster' */
  clusterName?: string;
  /** PostgreSQL holding the room log when nodes share state (`DATABASE_URL`); unset: SQLite at `dataPath`. */
  databaseUrl?: string | undefined;
  /** Schema of the room tables in PostgreSQL (`DATABASE_SCHEMA`). @default 'public' */
  databaseSchema?: string | undefined;
  /** A room writes a snapshot after this many messages (`SNAPSHOT_EVERY`). @default 100 */
  snapshotEvery?: number | undefined;
  /**
   * Idempotency keys of this many recent messages per room are kept in memory; an older key is
   * looked up in the store (`IDEMPOTENCY_WINDOW`). @default 10_000
   */
  keyWindow?: number | undefined;

  // --- HTTP edge limits and cluster trust (service/http/server-limits.ts, docs: "Operating it safely").
  /**
   * Shared secret the nodes sign forwarded requests with (`CLUSTER_SECRET`, 16+ characters);
   * required when `nodes` names several nodes. Without it no forwarding header is honoured.
   */
  clusterSecret?: string | undefined;
  /**
   * Open TCP connections per node at most (`MAX_CONNECTIONS`); beyond, a new connection gets a
   * 503 and is closed. @default three quarters of the soft open-files limit (`ulimit -n`)
   */
  maxConnections?: number | undefined;
  /** Open TCP connections per client address at most (`MAX_CONNECTIONS_PER_ADDRESS`). @default 256 */
  maxConnectionsPerAddress?: number | undefined;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(name, `expected an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

/** True for `localhost` and loopback addresses (127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 0) return false;
  return bare.startsWith('127.') || bare === '::1' || bare.startsWith('::ffff:127.');
}

/** Reads the service's configuration from `env` (defaults above) and checks it. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const host = env.HOST || '127.0.0.1';
  const nodes = (env.NODES ?? '')
    .split(',')
    .map((n) => n.trim().replace(/\/+$/, ''))
    .filter((n) => n !== '');
  const cacheMode = env.CACHE_MODE || 'shared';
  if (cacheMode !== 'shared' && cacheMode !== 'per-room') {
    throw new InvalidOptionError(
      'CACHE_MODE',
      `expected "shared" or "per-room", got "${cacheMode}"`,
    );
  }
  const cacheName = env.CACHE_NAME || 'rooms-profiles';
  // Checked here, so a bad value fails at start-up with the variable's name, not deep in the cache.
  if (!/^[A-Za-z0-9._{}-]+$/.test(cacheName)) {
    throw new InvalidOptionError(
      'CACHE_NAME',
      `"${cacheName}" must use only A-Z a-z 0-9 . _ - { } (':' would let two caches share keys)`,
    );
  }
  const membership = env.MEMBERSHIP || 'static';
  if (membership !== 'static' && membership !== 'redis') {
    throw new InvalidOptionError('MEMBERSHIP', `expected "static" or "redis", got "${membership}"`);
  }
  const clusterName = env.CLUSTER_NAME || 'rooms-cluster';
  if (!/^[A-Za-z0-9._-]+$/.test(clusterName)) {
    throw new InvalidOptionError(
      'CLUSTER_NAME',
      `"${clusterName}" must use only A-Z a-z 0-9 . _ -`,
    );
  }
  const config: ServiceConfig = {
    host,
    port: intFrom(env, 'PORT', 8080, 0),
    nodes,
    nodeUrl: env.NODE_URL?.replace(/\/+$/, '') || undefined,
    dataPath: env.DATA_PATH || join(process.cwd(), '.data', 'rooms.sqlite'),
    seedUsers: intFrom(env, 'SEED_USERS', 10_000, 1),
    redisUrl: env.REDIS_URL || undefined,
    cacheName,
    debugToken: env.DEBUG_TOKEN || undefined,
    roomIdleMs: intFrom(env, 'ROOM_IDLE_MS', 30_000, 1),
    maxRooms: intFrom(env, 'MAX_ROOMS', 5_000, 1),
    mailboxSize: intFrom(env, 'MAILBOX_SIZE', 500, 1),
    maxBodyBytes: intFrom(env, 'MAX_BODY_BYTES', 16 * 1024, 256),
    cacheMode,
    bugStoreBytes: intFrom(env, 'BUG_STORE_BYTES', 8 * 1024 * 1024, 64 * 1024),
    forwardTimeoutMs: intFrom(env, 'FORWARD_TIMEOUT_MS', 5_000, 1),
    maxSockets: env.MAX_SOCKETS ? intFrom(env, 'MAX_SOCKETS', 0, 1) : undefined,
    maxSocketsPerAddress: intFrom(env, 'MAX_SOCKETS_PER_ADDRESS', 16, 1),
    membership,
    leaseMs: intFrom(env, 'LEASE_MS', 5_000, 100),
    clusterName,
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    snapshotEvery: intFrom(env, 'SNAPSHOT_EVERY', 100, 1),
    keyWindow: intFrom(env, 'IDEMPOTENCY_WINDOW', 10_000, 1),
    clusterSecret: env.CLUSTER_SECRET || undefined,
    maxConnections: env.MAX_CONNECTIONS ? intFrom(env, 'MAX_CONNECTIONS', 0, 8) : undefined,
    maxConnectionsPerAddress: env.MAX_CONNECTIONS_PER_ADDRESS
      ? intFrom(env, 'MAX_CONNECTIONS_PER_ADDRESS', 0, 1)
      : undefined,
  };
  checkConfig(config);
  return config;
}

/** The room WebSockets a node serves at most: `maxSockets`, or a quarter of `maxRooms`. */
export function socketLimit(config: ServiceConfig): number {
  return config.maxSockets ?? Math.max(1, Math.floor(config.maxRooms / 4));
}

/**
 * Refuses configurations that would be unsafe: profiles exposed to the network without a token,
 * or a socket limit that lets idle watchers hold every room.
 */
export function checkConfig(config: ServiceConfig): void {
  if (!isLoopbackHost(config.host) && config.debugToken === undefined) {
    throw new InsecureDebugError(
      `HOST=${config.host} is not a loopback address: set DEBUG_TOKEN (16+ characters) so /debug/ profiles are not served to the network unauthenticated`,
    );
  }
  if (config.maxSockets !== undefined && config.maxSockets >= config.maxRooms) {
    throw new InvalidOptionError(
      'MAX_SOCKETS',
      `must be below MAX_ROOMS (${config.maxRooms}): every watcher holds a room live, so sockets alone could fill the node`,
    );
  }
  if (config.membership === 'redis' && config.redisUrl === undefined) {
    throw new InvalidOptionError(
      'MEMBERSHIP',
      '"redis" needs REDIS_URL: nodes register and hold room leases there',
    );
  }
  if (config.membership === 'redis' && config.databaseUrl === undefined) {
    throw new InvalidOptionError(
      'DATABASE_URL',
      'MEMBERSHIP=redis needs a PostgreSQL shared by the nodes, so a room resumes on its new owner',
    );
  }
  if (config.membership === 'redis' && config.clusterSecret === undefined) {
    throw new InvalidOptionError(
      'CLUSTER_SECRET',
      'is required with MEMBERSHIP=redis: set the same secret (16+ characters) on every node, so forwarded requests can be told from clients',
    );
  }
  if (config.membership === 'redis' && config.nodes.length > 0) {
    throw new InvalidOptionError(
      'NODES',
      'leave NODES unset with MEMBERSHIP=redis: the members are the nodes registered in Redis',
    );
  }
  if (config.debugToken !== undefined && config.debugToken.length < 16) {
    throw new InvalidOptionError('DEBUG_TOKEN', 'must be at least 16 characters long');
  }
  // Cluster trust: a forwarded request is honoured only when a peer signed it with this secret.
  if (config.clusterSecret !== undefined && config.clusterSecret.length < 16) {
    throw new InvalidOptionError('CLUSTER_SECRET', 'must be at least 16 characters long');
  }
  if (new Set(config.nodes).size > 1 && config.clusterSecret === undefined) {
    throw new InvalidOptionError(
      'CLUSTER_SECRET',
      'is required when NODES names several nodes: set the same secret (16+ characters) on every node, so forwarded requests can be told from clients',
    );
  }
}
