import { InvalidArgumentError, InvalidOptionError } from 'tiercache/errors';
import { Mailbox } from './mailbox.ts';
import { RoomBusyError, RoomStoppedError } from './room-errors.ts';

/** Handles a request and returns its reply; the sender awaits the reply. */
export type RequestHandler<P = unknown, R = unknown> = (
  payload: P,
  worker: RoomWorker,
) => R | Promise<R>;

/** Handles a fire-and-forget event; the sender does not wait. Errors go to `onError`. */
export type EventHandler<P = unknown> = (payload: P, worker: RoomWorker) => void | Promise<void>;

/** Handles a named control command (from the node, not from users) and returns its result. */
export type CommandHandler<A = unknown, R = unknown> = (
  args: A,
  worker: RoomWorker,
) => R | Promise<R>;

/** Where an error reported to `onError` came from. */
export interface RoomErrorContext {
  rid: string;
  kind: 'event' | 'timer' | 'stop';
  name: string;
}

/** Options of a {@link RoomWorker}. */
export interface RoomWorkerOptions {
  /** Messages that may wait in the mailbox before senders get `TIERCACHE_ROOM_BUSY`. @default 500 (the story's channel depth) */
  mailboxSize?: number;
  /** Receives errors thrown by event handlers, timers and stop hooks (requests reject instead). @default logs to stderr */
  onError?: (error: unknown, context: RoomErrorContext) => void;
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

/** The worker's life: it takes messages while `running`, finishes its queue while `stopping`. */
export type RoomWorkerState = 'running' | 'stopping' | 'stopped';

interface Envelope {
  kind: 'request' | 'event' | 'command' | 'timer';
  name: string;
  payload: unknown;
  resolve?: (value: unknown) => void;
  reject?: (error: unknown) => void;
  /** For timers: which arming of the named timer this firing belongs to. */
  generation?: number;
}

interface ArmedTimer {
  handle: NodeJS.Timeout;
  generation: number;
  fn: (worker: RoomWorker) => void | Promise<void>;
}

const DEFAULT_MAILBOX_SIZE = 500;

function defaultOnError(error: unknown, context: RoomErrorContext): void {
  console.error(`room ${context.rid}: ${context.kind} "${context.name}" failed:`, error);
}

/**
 * One room's worker, the story's `room_work` goroutine: a bounded mailbox drained one message
 * at a time in arrival order, handlers by message type (request/reply or fire-and-forget),
 * command handlers by name, and named timers whose firings go through the same mailbox so
 * room state is only ever touched by one handler at a time. Every timer is cleared on stop.
 */
export class RoomWorker {
  readonly rid: string;
  #mailbox: Mailbox<Envelope>;
  #requests = new Map<string, RequestHandler>();
  #events = new Map<string, EventHandler>();
  #commands = new Map<string, CommandHandler>();
  #timers = new Map<string, ArmedTimer>();
  #stopHooks: Array<(worker: RoomWorker) => void | Promise<void>> = [];
  #setup: ((worker: RoomWorker) => Promise<void>) | undefined;
  #setupDone = false;
  #setupError: unknown;
  #setupFailed = false;
  #timerGeneration = 0;
  #state: RoomWorkerState = 'running';
  #stopping: Promise<void> | undefined;
  #busy = false;
  #holds = 0;
  #lastActiveAt: number;
  #handled = 0;
  #idleWaiters: Array<() => void> = [];
  #onError: (error: unknown, context: RoomErrorContext) => void;
  #now: () => number;

  constructor(rid: string, options: RoomWorkerOptions = {}) {
    const mailboxSize = options.mailboxSize ?? DEFAULT_MAILBOX_SIZE;
    if (!Number.isInteger(mailboxSize) || mailboxSize < 1) {
      throw new InvalidOptionError('mailboxSize', `must be a positive integer, got ${mailboxSize}`);
    }
    this.rid = rid;
    this.#mailbox = new Mailbox(mailboxSize);
    this.#onError = options.onError ?? defaultOnError;
    this.#now = options.now ?? Date.now;
    this.#lastActiveAt = this.#now();
  }

  /** `running`, `stopping` (draining, taking nothing new) or `stopped`. */
  get state(): RoomWorkerState {
    return this.#state;
  }

  /** Messages waiting plus the one being handled. */
  get pending(): number {
    return this.#mailbox.length + (this.#busy ? 1 : 0);
  }

  /** The mailbox bound. */
  get mailboxSize(): number {
    return this.#mailbox.capacity;
  }

  /** When the last message arrived or finished, in the worker's clock. */
  get lastActiveAt(): number {
    return this.#lastActiveAt;
  }

  /** Messages handled since the worker started (requests, events, commands and timer firings). */
  get handled(): number {
    return this.#handled;
  }

