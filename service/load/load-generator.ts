import { setMaxListeners } from 'node:events';
import { InvalidArgumentError, InvalidOptionError } from 'tiercache/errors';
import { SEAT_COUNT } from '../dj-room/index.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { LoadTarget, Outcome } from './load-target.ts';

/** Options of a {@link LoadGenerator}. */
export interface LoadOptions {
  /** Rooms the bots spread over at any moment. @default 200 */
  rooms?: number;
  /** Simulated users, each a loop of actions. @default 1000 */
  bots?: number;
  /** How long the load runs, in seconds; it stops by itself. @default 60 */
  seconds?: number;
  /** Mean pause between a bot's actions, in ms. @default 200 */
  thinkMs?: number;
  /** Users in the database; bot `i` is user `1 + i % users`. @default 10_000 */
  users?: number;
  /** Prefix of the rids the bots use. @default 'load' */
  roomPrefix?: string;
  /**
   * Room churn: every this many ms the window of rooms slides by `churnRooms`, so new rooms keep
   * being created and old ones go idle (what makes bug mode climb). 0 = fixed rooms. @default 0
   */
  churnMs?: number;
  /** Rooms the window slides by at each churn step. @default rooms / 8 */
  churnRooms?: number;
}

/** The state of a run, as the progress bar and the dashboard show it. */
export interface LoadProgress {
  running: boolean;
  elapsedMs: number;
  durationMs: number;
  actions: number;
  outcomes: Record<Outcome, number>;
  roomsTouched: number;
}

