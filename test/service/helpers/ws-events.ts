import { once } from 'node:events';
import { WebSocket } from 'ws';
import type { Json } from './test-app.ts';

/** A WebSocket client that collects every JSON event and lets a test wait for one. */
export class EventClient {
  readonly ws: WebSocket;
  readonly events: Array<Json> = [];
  #waiters: Array<{ test: (e: Json) => boolean; resolve: (e: Json) => void }> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const event = JSON.parse(data.toString());
      this.events.push(event);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.test(event)) return true;
        w.resolve(event);
        return false;
      });
    });
  }

  /** Connects to `url` and resolves once the socket is open. */
  static async connect(url: string): Promise<EventClient> {
    const client = new EventClient(new WebSocket(url));
    await once(client.ws, 'open');
    return client;
  }

  /** Resolves with the first event (already received or future) matching `test`. */
  next(test: (event: Json) => boolean, timeoutMs = 5000): Promise<Json> {
    const seen = this.events.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching event arrived')), timeoutMs);
      this.#waiters.push({
        test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Closes the socket and waits for it to be closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await once(this.ws, 'close');
  }
}
