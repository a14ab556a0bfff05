import { randomInt } from 'node:crypto';
import { InvalidArgumentError, TiercacheError } from 'tiercache/errors';
import type { CacheLease } from '../cache/index.ts';
import { type LeaseManager, RoomMovedError } from '../cluster/index.ts';
import type { RoomStore, UserProfile } from '../data/index.ts';
import { RoomWorker, type RoomWorkerOptions } from '../runtime/index.ts';
import type { RoomMessage } from './messages.ts';
import type { RoomEvent, RoomHub } from './room-hub.ts';
import { type ChangeEvent, type ChatLine, type RoomChange, RoomState } from './room-state.ts';

/** Where a room keeps its state and who lets it run: the store, the leases, this node. */
export interface RoomDurability {
  /** The log and snapshots of every room. */
  store: RoomStore;
  /** The room leases (Redis, or local on a single node). */
  leases: LeaseManager;
  /** This node's URL, recorded with every entry. */
  node: () => string;
  /** Told when the room must be dropped here (lease lost, write fenced off, store failure). */
  onLost: (rid: string, worker: RoomWorker) => void;
  /** A snapshot is written after this many entries. @default 100 */
  snapshotEvery?: number;
  /** Idempotency keys of this many recent entries are kept in memory; older ones are looked up. @default 10_000 */
  keyWindow?: number;
}

/** What a room needs from the service. */
export interface DjRoomDeps {
  /** Where events are broadcast. */
  hub: RoomHub;
  /** Gives the room its profile cache: the shared one, or (bug mode) one of its own. */
  leaseCache: (rid: string) => CacheLease;
  /** Where the room's state is persisted and under which lease it runs. */
  durable: RoomDurability;
  /** Options of the room's worker (mailbox size, error sink). */
  worker?: RoomWorkerOptions;
}

export type { ChatLine };

/** What `GET /rooms/:rid` and a join return: the room as its members see it. */
export interface RoomSnapshot {
  rid: string;
  members: UserProfile[];
  seats: (number | null)[];
  chat: ChatLine[];
  dryIce: { by: number; until: number } | null;
  lastDice: { userId: number; value: number; at: number } | null;
  cacheMode: CacheLease['mode'];
}

/** What a room's request handlers receive: the message and the client's idempotency key. */
export interface RoomRequest {
  message: RoomMessage;
  key: string | undefined;
}

const DEFAULT_SNAPSHOT_EVERY = 100;

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const DEFAULT_KEY_WINDOW = 10_000;

/**
 * Builds the worker of one live DJ room: join, leave, seats, chat, a dice roll (a random result
 * broadcast to the room) and dry ice (a timed effect ended by the worker's timer). Before its
 * first message the room takes its lease and loads its snapshot and log from the store. Every
 * message is then checked against the lease, applied, written to the log under the lease token
 * (fenced by the store) and only then acknowledged and broadcast; a message carrying a key seen
 * before gets the first reply again and changes nothing. Member lists read profiles with
 * `getMany` (memory first); a join checks one profile with `get` (Redis first).
 */
