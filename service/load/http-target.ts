import { Agent, request } from 'node:http';
import { InvalidArgumentError } from 'tiercache/errors';
import { isLoopbackHost } from '../config.ts';
import type { RoomMessage } from '../room/index.ts';
import { type LoadTarget, type Outcome, outcomeOf } from './load-target.ts';

/**
 * Sends bot actions to a running node over HTTP with keep-alive. Only loopback addresses are
 * accepted: a load generator pointed at someone else's server by mistake is a denial of service.
 */
export class HttpTarget implements LoadTarget {
  #base: URL;
  #agent: Agent;

  constructor(baseUrl: string, options: { maxSockets?: number } = {}) {
    this.#base = new URL(baseUrl);
    if (this.#base.protocol !== 'http:' || !isLoopbackHost(this.#base.hostname)) {
      throw new InvalidArgumentError(
        `The load generator targets loopback http:// addresses only, got ${baseUrl}`,
      );
    }
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  }

  send(rid: string, message: RoomMessage): Promise<Outcome> {
    return this.#call('POST', `/rooms/${encodeURIComponent(rid)}/messages`, message);
  }

  snapshot(rid: string): Promise<Outcome> {
    return this.#call('GET', `/rooms/${encodeURIComponent(rid)}`);
  }

  profile(userId: number): Promise<Outcome> {
    return this.#call('GET', `/users/${userId}`);
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  #call(method: string, path: string, body?: unknown): Promise<Outcome> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = request(
        new URL(path, this.#base),
        {
          method,
          agent: this.#agent,
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
      req.on('error', () => resolve('failed'));
      req.end(payload);
    });
  }
}
