import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TieredCacheStats } from 'tiercache';
import { type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

const fixture = fileURLToPath(new URL('./fixtures/bus-node.ts', import.meta.url));

/** A child `node` process running one TieredCache, driven over stdin/stdout. */
class Node {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: { result?: unknown; error?: string }) => void>();
  #next = 0;

  constructor(url: string, name: string) {
    this.#child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', fixture, url, name],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as { id: number; result?: unknown; error?: string };
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
  }

  async call(op: string, key?: string, value?: string): Promise<unknown> {
    const id = this.#next++;
    const reply = await new Promise<{ result?: unknown; error?: string }>((resolve) => {
      this.#waiting.set(id, resolve);
      this.#child.stdin!.write(`${JSON.stringify({ id, op, key, value })}\n`);
    });
    if (reply.error) throw new Error(reply.error);
    return reply.result;
  }

  stats(): Promise<TieredCacheStats> {
    return this.call('stats') as Promise<TieredCacheStats>;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    await this.call('close').catch(() => {});
    this.#child.kill();
  }
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(20);
}

describe('two processes on one Redis', { timeout: 60_000 }, () => {
  let server: PrivateRedis;
  let a: Node;
  let b: Node;
  before(async () => {
    server = await startRedisServer();
    a = new Node(server.url, 'two-proc');
    b = new Node(server.url, 'two-proc');
    // Both subscribers are up once the server counts two subscriptions on the channel.
    const admin = server.client();
    await until(async () => {
      const [, count] = (await admin.pubsub('NUMSUB', 'two-proc:bus')) as [string, number];
      return Number(count) === 2;
    });
    admin.disconnect();
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await server.kill();
  });

  it('a write on one node is seen by the other once the bus delivers it', async () => {
    await a.call('set', 'k', 'v1');
    assert.equal(await b.call('fast', 'k'), 'v1'); // now cached in b's memory for 10 minutes
    const received = (await b.stats()).bus.received;
    await a.call('set', 'k', 'v2');
    await until(async () => (await b.stats()).bus.received > received);
    assert.equal(await b.call('fast', 'k'), 'v2');
    assert.equal((await a.stats()).bus.received, 0, 'a node ignores its own messages');
  });

  it('after a forced subscriber reconnect (CLIENT KILL TYPE pubsub) the other node drops its memory', async () => {
    assert.equal(await b.call('fast', 'k'), 'v2');
    const admin = server.client();
    try {
      await admin.client('KILL', 'TYPE', 'pubsub');
      // Written while the subscribers are away: the message may be lost, the reconnect covers it.
      await a.call('set', 'k', 'v3');
      await until(async () => (await b.stats()).bus.reconnects >= 1);
      assert.equal(await b.call('fast', 'k'), 'v3');
      const received = (await b.stats()).bus.received;
      await a.call('set', 'k', 'v4');
      await until(async () => (await b.stats()).bus.received > received);
      assert.equal(await b.call('fast', 'k'), 'v4', 'the bus works again after the reconnect');
    } finally {
      admin.disconnect();
    }
  });

  it("clear() on one node empties Redis and, over the bus, the other node's memory", async () => {
    const keys = ['c1', 'c2', 'c3'];
    for (const key of keys) await a.call('set', key, `v:${key}`);
    for (const key of keys) assert.equal(await b.call('fast', key), `v:${key}`); // in b's memory
    const admin = server.client();
    try {
      await admin.set('other-cache:c1', 'untouched');
      const received = (await b.stats()).bus.received;
      await a.call('clear');
      assert.deepEqual(await admin.keys('two-proc:*'), [], 'Redis holds none of the keys');
      await until(async () => (await b.stats()).bus.received > received);
      for (const key of keys) {
        assert.equal(await b.call('has', key), false, `${key} left b's memory`);
        assert.equal(await b.call('fast', key), null);
      }
      assert.equal(await admin.get('other-cache:c1'), 'untouched', 'another namespace stays');
    } finally {
      admin.disconnect();
    }
  });
});