  /** Holders (for example open WebSockets) that keep the room from being stopped as idle. */
  get holds(): number {
    return this.#holds;
  }

  /** Names of the timers currently armed. */
  timerNames(): string[] {
    return [...this.#timers.keys()];
  }

  /** Registers the handler of request messages of `type` (the sender awaits its reply). */
  handleRequest<P, R>(type: string, handler: RequestHandler<P, R>): this {
    this.#requests.set(type, handler as RequestHandler);
    return this;
  }

  /** Registers the handler of fire-and-forget messages of `type`. */
  handleEvent<P>(type: string, handler: EventHandler<P>): this {
    this.#events.set(type, handler as EventHandler);
    return this;
  }

  /** Registers the handler of the control command `name`. */
  handleCommand<A, R>(name: string, handler: CommandHandler<A, R>): this {
    this.#commands.set(name, handler as CommandHandler);
    return this;
  }

  /** Runs `hook` once when the worker stops, after its queue is done: release what the room holds there. */
  onStop(hook: (worker: RoomWorker) => void | Promise<void>): this {
    this.#stopHooks.push(hook);
    return this;
  }

  /**
   * Runs `step` once before the first message is handled (loading the room, taking its lease).
   * Messages queued meanwhile wait for it; if it fails, every message is rejected with its error.
   */
  setup(step: (worker: RoomWorker) => Promise<void>): this {
    this.#setup = step;
    if (!this.#busy && this.#mailbox.length === 0) this.#pump();
    return this;
  }

  /** Whether a request handler exists for `type`. */
  hasRequest(type: string): boolean {
    return this.#requests.has(type);
  }

  /** Whether an event handler exists for `type`. */
  hasEvent(type: string): boolean {
    return this.#events.has(type);
  }

  /**
   * Queues a request and resolves with its handler's reply. Throws at once (queueing nothing)
   * when the type is unknown, the mailbox is full or the worker no longer runs.
   */
  request<R = unknown>(type: string, payload?: unknown): Promise<R> {
    if (this.#state !== 'running') throw new RoomStoppedError(this.rid);
    if (!this.#requests.has(type)) {
      throw new InvalidArgumentError(`Room "${this.rid}" has no request handler for "${type}"`);
    }
    return this.#ask<R>('request', type, payload);
  }

  /** Queues a fire-and-forget event. Throws at once when the type is unknown, the mailbox is full or the worker no longer runs. */
  post(type: string, payload?: unknown): void {
    if (this.#state !== 'running') throw new RoomStoppedError(this.rid);
    if (!this.#events.has(type)) {
      throw new InvalidArgumentError(`Room "${this.rid}" has no event handler for "${type}"`);
    }
    this.#enqueue({ kind: 'event', name: type, payload });
  }

  /** Queues the command `name` and resolves with its result; throws like {@link request}. */
  command<R = unknown>(name: string, args?: unknown): Promise<R> {
    if (this.#state !== 'running') throw new RoomStoppedError(this.rid);
    if (!this.#commands.has(name)) {
      throw new InvalidArgumentError(`Room "${this.rid}" has no command "${name}"`);
    }
    return this.#ask<R>('command', name, args);
  }

  /**
   * Arms the timer `name` to run `fn` after `delayMs`, replacing any timer of that name. The
   * firing is queued like a message, so it never runs beside a handler. Timers do not keep the
   * process alive and are all cleared when the worker stops.
   */
  setTimer(name: string, delayMs: number, fn: (worker: RoomWorker) => void | Promise<void>): void {
    if (this.#state !== 'running') throw new RoomStoppedError(this.rid);
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new InvalidArgumentError(`Timer delay must be a finite number >= 0, got ${delayMs}`);
    }
    this.clearTimer(name);
    const generation = ++this.#timerGeneration;
    const handle = setTimeout(() => {
      // Timer firings skip the mailbox bound: at most one per armed timer can wait.
      this.#mailbox.pushUnbounded({ kind: 'timer', name, payload: undefined, generation });
      this.#pump();
    }, delayMs);
    handle.unref();
    this.#timers.set(name, { handle, generation, fn });
  }

  /** Disarms the timer `name`; returns whether it was armed. */
  clearTimer(name: string): boolean {
    const timer = this.#timers.get(name);
    if (timer === undefined) return false;
    clearTimeout(timer.handle);
    this.#timers.delete(name);
    return true;
  }

  /** Whether the timer `name` is armed (set and not yet fired or cleared). */
  hasTimer(name: string): boolean {
    return this.#timers.has(name);
  }

  /** Marks the room as held (an open connection); a held room is never idle. */
  retain(): void {
    this.#holds++;
  }

  /** Releases one {@link retain}. */
  release(): void {
    if (this.#holds > 0) this.#holds--;
    this.#lastActiveAt = this.#now();
  }

  /** Whether nothing waits, nothing runs, nothing holds the room and no message came for `idleMs`. */
  isIdle(idleMs: number, now = this.#now()): boolean {
    return (
      this.#state === 'running' &&
      !this.#busy &&
      this.#mailbox.length === 0 &&
      this.#holds === 0 &&
      now - this.#lastActiveAt >= idleMs
    );
  }

  /**
   * Stops the worker: it takes no new messages, clears every timer, finishes what is queued
   * (or, with `drain: false`, rejects it with `TIERCACHE_ROOM_STOPPED`), then runs the stop hooks.
   */
  stop(options: { drain?: boolean } = {}): Promise<void> {
    if (this.#stopping === undefined) {
      this.#state = 'stopping';
      for (const name of [...this.#timers.keys()]) this.clearTimer(name);
      if (options.drain === false) {
        for (const envelope of this.#mailbox.drain()) {
          envelope.reject?.(new RoomStoppedError(this.rid));
        }
      }
      this.#stopping = this.whenIdle().then(() => this.#finishStop());
    }
    return this.#stopping;
  }

  async #finishStop(): Promise<void> {
    this.#state = 'stopped';
    // Timer firings already queued belong to cleared timers and were skipped; drop the rest.
    this.#mailbox.drain();
    const hooks = this.#stopHooks;
    this.#stopHooks = [];
    for (const hook of hooks) {
      try {
        await hook(this);
      } catch (error) {
        this.#onError(error, { rid: this.rid, kind: 'stop', name: 'onStop' });
      }
    }
    // Forget the handlers: they close over room state, which can then be collected even if
    // something still holds this worker by mistake.
    this.#requests.clear();
    this.#events.clear();
    this.#commands.clear();
  }

  // Queues synchronously (so a full mailbox throws to the caller, not into the promise) and
  // returns the promise of the reply.
  #ask<R>(kind: 'request' | 'command', name: string, payload: unknown): Promise<R> {
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const reply = new Promise<R>((res, rej) => {
      resolve = res as (value: unknown) => void;
      reject = rej;
    });
    this.#enqueue({ kind, name, payload, resolve, reject });
    return reply;
  }

  #enqueue(envelope: Envelope): void {
    if (this.#state !== 'running') throw new RoomStoppedError(this.rid);
    if (!this.#mailbox.push(envelope)) throw new RoomBusyError(this.rid, this.#mailbox.capacity);
    this.#lastActiveAt = this.#now();
    this.#pump();
  }

  /** Resolves once the mailbox is empty and no handler runs. */
  whenIdle(): Promise<void> {
    if (!this.#busy && this.#mailbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    if (this.#busy) return;
    this.#busy = true;
    // Start on a microtask so the sender's call returns before any handler runs.
    queueMicrotask(() => void this.#run());
  }

  async #run(): Promise<void> {
    if (!this.#setupDone && this.#setup !== undefined) {
      this.#setupDone = true;
      try {
        await this.#setup(this);
      } catch (error) {
        this.#setupFailed = true;
        this.#setupError = error;
      }
    }
    for (let envelope = this.#mailbox.shift(); envelope; envelope = this.#mailbox.shift()) {
      if (this.#setupFailed) {
        // A room that could not start handles nothing: each sender hears why.
        if (envelope.kind !== 'timer') envelope.reject?.(this.#setupError);
        continue;
      }
      await this.#dispatch(envelope);
      this.#handled++;
      this.#lastActiveAt = this.#now();
    }
    this.#busy = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #dispatch(envelope: Envelope): Promise<void> {
    const { kind, name, payload } = envelope;
    try {
      switch (kind) {
        case 'request': {
          const handler = this.#requests.get(name);
          if (handler === undefined) throw new RoomStoppedError(this.rid);
          envelope.resolve?.(await handler(payload, this));
          return;
        }
        case 'command': {
          const handler = this.#commands.get(name);
          if (handler === undefined) throw new RoomStoppedError(this.rid);
          envelope.resolve?.(await handler(payload, this));
          return;
        }
        case 'event': {
          await this.#events.get(name)?.(payload, this);
          return;
        }
        case 'timer': {
          const timer = this.#timers.get(name);
          // A firing of a timer that was cleared or re-armed since is stale: skip it.
          if (timer === undefined || timer.generation !== envelope.generation) return;
          this.#timers.delete(name);
          await timer.fn(this);
          return;
        }
      }
    } catch (error) {
      if (envelope.reject) envelope.reject(error);
      else
        this.#onError(error, { rid: this.rid, kind: kind === 'timer' ? 'timer' : 'event', name });
    }
  }
}
