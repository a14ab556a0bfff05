/**
 * Cross-node invalidation over Redis pub/sub. Messages carry keys only (never values) and the
 * sender's origin id, so a node ignores its own messages. The subscriber is a dedicated
 * `duplicate()` of the caller's client, owned and closed by the bus. Pub/sub is fire-and-forget:
 * when the subscriber reconnects, messages may have been lost while it was away, so the bus
 * tells its owner to drop everything it holds in memory.
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
  onReconnect(): void;
  onError(error: Error): void;
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
  #readyOnce = false;
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
    subscriber.on('ready', () => {
      if (this.#closed) return;
      // ioredis resubscribes by itself on reconnect; what was published meanwhile is gone.
      if (this.#readyOnce) handlers.onReconnect();
      this.#readyOnce = true;
    });
    // Without an 'error' listener ioredis would log every reconnect failure to stderr.
    subscriber.on('error', (error: Error) => {
      if (!this.#closed) handlers.onError(error);
    });
    subscriber.on('messageBuffer', (channelBytes: Buffer, payload: Buffer) => {
      if (this.#closed || channelBytes.toString() !== channel) return;
      const message = this.decode(payload.toString('utf8'));
      if (message) handlers.onInvalidate(message);
    });
    subscriber.subscribe(channel).catch((error: Error) => {
      if (!this.#closed) handlers.onError(error);
    });
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
