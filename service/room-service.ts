import { Redis } from 'ioredis';
import {
  type CacheMode,
  CacheModes,
  createOwnCache,
  createSharedCache,
  type ProfileCacheConfig,
  type Profiles,
} from './cache/index.ts';
import { type LeaseManager, LocalLeases } from './cluster/index.ts';
import type { ServiceConfig } from './config.ts';
import { PgRoomStore, type RoomStore, SqliteRoomStore, UserDb } from './data/index.ts';
import {
  createDjRoom,
  REQUEST_TYPES,
  RoomHub,
  type RoomMessage,
  type RoomRequest,
  type RoomSnapshot,
} from './dj-room/index.ts';
import { RoomRouter } from './runtime/index.ts';

/**
 * What delivering a message produced: a reply (request types) or an acknowledgement (events:
 * chat, dice, dry ice). Either way the message was written to the room's log first.
 */
export type Delivery = { status: 200; reply: unknown } | { status: 202; queued: true };

/**
 * The room service without its network face: the SQLite users, the one shared profile cache
 * (plus, in bug mode, a cache per room), the event hub, the router of room workers, and the
 * durable room store (SQLite, or PostgreSQL with `databaseUrl`) with the leases rooms run
 * under (local until {@link useLeases} installs shared ones). The HTTP server, the in-process
 * load generator and the soak all drive it through this class.
 */
export class RoomService {
  readonly config: ServiceConfig;
  readonly db: UserDb;
  readonly hub = new RoomHub();
  readonly modes: CacheModes;
  readonly router: RoomRouter;
  readonly redis: Redis | undefined;
  /** Where every room's log and snapshots are kept. */
  readonly store: RoomStore;
  #leases: LeaseManager = new LocalLeases();
  #node: string;
  #closeShared: () => Promise<void>;
  #errors = 0;
  #cacheErrors = 0;
  #closed = false;

  constructor(config: ServiceConfig) {
    this.config = config;
    this.db = new UserDb({ path: config.dataPath, seedUsers: config.seedUsers });
    this.store =
      config.databaseUrl === undefined
        ? new SqliteRoomStore({ path: config.dataPath })
        : new PgRoomStore({
            url: config.databaseUrl,
            transactionIdleMs: Math.min(1_000, Math.floor((config.leaseMs ?? 5_000) / 2)),
            ...(config.databaseSchema === undefined ? {} : { schema: config.databaseSchema }),
          });
    this.#node = config.nodeUrl ?? `http://${config.host}:${config.port}`;
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
    const leaseView = this.#leaseView();
    this.router = new RoomRouter({
      idleMs: config.roomIdleMs,
      maxRooms: config.maxRooms,
      createRoom: (rid) =>
        createDjRoom(rid, {
          hub: this.hub,
          leaseCache: (room) => this.modes.lease(room),
          durable: {
            store: this.store,
            leases: leaseView,
            node: () => this.#node,
            onLost: (lostRid, worker) => void this.router.drop(lostRid, { drain: false, worker }),
            ...(config.snapshotEvery === undefined ? {} : { snapshotEvery: config.snapshotEvery }),
            ...(config.keyWindow === undefined ? {} : { keyWindow: config.keyWindow }),
          },
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

  // The rooms reach the leases through this view, so useLeases() swaps them for every room.
  #leaseView(): LeaseManager {
    const service = this;
    return {
      get shared() {
        return service.#leases.shared;
      },
      acquire: (rid) => this.#leases.acquire(rid),
      valid: (rid, token) => this.#leases.valid(rid, token),
      release: (rid, token) => this.#leases.release(rid, token),
      onLost: (listener) => this.#leases.onLost(listener),
      close: () => undefined,
    };
  }

  /**
   * Makes rooms run under `leases` (shared ones, from Redis) and records `node` as this node's
   * name in the log. Call before the node serves; a lease reported lost drops its room at once.
   */
  useLeases(leases: LeaseManager, node: string): void {
    this.#leases = leases;
    this.#node = node;
    leases.onLost((rid) => {
      const worker = this.router.get(rid);
      if (worker !== undefined) void this.router.drop(rid, { drain: false, worker });
    });
  }

  /** This node's name in the room log (its URL). */
  get node(): string {
    return this.#node;
  }

  /** Sets this node's name in the room log (its URL, known once it listens). */
  set node(url: string) {
    this.#node = url;
  }

  /**
   * Stops, gracefully (queue drained, snapshot written, lease given back), every live room
   * `owns` says is no longer this node's: after a member joined, the new owner takes them over.
   */
  async handOver(owns: (rid: string) => boolean): Promise<number> {
    const moving = this.router.rids().filter((rid) => !owns(rid));
    await Promise.all(moving.map((rid) => this.router.drop(rid)));
    return moving.length;
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

  /**
   * Delivers a validated message to its room and resolves once it is applied and persisted:
   * requests with their reply (200), events with an acknowledgement (202). `key` (or the
   * message's `idempotencyKey`) makes a resend apply at most once.
   */
  async deliver(rid: string, message: RoomMessage, key?: string): Promise<Delivery> {
    const request: RoomRequest = { message, key: key ?? message.idempotencyKey };
    const reply = await this.router.request(rid, message.type, request);
    if (REQUEST_TYPES.has(message.type)) return { status: 200, reply };
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
    this.#leases.close();
    await this.store.close();
    await this.#closeShared();
    if (this.redis?.status === 'ready') await this.redis.quit().catch(() => undefined);
    // Not connected (Redis down, still retrying): quit() would wait for a connection; drop it.
    this.redis?.disconnect();
    this.db.close();
  }
}