/** What a finished run reports. */
export interface LoadReport extends LoadProgress {
  actionsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

// How long past the end of a run bots' last requests may take before they are cut (failed):
// a node that stalls cannot keep the generator running.
const FINISH_GRACE_MS = 2_000;

type Action = 'chat' | 'dice' | 'dry-ice' | 'seat' | 'unseat' | 'snapshot' | 'profile' | 'leave';

// How often a joined bot does each thing: mostly chat and look at the room, as the story's
// "three phones clicking madly" did, with every prop and seat in the mix.
const ACTIONS: ReadonlyArray<[Action, number]> = [
  ['chat', 35],
  ['snapshot', 20],
  ['dice', 12],
  ['seat', 10],
  ['unseat', 5],
  ['profile', 8],
  ['dry-ice', 4],
  ['leave', 6],
];
const ACTION_WEIGHT = ACTIONS.reduce((sum, [, w]) => sum + w, 0);

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(name, `must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * Simulated users in many rooms doing everything a room offers (join, chat, seats, dice, dry
 * ice, reading the room and profiles, leaving for another room), each bot a closed loop with a
 * random pause, for a fixed time. Records every action's latency and outcome.
 */
export class LoadGenerator {
  readonly options: Required<LoadOptions>;
  #target: LoadTarget;
  #histogram = new LatencyHistogram();
  #outcomes: Record<Outcome, number> = { ok: 0, rejected: 0, busy: 0, failed: 0 };
  #actions = 0;
  #rooms = new Set<string>();
  #startedAt = 0;
  #running = false;
  #stopRequested = false;
  #wakers = new Set<() => void>();

  constructor(target: LoadTarget, options: LoadOptions = {}) {
    const rooms = Math.floor(positive('rooms', options.rooms ?? 200));
    this.options = {
      rooms,
      bots: Math.floor(positive('bots', options.bots ?? 1000)),
      seconds: positive('seconds', options.seconds ?? 60),
      thinkMs: positive('thinkMs', options.thinkMs ?? 200),
      users: Math.floor(positive('users', options.users ?? 10_000)),
      roomPrefix: options.roomPrefix ?? 'load',
      churnMs: options.churnMs ?? 0,
      churnRooms: options.churnRooms ?? Math.max(1, Math.floor(rooms / 8)),
    };
    this.#target = target;
  }

  /** Where the run is. */
  progress(): LoadProgress {
    return {
      running: this.#running,
      elapsedMs: this.#startedAt === 0 ? 0 : Date.now() - this.#startedAt,
      durationMs: this.options.seconds * 1000,
      actions: this.#actions,
      outcomes: { ...this.#outcomes },
      roomsTouched: this.#rooms.size,
    };
  }

  /** Runs every bot until the time is up (or {@link stop}), then resolves with the report. */
  async run(): Promise<LoadReport> {
    if (this.#running) throw new InvalidArgumentError('This load generator is already running');
    this.#running = true;
    this.#startedAt = Date.now();
    const durationMs = this.options.seconds * 1000;
    const deadline = this.#startedAt + durationMs;
    // One signal for the whole run (its timer is unref()ed): every request still waiting at the
    // deadline plus the grace is aborted, whatever the target's own per-request timeout.
    const cutoff = AbortSignal.timeout(durationMs + FINISH_GRACE_MS);
    // Each bot's request in flight listens on it: that is one listener per bot, by design.
    setMaxListeners(this.options.bots + 10, cutoff);
    const bots = Array.from({ length: this.options.bots }, (_, i) =>
      this.#bot(i, deadline, cutoff),
    );
    await Promise.all(bots);
    this.#running = false;
    const elapsedMs = Date.now() - this.#startedAt;
    const h = this.#histogram;
    return {
      ...this.progress(),
      elapsedMs,
      actionsPerSecond: this.#actions / (elapsedMs / 1000),
      latencyMs: {
        p50: h.percentile(0.5),
        p90: h.percentile(0.9),
        p99: h.percentile(0.99),
        max: h.max,
        mean: h.mean,
      },
    };
  }

  /** Ends the run early: every bot finishes its current action and leaves. */
  stop(): void {
    this.#stopRequested = true;
    for (const wake of this.#wakers) wake();
  }

  #roomFor(bot: number): string {
    const { rooms, churnMs, churnRooms, roomPrefix } = this.options;
    const shift =
      churnMs > 0 ? Math.floor((Date.now() - this.#startedAt) / churnMs) * churnRooms : 0;
    // Bots spread over the current window of rooms; a bot moves on when it leaves.
    const index = shift + ((bot * 7919 + Math.floor(Math.random() * rooms)) % rooms);
    return `${roomPrefix}-${index}`;
  }

  async #bot(bot: number, deadline: number, cutoff: AbortSignal): Promise<void> {
    const userId = 1 + (bot % this.options.users);
    let rid: string | undefined;
    // Stagger the start so a thousand bots do not all join in the same millisecond.
    await this.#sleep(Math.random() * this.options.thinkMs);
    while (!this.#stopRequested && Date.now() < deadline) {
      if (rid === undefined) {
        rid = this.#roomFor(bot);
        this.#rooms.add(rid);
        const join = { type: 'join', userId } as const;
        const outcome = await this.#timed(() => this.#target.send(rid!, join, cutoff));
        if (outcome !== 'ok') rid = undefined;
      } else {
        const action = this.#pickAction();
        const room = rid;
        const outcome = await this.#timed(() => this.#act(action, room, userId, cutoff));
        // After leaving (or losing the room to an idle stop), join another one next time.
        if (action === 'leave' || outcome === 'rejected') rid = undefined;
      }
      await this.#sleep(Math.random() * 2 * this.options.thinkMs);
    }
    if (rid !== undefined && !cutoff.aborted) {
      await this.#target.send(rid, { type: 'leave', userId }, cutoff);
    }
  }

  #act(action: Action, rid: string, userId: number, signal: AbortSignal): Promise<Outcome> {
    const t = this.#target;
    switch (action) {
      case 'chat':
        return t.send(rid, { type: 'chat', userId, text: `hello from bot ${userId}` }, signal);
      case 'dice':
        return t.send(rid, { type: 'dice', userId }, signal);
      case 'dry-ice': {
        const durationMs = 1000 + Math.floor(Math.random() * 2000);
        return t.send(rid, { type: 'dry-ice', userId, durationMs }, signal);
      }
      case 'seat': {
        const seat = Math.floor(Math.random() * SEAT_COUNT);
        return t.send(rid, { type: 'seat', userId, seat }, signal);
      }
      case 'unseat':
        return t.send(rid, { type: 'unseat', userId }, signal);
      case 'snapshot':
        return t.snapshot(rid, signal);
      case 'profile':
        return t.profile(1 + Math.floor(Math.random() * this.options.users), signal);
      case 'leave':
        return t.send(rid, { type: 'leave', userId }, signal);
    }
  }

  #pickAction(): Action {
    let roll = Math.random() * ACTION_WEIGHT;
    for (const [action, weight] of ACTIONS) {
      roll -= weight;
      if (roll < 0) return action;
    }
    return 'chat';
  }

  async #timed(action: () => Promise<Outcome>): Promise<Outcome> {
    const start = performance.now();
    const outcome = await action();
    this.#histogram.record(performance.now() - start);
    this.#actions++;
    this.#outcomes[outcome]++;
    return outcome;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }
}
