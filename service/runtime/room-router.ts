import { InvalidOptionError } from 'tiercache/errors';
import { RoomLimitError, RoomStoppedError } from './room-errors.ts';
import type { RoomWorker } from './room-worker.ts';

/** Why a room stopped. */
export type StopReason = 'idle' | 'evicted' | 'shutdown' | 'refused' | 'moved';

/** Builds the worker of a room the first time a message for it arrives. */
export type RoomFactory = (rid: string) => RoomWorker;

/** Options of a {@link RoomRouter}. */
export interface RoomRouterOptions {
  /** Creates the worker of a new room, with its handlers installed. */
  createRoom: RoomFactory;
  /** A room with no message, no queue and no holder for this long is stopped, in ms. @default 60_000 */
  idleMs?: number;
  /** Live rooms this router runs at most; beyond it the longest-idle room is stopped, or the new one refused. @default 10_000 */
  maxRooms?: number;
  /** How often idle rooms are looked for, in ms. @default min(idleMs, 1000) */
  sweepIntervalMs?: number;
  /**
   * Called after a room stopped and released what it held. `refused`: the request that created
   * the room failed, and nothing else came for it.
   */
  onRoomStopped?: (rid: string, reason: StopReason) => void;
  /** Clock in ms, for tests; must match the workers' clock. @default Date.now */
  now?: () => number;
}

