import { randomInt } from 'node:crypto';
import { InvalidArgumentError } from 'tiercache/errors';
import type { CacheLease } from '../cache/index.ts';
import type { UserProfile } from '../data/index.ts';
import { RoomWorker, type RoomWorkerOptions } from '../rooms/index.ts';
import { type RoomMessage, SEAT_COUNT } from './messages.ts';
import type { RoomEvent, RoomHub } from './room-hub.ts';

/** What a room needs from the service. */
export interface DjRoomDeps {
  /** Where events are broadcast. */
  hub: RoomHub;
  /** Gives the room its profile cache: the shared one, or (bug mode) one of its own. */
  leaseCache: (rid: string) => CacheLease;
  /** Options of the room's worker (mailbox size, error sink). */
  worker?: RoomWorkerOptions;
}

/** A chat line kept in the room's recent history. */
export interface ChatLine {
  userId: number;
  text: string;
  at: number;
}

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

const CHAT_HISTORY = 50;

type Payload<T extends RoomMessage['type']> = Extract<RoomMessage, { type: T }>;

/**
 * Builds the worker of one live DJ room: join, leave, seats, chat, a dice roll (a random result
 * broadcast to the room) and dry ice (a timed effect ended by the worker's timer). State lives
 * in this closure and is only touched by the worker's handlers, one message at a time.
 * Member lists read profiles with `getMany` (memory first); a join checks one profile with
 * `get` (Redis first), as the story's go2cache did.
 */
export function createDjRoom(rid: string, deps: DjRoomDeps): RoomWorker {
  const worker = new RoomWorker(rid, deps.worker);
  const { hub } = deps;
  let lease = deps.leaseCache(rid);
  const members = new Map<number, number>(); // userId -> joinedAt
  const seats: (number | null)[] = new Array(SEAT_COUNT).fill(null);
  const chat: ChatLine[] = [];
  let dryIce: RoomSnapshot['dryIce'] = null;
  let lastDice: RoomSnapshot['lastDice'] = null;
  let ignored = 0;

  const publish = (type: string, fields: Record<string, unknown> = {}): void => {
    hub.publish({ type, rid, at: Date.now(), ...fields } as RoomEvent);
  };
  const requireMember = (userId: number): void => {
    if (!members.has(userId)) {
      throw new InvalidArgumentError(`User ${userId} is not in room "${rid}"; join first`);
    }
  };
  const vacate = (userId: number): void => {
    const seat = seats.indexOf(userId);
    if (seat >= 0) {
      seats[seat] = null;
      publish('unseated', { userId, seat });
    }
  };
  const snapshot = async (): Promise<RoomSnapshot> => {
    const ids = [...members.keys()];
    const profiles = await lease.profiles.many(ids);
    return {
      rid,
      members: profiles.filter((p): p is UserProfile => p !== undefined),
      seats: [...seats],
      chat: [...chat],
      dryIce,
      lastDice,
      cacheMode: lease.mode,
    };
  };

  worker.handleRequest('join', async ({ userId }: Payload<'join'>) => {
    if (!members.has(userId)) {
      const profile = await lease.profiles.one(userId);
      if (profile === undefined) throw new InvalidArgumentError(`No user with id ${userId}`);
      members.set(userId, Date.now());
      publish('joined', { user: profile });
    }
    return snapshot();
  });

  worker.handleRequest('leave', ({ userId }: Payload<'leave'>) => {
    if (members.delete(userId)) {
      vacate(userId);
      publish('left', { userId });
    }
    return { members: members.size };
  });

  worker.handleRequest('seat', ({ userId, seat }: Payload<'seat'>) => {
    requireMember(userId);
    const holder = seats[seat];
    if (holder !== null && holder !== userId) {
      throw new InvalidArgumentError(`Seat ${seat} in room "${rid}" is taken by user ${holder}`);
    }
    if (holder !== userId) {
      vacate(userId);
      seats[seat] = userId;
      publish('seated', { userId, seat });
    }
    return { seats: [...seats] };
  });

  worker.handleRequest('unseat', ({ userId }: Payload<'unseat'>) => {
    requireMember(userId);
    vacate(userId);
    return { seats: [...seats] };
  });

  worker.handleRequest('snapshot', () => snapshot());

  // Fire-and-forget messages from someone not in the room are dropped and counted, not
  // reported: under load, a bot's chat can race its own leave.
  worker.handleEvent('chat', ({ userId, text }: Payload<'chat'>) => {
    if (!members.has(userId)) return void ignored++;
    const line = { userId, text, at: Date.now() };
    chat.push(line);
    if (chat.length > CHAT_HISTORY) chat.shift();
    publish('chat', line);
  });

  worker.handleEvent('dice', ({ userId }: Payload<'dice'>) => {
    if (!members.has(userId)) return void ignored++;
    lastDice = { userId, value: randomInt(1, 7), at: Date.now() };
    publish('dice', lastDice);
  });

  worker.handleEvent('dry-ice', ({ userId, durationMs }: Payload<'dry-ice'>) => {
    if (!members.has(userId)) return void ignored++;
    dryIce = { by: userId, until: Date.now() + durationMs };
    publish('dry-ice', { userId, durationMs });
    // A new effect replaces the running one: the named timer is re-armed, not stacked.
    worker.setTimer('dry-ice', durationMs, () => {
      dryIce = null;
      publish('dry-ice-ended', { userId });
    });
  });

  worker.handleCommand('stats', () => ({
    rid,
    members: members.size,
    seated: seats.filter((s) => s !== null).length,
    ignored,
    cacheMode: lease.mode,
    timers: worker.timerNames(),
    pending: worker.pending,
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
    await lease.release();
    members.clear();
    publish('closed');
  });

  return worker;
}
