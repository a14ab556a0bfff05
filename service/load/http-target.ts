import { Agent, request } from 'node:http';
import { InvalidArgumentError, InvalidOptionError } from 'tiercache/errors';
import { isLoopbackHost } from '../config.ts';
import type { RoomMessage } from '../dj-room/index.ts';
import { type LoadTarget, type Outcome, outcomeOf } from './load-target.ts';

/** Options of an {@link HttpTarget}. */
export interface HttpTargetOptions {
  /** Connections kept open to the node at most. @default 64 */
  maxSockets?: number;
  /** A request the node leaves unanswered this long fails, in ms. @default 5_000 */
  timeoutMs?: number;
}

/**
 * Sends bot actions to a running node over HTTP with keep-alive. Only loopback addresses are
 * accepted: a load generator pointed at someone else's server by mistake is a denial of service.
 * A request fails ('failed') when the node stays silent for `timeoutMs` or its signal aborts.
 */
export class HttpTarget implements LoadTarget {
  #base: URL;
  #agent: Agent;
  #timeoutMs: number;

  constructor(baseUrl: string, options: HttpTargetOptions = {}) {
    this.#base = new URL(baseUrl);
    if (this.#base.protocol !== 'http:' || !isLoopbackHost(this.#base.hostname)) {
      throw new InvalidArgumentError(
        `The load generator targets loopback http:// addresses only, got ${baseUrl}`,
      );
    }
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1) {
      throw new InvalidOptionError(
        'timeoutMs',
        `must be a positive integer, got ${this.#timeoutMs}`,
      );
    }
  }

  send(rid: string, message: RoomMessage, signal?: AbortSignal): Promise<Outcome> {
    return this.#call('POST', `/rooms/${encodeURIComponent(rid)}/messages`, signal, message);
  }

  snapshot(rid: string, signal?: AbortSignal): Promise<Outcome> {
    return this.#call('GET', `/rooms/${encodeURIComponent(rid)}`, signal);
  }

  profile(userId: number, signal?: AbortSignal): Promise<Outcome> {
    return this.#call('GET', `/users/${userId}`, signal);
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  #call(method: string, path: string, signal?: AbortSignal, body?: unknown): Promise<Outcome> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = request(
        new URL(path, this.#base),
        {
          method,
          agent: this.#agent,
          // Socket idle time, not a timer per request: a stalled node fails the request.
          timeout: this.#timeoutMs,
          ...(signal === undefined ? {} : { signal }),
          headers:
            payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                },
        },
        (res) => {
          res.resume(); // the body is not needed; drain it so the socket is reused
          res.on('end', () => resolve(outcomeOf(res.statusCode ?? 599)));
          res.on('error', () => resolve('failed'));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve('failed'));
      req.end(payload);
    });
  }
}