export function createDjRoom(rid: string, deps: DjRoomDeps): RoomWorker {
  const worker = new RoomWorker(rid, deps.worker);
  const { hub } = deps;
  const { store, leases } = deps.durable;
  const snapshotEvery = deps.durable.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  const keyWindow = deps.durable.keyWindow ?? DEFAULT_KEY_WINDOW;
  let lease = deps.leaseCache(rid);
  let state = new RoomState();
  let token: number | undefined;
  let seq = 0;
  let claimed = false;
  let lost = false;
  let sinceSnapshot = 0;
  // key -> stored reply (JSON), for the last keyWindow keyed entries; older ones are in the store.
  const keys = new Map<string, string | null>();
  let olderKeysInStore = false;

  const publish = (type: string, fields: Record<string, unknown> = {}): void => {
    hub.publish({ type, rid, at: Date.now(), ...fields } as RoomEvent);
  };
  const lose = (why: string): RoomMovedError => {
    if (!lost) {
      lost = true;
      // After the current handler returns: the router stops this worker and rejects its queue.
      setImmediate(() => deps.durable.onLost(rid, worker));
    }
    return new RoomMovedError(rid, why);
  };
  const ensureOwned = (): void => {
    if (lost) throw new RoomMovedError(rid, 'its lease was lost');
    if (!leases.valid(rid, token)) throw lose('its lease lapsed on this node');
  };
  const remember = (key: string, result: string | null): void => {
    keys.set(key, result);
    if (keys.size > keyWindow) {
      keys.delete(keys.keys().next().value as string);
      olderKeysInStore = true;
    }
  };
  const endDryIce = (userId: number) => () => {
    state.dryIce = null;
    publish('dry-ice-ended', { userId });
  };
  const snapshot = async (): Promise<RoomSnapshot> => {
    const ids = [...state.members.keys()];
    const profiles = await lease.profiles.many(ids);
    return {
      rid,
      members: profiles.filter((p): p is UserProfile => p !== undefined),
      seats: [...state.seats],
      chat: [...state.chat],
      dryIce: state.dryIce,
      lastDice: state.lastDice,
      cacheMode: lease.mode,
    };
  };

  worker.setup(async () => {
    try {
      token = await leases.acquire(rid);
      const room = await store.claim(rid, token, keyWindow);
      token = room.token;
      if (room.snapshot !== undefined) state = RoomState.fromJson(JSON.parse(room.snapshot.state));
      for (const entry of room.log) state.apply(JSON.parse(entry.change) as RoomChange);
      seq = room.lastSeq;
      for (const k of room.keys) keys.set(k.key, k.result);
      olderKeysInStore = room.lastSeq > keyWindow;
      sinceSnapshot = room.log.length;
      const ice = state.dryIce;
      if (ice !== null) {
        const left = ice.until - Date.now();
        if (left > 0) worker.setTimer('dry-ice', left, endDryIce(ice.by));
        else state.dryIce = null;
      }
      claimed = true;
      // The claim took time (Redis, the database): the lease must still hold now.
      ensureOwned();
    } catch (error) {
      if (!lost) {
        lost = true;
        setImmediate(() => deps.durable.onLost(rid, worker));
      }
      if (token !== undefined) void leases.release(rid, token);
      // Redis or the database unreachable: a 503 the client can resend, not a 500.
      throw error instanceof TiercacheError
        ? error
        : lose(`it could not be loaded: ${reason(error)}`);
    }
  });

  const writeSnapshot = (): Promise<void> => {
    sinceSnapshot = 0;
    return store.write({
      kind: 'snapshot',
      rid,
      token: token ?? 0,
      seq,
      state: JSON.stringify(state.toJson()),
    });
  };

  /**
   * The one path of every state-changing message: lease check, deduplication, the change,
   * the write (awaited), then broadcast and reply.
   */
  async function mutate<R>(
    key: string | undefined,
    decide: () => RoomChange | Promise<RoomChange>,
    reply: (change: RoomChange) => R | Promise<R>,
    replayReply: (stored: string | null) => R | Promise<R>,
  ): Promise<R> {
    ensureOwned();
    if (key !== undefined) {
      if (keys.has(key)) return replayReply(keys.get(key) ?? null);
      if (olderKeysInStore) {
        const found = await store.findKey(rid, key);
        if (found !== undefined) return replayReply(found.result);
      }
    }
    const change = await decide();
    ensureOwned();
    const events = state.apply(change);
    const result = await reply(change);
    const stored = result === undefined || change.type === 'join' ? null : JSON.stringify(result);
    seq++;
    try {
      await store.write({
        kind: 'entry',
        entry: {
          rid,
          seq,
          token: token ?? 0,
          node: deps.durable.node(),
          key: key ?? null,
          change: JSON.stringify(change),
          result: stored,
          at: Date.now(),
        },
      });
    } catch (error) {
      // Refused (fenced off: another node claimed the room) or failed: the state in memory is
      // ahead of the store, so the room is dropped here and reloaded by whoever runs it next.
      const moved = lose(`its write was refused or failed: ${reason(error)}`);
      // The outcome of a failed commit is unknown; a resend with the same key is safe either way.
      throw error instanceof TiercacheError ? error : moved;
    }
    if (key !== undefined) remember(key, stored);
    for (const event of events) publish(event.type, eventFields(event, change));
    if (++sinceSnapshot >= snapshotEvery) {
      writeSnapshot().catch(() => lose('its snapshot was refused by the store'));
    }
    return result;
  }

  let profileOf: UserProfile | undefined;
  const eventFields = (event: ChangeEvent, change: RoomChange): Record<string, unknown> =>
    event.type === 'joined' && change.type === 'join' && profileOf !== undefined
      ? { user: profileOf }
      : event.fields;

  const requireMember = (userId: number): void => {
    if (!state.members.has(userId)) {
      throw new InvalidArgumentError(`User ${userId} is not in room "${rid}"; join first`);
    }
  };

  worker.handleRequest('join', ({ message, key }: RoomRequest) => {
    const { userId } = message;
    return mutate(
      key,
      async () => {
        profileOf = undefined;
        if (!state.members.has(userId)) {
          profileOf = await lease.profiles.one(userId);
          if (profileOf === undefined) throw new InvalidArgumentError(`No user with id ${userId}`);
        }
        return { type: 'join', userId, at: Date.now() };
      },
      () => undefined,
      () => snapshot(),
    ).then((r) => r ?? snapshot());
  });

  worker.handleRequest('leave', ({ message, key }: RoomRequest) =>
    mutate(
      key,
      () => ({ type: 'leave', userId: message.userId }),
      () => ({ members: state.members.size }),
      (stored) => JSON.parse(stored ?? 'null'),
    ),
  );

  worker.handleRequest('seat', ({ message, key }: RoomRequest) => {
    if (message.type !== 'seat') throw new InvalidArgumentError('expected a seat message');
    const { userId, seat } = message;
    return mutate(
      key,
      () => {
        requireMember(userId);
        const holder = state.seats[seat];
        if (holder !== null && holder !== undefined && holder !== userId) {
          throw new InvalidArgumentError(
            `Seat ${seat} in room "${rid}" is taken by user ${holder}`,
          );
        }
        return { type: 'seat', userId, seat };
      },
      () => ({ seats: [...state.seats] }),
      (stored) => JSON.parse(stored ?? 'null'),
    );
  });

  worker.handleRequest('unseat', ({ message, key }: RoomRequest) =>
    mutate(
      key,
      () => {
        requireMember(message.userId);
        return { type: 'unseat', userId: message.userId };
      },
      () => ({ seats: [...state.seats] }),
      (stored) => JSON.parse(stored ?? 'null'),
    ),
  );

  worker.handleRequest('snapshot', () => {
    ensureOwned();
    return snapshot();
  });

  // Chat, dice and dry ice from someone not in the room are logged as ignored and counted, not
  // refused: under load, a bot's chat can race its own leave.
  const QUEUED = { queued: true } as const;
  const queued = () => QUEUED;

  worker.handleRequest('chat', ({ message, key }: RoomRequest) => {
    if (message.type !== 'chat') throw new InvalidArgumentError('expected a chat message');
    const { userId, text } = message;
    return mutate(
      key,
      (): RoomChange =>
        state.members.has(userId)
          ? { type: 'chat', userId, text, at: Date.now() }
          : { type: 'ignored', of: 'chat', userId },
      queued,
      queued,
    );
  });

  worker.handleRequest('dice', ({ message, key }: RoomRequest) => {
    const { userId } = message;
    return mutate(
      key,
      (): RoomChange =>
        state.members.has(userId)
          ? { type: 'dice', userId, value: randomInt(1, 7), at: Date.now() }
          : { type: 'ignored', of: 'dice', userId },
      queued,
      queued,
    );
  });

  worker.handleRequest('dry-ice', ({ message, key }: RoomRequest) => {
    if (message.type !== 'dry-ice') throw new InvalidArgumentError('expected a dry-ice message');
    const { userId, durationMs } = message;
    return mutate(
      key,
      (): RoomChange =>
        state.members.has(userId)
          ? { type: 'dry-ice', userId, durationMs, until: Date.now() + durationMs }
          : { type: 'ignored', of: 'dry-ice', userId },
      (change) => {
        // A new effect replaces the running one: the named timer is re-armed, not stacked.
        if (change.type === 'dry-ice') worker.setTimer('dry-ice', durationMs, endDryIce(userId));
        return QUEUED;
      },
      queued,
    );
  });

  worker.handleCommand('stats', () => ({
    rid,
    members: state.members.size,
    seated: state.seats.filter((s) => s !== null).length,
    ignored: state.ignored,
    cacheMode: lease.mode,
    timers: worker.timerNames(),
    pending: worker.pending,
    seq,
    token: token ?? null,
  }));

  // Mode switch back to the fix: a room that owns a cache gives it up for the shared one.
  worker.handleCommand('use-shared-cache', async () => {
    if (lease.mode === 'shared') return false;
    const own = lease;
    lease = deps.leaseCache(rid);
    await own.release();
    return true;
  });

  worker.onStop(async () => {
    // A graceful stop (idle, shutdown, moved by a member change) leaves a snapshot and gives the
    // lease back; a room that lost its lease writes nothing.
    if (claimed && !lost && leases.valid(rid, token)) {
      try {
        if (sinceSnapshot > 0) await writeSnapshot();
      } finally {
        await leases.release(rid, token);
      }
    }
    await lease.release();
    state.members.clear();
    publish('closed');
  });

  return worker;
}
