import { Redis } from 'ioredis';
import {
  type CacheMode,
  CacheModes,
  createOwnCache,
  createSharedCache,
  type ProfileCacheConfig,
  type Profiles,
} from './cache/index.ts';
import type { ServiceConfig } from './config.ts';
import { UserDb } from './data/index.ts';
import {
  createDjRoom,
  REQUEST_TYPES,
  RoomHub,
  type RoomMessage,
  type RoomSnapshot,
} from './room/index.ts';
import { RoomRouter } from './rooms/index.ts';

/** What delivering a message produced: a reply (request types) or an acknowledgement (events). */
export type Delivery = { status: 200; reply: unknown } | { status: 202; queued: true };

/**
 * The room service without its network face: the SQLite users, the one shared profile cache
 * (plus, in bug mode, a cache per room), the event hub and the router of room workers. The
 * HTTP server, the in-process load generator and the soak all drive it through this class.
 */
export class RoomService {
  readonly config: ServiceConfig;
  readonly db: UserDb;
  readonly hub = new RoomHub();
  readonly modes: CacheModes;
  readonly router: RoomRouter;
  readonly redis: Redis | undefined;
  #closeShared: () => Promise<void>;
  #errors = 0;
  #cacheErrors = 0;
  #closed = false;

  constructor(config: ServiceConfig) {
    this.config = config;
    this.db = new UserDb({ path: config.dataPath, seedUsers: config.seedUsers });
    // The service owns the Redis client; the caches borrow it and never close it.
    this.redis =
      config.redisUrl === undefined
        ? undefined
        : new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
    // The cache fails over when Redis is down; the client's own reconnect errors are counted
    // with the cache's and logged a few times, not once per retry.
    this.redis?.on('error', (error: Error) => this.#reportCacheError(error));
    const cacheConfig: ProfileCacheConfig = {
      db: this.db,
      redis: this.redis,
      name: config.cacheName,
      onError: (error) => this.#reportCacheError(error),
      ownStoreBytes: config.bugStoreBytes,
    };
    const shared = createSharedCache(cacheConfig);
    this.#closeShared = shared.close;
    this.modes = new CacheModes({
      shared: shared.profiles,
      createOwn: (rid) => createOwnCache(rid, cacheConfig),
      mode: config.cacheMode,
    });
    this.router = new RoomRouter({
      idleMs: config.roomIdleMs,
      maxRooms: config.maxRooms,
      createRoom: (rid) =>
        createDjRoom(rid, {
          hub: this.hub,
          leaseCache: (room) => this.modes.lease(room),
          worker: {
            mailboxSize: config.mailboxSize,
            onError: (error, context) => {
              this.#errors++;
              if (this.#errors <= 20) {
                console.error(`room ${context.rid}: ${context.kind} "${context.name}":`, error);
              }
            },
          },
        }),
    });
  }

  /** The shared profile cache. */
  get profiles(): Profiles {
    return this.modes.shared;
  }

  /** Errors thrown by fire-and-forget handlers, timers and stop hooks since start. */
  get handlerErrors(): number {
    return this.#errors;
  }

  /** Failures the caches and the Redis client reported since start (reads failed over). */
  get cacheErrors(): number {
    return this.#cacheErrors;
  }

  #reportCacheError(error: Error): void {
    this.#cacheErrors++;
    if (this.#cacheErrors <= 5) console.error(`profile cache: ${error.message}`);
    if (this.#cacheErrors === 5) console.error('profile cache: further errors are only counted');
  }

  /** Messages handled by every room since start. */
  handledMessages(): number {
    return this.router.stats().handled;
  }

  /** Delivers a validated message to its room: requests resolve with the reply, events are queued. */
  async deliver(rid: string, message: RoomMessage): Promise<Delivery> {
    if (REQUEST_TYPES.has(message.type)) {
      return { status: 200, reply: await this.router.request(rid, message.type, message) };
    }
    this.router.post(rid, message.type, message);
    return { status: 202, queued: true };
  }

  /** The room as its members see it (members' profiles read with `getMany`). */
  snapshot(rid: string): Promise<RoomSnapshot> {
    return this.router.request<RoomSnapshot>(rid, 'snapshot');
  }

  /**
   * Switches the cache mode for rooms created from now on. Back to `shared`, every live room
   * that owns a cache is told (through its mailbox) to use the shared one and close its own.
   */
  async setMode(mode: CacheMode): Promise<{ mode: CacheMode; released: number }> {
    this.modes.mode = mode;
    if (mode !== 'shared') return { mode, released: 0 };
    const results = await this.router.broadcast<boolean>('use-shared-cache');
    const released = results.filter((r) => r.status === 'fulfilled' && r.value === true).length;
    return { mode, released };
  }

  /** Drains and stops every room, then closes the caches, Redis and the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.router.close();
    await this.#closeShared();
    if (this.redis?.status === 'ready') await this.redis.quit().catch(() => undefined);
    // Not connected (Redis down, still retrying): quit() would wait for a connection; drop it.
    this.redis?.disconnect();
    this.db.close();
  }
}
