/**
 * Cross-node invalidation over Redis pub/sub. Messages carry keys only (never values) and the
 * sender's origin id, so a node ignores its own messages. The subscriber is a dedicated
 * `duplicate()` of the caller's client, owned and closed by the bus. Pub/sub is fire-and-forget:
 * whatever was published before a SUBSCRIBE is acknowledged (at start-up, or after a reconnect)
 * may have been missed, so each time the subscription becomes active the bus tells its owner,
 * which drops everything it holds in memory.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-tier.ts';

/** What a bus message asks receivers to drop: some keys, or everything (`clear`). */
export type BusMessage = { readonly keys: readonly string[] } | { readonly clear: true };

/** What the bus calls back into; kept apart from the cache so the bus holds no strong reference. */
export interface BusHandlers {
  onInvalidate(message: BusMessage): void;
  /** The subscription is active: for the first time, or again after a reconnect. */
  onSubscribed(reconnected: boolean): void;
  /**
   * The subscriber failed. `repeat` is true for a connection error while the connection is
   * already known to be down (the first error of an outage is not a repeat): the owner counts
   * those but reports only the first, so a stopped Redis is one `error` event, not one per
   * reconnect attempt.
   */
  onError(error: Error, repeat: boolean): void;
}

interface WireMessage {
  o: string;
  k?: string[];
  c?: 1;
}

/** The encoding of bus messages and, when listening, the subscriber connection. */
export class Bus {
  /** This node's origin id, stamped on every message it sends. */
  readonly origin: string = randomUUID();
  /** The pub/sub channel. */
  readonly channel: string;
  #subscriber: RedisClient | null = null;
  #subscribing = false;
  #subscribedOnce = false;
  /** The subscriber's connection failed and has not been `ready` since. */
  #down = false;
  #closed = false;

  constructor(channel: string) {
    this.channel = channel;
  }

  /** Subscribes on a dedicated `duplicate()` of `client` and calls `handlers` for other nodes' messages. */
  listen(client: RedisClient, handlers: BusHandlers): void {
    const channel = this.channel;
    // A connection in subscriber mode cannot run other commands: it must be a dedicated one.
    const subscriber = client.duplicate();
    this.#subscriber = subscriber;
    const subscribe = () => {
      this.#subscribing = true;
      subscriber.subscribe(channel).then(
        () => {
          this.#subscribing = false;
          if (this.#closed) return;
          handlers.onSubscribed(this.#subscribedOnce);
          this.#subscribedOnce = true;
        },
        (error: Error) => {
          this.#subscribing = false;
          // A refused SUBSCRIBE is always reported: it happens at most once per connection
          // attempt while one is queued, and it means invalidations are not being heard.
          if (!this.#closed) handlers.onError(error, false);
        },
      );
    };
    // Our own SUBSCRIBE on every (re)connect, unless one is still queued: its reply is the moment
    // the subscription is active again (ioredis's automatic resubscribe gives no such signal),
    // and it retries a first SUBSCRIBE that was refused because Redis was down at start-up.
    subscriber.on('ready', () => {
      this.#down = false;
      if (!this.#closed && !this.#subscribing) subscribe();
    });
    // Without an 'error' listener ioredis would log every reconnect failure to stderr. ioredis
    // emits one per failed reconnect attempt (several a second while Redis is down): the first of
    // an outage is reported, the rest are repeats until the connection is ready again.
    subscriber.on('error', (error: Error) => {
      if (this.#closed) return;
      const repeat = this.#down;
      this.#down = true;
      handlers.onError(error, repeat);
    });
    subscriber.on('messageBuffer', (channelBytes: Buffer, payload: Buffer) => {
      if (this.#closed || channelBytes.toString() !== channel) return;
      const message = this.decode(payload.toString('utf8'));
      if (message) handlers.onInvalidate(message);
    });
    subscribe();
  }

  /** The wire form of a message from this node. */
  encode(message: BusMessage): string {
    const wire: WireMessage =
      'clear' in message ? { o: this.origin, c: 1 } : { o: this.origin, k: [...message.keys] };
    return JSON.stringify(wire);
  }

  /** Parses a message; `undefined` for this node's own messages and malformed ones. */
  decode(text: string): BusMessage | undefined {
    let wire: WireMessage;
    try {
      wire = JSON.parse(text) as WireMessage;
    } catch {
      return undefined;
    }
    if (typeof wire !== 'object' || wire === null || wire.o === this.origin) return undefined;
    if (wire.c === 1) return { clear: true };
    if (Array.isArray(wire.k) && wire.k.every((k) => typeof k === 'string'))
      return { keys: wire.k };
    return undefined;
  }

  /** Closes the subscriber connection at once, without waiting for Redis to answer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // disconnect() drops the socket; quit() would wait for a reply that a paused server never sends.
    this.#subscriber?.disconnect();
    this.#subscriber = null;
  }
}