const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_MAX_ROOMS = 10_000;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(name, `must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Routes messages to room workers by rid: creates a worker on a room's first message, stops
 * rooms that stay idle for `idleMs` (their timers, handlers and stop hooks released, so nothing
 * of the room stays reachable), bounds the number of live rooms, and drains every mailbox on
 * shutdown.
 */
export class RoomRouter {
  #rooms = new Map<string, RoomWorker>();
  #stopping = new Set<Promise<void>>();
  #createRoom: RoomFactory;
  #idleMs: number;
  #maxRooms: number;
  #onRoomStopped: ((rid: string, reason: StopReason) => void) | undefined;
  #now: () => number;
  #sweeper: NodeJS.Timeout;
  #closed = false;
  #created = 0;
  #stopped = 0;
  #handledByStopped = 0;

  constructor(options: RoomRouterOptions) {
    this.#createRoom = options.createRoom;
    this.#idleMs = positiveInteger('idleMs', options.idleMs ?? DEFAULT_IDLE_MS);
    this.#maxRooms = positiveInteger('maxRooms', options.maxRooms ?? DEFAULT_MAX_ROOMS);
    const sweepMs = positiveInteger(
      'sweepIntervalMs',
      options.sweepIntervalMs ?? Math.min(this.#idleMs, 1000),
    );
    this.#onRoomStopped = options.onRoomStopped;
    this.#now = options.now ?? Date.now;
    // The sweep reaches the router through a WeakRef and is unref()ed: a router dropped without
    // close() is still collected, and the timer never keeps the process alive.
    const self = new WeakRef(this);
    const sweeper = setInterval(() => {
      const router = self.deref();
      if (router === undefined) clearInterval(sweeper);
      else router.sweep();
    }, sweepMs);
    sweeper.unref();
    this.#sweeper = sweeper;
  }

  /** Live rooms on this router. */
  get size(): number {
    return this.#rooms.size;
  }

  /** Counters since start: live rooms, rooms created and stopped, messages handled by all of them. */
  stats(): { live: number; created: number; stopped: number; handled: number } {
    let handled = this.#handledByStopped;
    for (const worker of this.#rooms.values()) handled += worker.handled;
    return { live: this.#rooms.size, created: this.#created, stopped: this.#stopped, handled };
  }

  /** The rids of the live rooms. */
  rids(): string[] {
    return [...this.#rooms.keys()];
  }

  /** The live worker of `rid`, without creating one. */
  get(rid: string): RoomWorker | undefined {
    return this.#rooms.get(rid);
  }

  /** The worker of `rid`, created on first use. */
  worker(rid: string): RoomWorker {
    const existing = this.#rooms.get(rid);
    if (existing !== undefined && existing.state === 'running') return existing;
    if (this.#closed) throw new RoomStoppedError(rid);
    if (this.#rooms.size >= this.#maxRooms) this.#evictOne();
    const worker = this.#createRoom(rid);
    this.#rooms.set(rid, worker);
    this.#created++;
    return worker;
  }

  /**
   * Sends a request to the room `rid` and resolves with the reply. When the request created the
   * room and failed (a join by an unknown user), the room is retired at once unless something
   * else reached it meanwhile: a refused request leaves no room, nor its cache, behind.
   */
  request<R = unknown>(rid: string, type: string, payload?: unknown): Promise<R> {
    const existing = this.#rooms.get(rid);
    const worker = this.worker(rid);
    const reply = worker.request<R>(type, payload);
    if (worker === existing) return reply;
    return reply.catch((error: unknown) => {
      // The mailbox settles right after this rejection; then `handled` counts this message.
      void worker.whenIdle().then(() => {
        if (worker.handled === 1 && worker.isIdle(0)) this.#retire(rid, worker, 'refused');
      });
      throw error;
    });
  }

  /** Sends a fire-and-forget event to the room `rid`. */
  post(rid: string, type: string, payload?: unknown): void {
    this.worker(rid).post(type, payload);
  }

  /**
   * Sends the command `name` to every live room through its mailbox (after what each has
   * queued) and resolves with each room's outcome, in the order of {@link rids}. A room that
   * is full or stopping is reported as rejected; the others still run the command.
   */
  broadcast<R = unknown>(name: string, args?: unknown): Promise<PromiseSettledResult<R>[]> {
    return Promise.allSettled(
      [...this.#rooms.values()].map((worker) => {
        try {
          return worker.command<R>(name, args);
        } catch (error) {
          return Promise.reject(error);
        }
      }),
    );
  }

  /**
   * Stops the room `rid` because it no longer belongs to this node (its owner changed, or its
   * lease was lost). `drain: false` rejects what is queued with `TIERCACHE_ROOM_STOPPED` (the
   * senders resend to the owner); only `worker`, when given, is stopped, not a newer one.
   */
  drop(rid: string, options: { drain?: boolean; worker?: RoomWorker } = {}): Promise<void> {
    const worker = options.worker ?? this.#rooms.get(rid);
    if (worker === undefined) return Promise.resolve();
    return this.#retire(rid, worker, 'moved', options.drain ?? true);
  }

  /** Stops every room idle for `idleMs`; returns how many were stopped. Runs on its own timer too. */
  sweep(): number {
    const now = this.#now();
    let count = 0;
    for (const [rid, worker] of this.#rooms) {
      if (worker.isIdle(this.#idleMs, now)) {
        this.#retire(rid, worker, 'idle');
        count++;
      }
    }
    return count;
  }

  /** Resolves when every room stopped so far has finished stopping (stop hooks included). */
  async settled(): Promise<void> {
    while (this.#stopping.size > 0) await Promise.all(this.#stopping);
  }

  /** Refuses new rooms, drains every mailbox, stops every room and the sweep timer. */
  async close(): Promise<void> {
    if (this.#closed) return this.settled();
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const [rid, worker] of this.#rooms) this.#retire(rid, worker, 'shutdown');
    await this.settled();
  }

  #evictOne(): void {
    // The longest-idle room goes first; a room that is busy or held is never evicted.
    let victim: [string, RoomWorker] | undefined;
    for (const entry of this.#rooms) {
      const worker = entry[1];
      if (!worker.isIdle(0)) continue;
      if (victim === undefined || worker.lastActiveAt < victim[1].lastActiveAt) victim = entry;
    }
    if (victim === undefined) throw new RoomLimitError(this.#maxRooms);
    this.#retire(victim[0], victim[1], 'evicted');
  }

  #retire(rid: string, worker: RoomWorker, reason: StopReason, drain = true): Promise<void> {
    // Out of the map first: a message arriving meanwhile creates a fresh worker.
    if (this.#rooms.get(rid) === worker) this.#rooms.delete(rid);
    if (worker.state !== 'running') return worker.stop();
    const stopping = worker.stop({ drain }).then(() => {
      this.#stopped++;
      this.#handledByStopped += worker.handled;
      this.#stopping.delete(stopping);
      this.#onRoomStopped?.(rid, reason);
    });
    this.#stopping.add(stopping);
    return stopping;
  }
}
