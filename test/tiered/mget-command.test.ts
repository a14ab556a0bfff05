// The MGET the Redis tier sends as its own ioredis Command (keys given as they are, the request
// built in one pass) must answer exactly what `mgetBuffer` answers, for ASCII and non-ASCII keys,
// and clients it must not be used with (keyPrefix, auto-pipelining) get `mgetBuffer` itself.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { mgetBuffer } from '../../src/tiered/mget-command.ts';
import { REDIS_URL, sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

it('answers as mgetBuffer does: ASCII and non-ASCII keys, missing keys, binary values', {
  skip,
}, async () => {
  const prefix = uniquePrefix('mget');
  const keys = [
    `${prefix}:a`,
    `${prefix}:é`,
    `${prefix}:😀`,
    `${prefix}:missing`,
    `${prefix}:ключ`,
    `${prefix}:${'k'.repeat(300)}`,
  ];
  await client.set(keys[0]!, 'plain');
  await client.set(keys[1]!, Buffer.from([0, 1, 0xff, 0x80]));
  await client.set(keys[2]!, 'emoji');
  await client.set(keys[4]!, '');
  await client.set(keys[5]!, 'long');
  try {
    for (const batch of [
      keys,
      keys.slice(0, 1),
      [keys[0]!, keys[3]!],
      keys.filter((_, i) => i !== 1 && i !== 2),
    ]) {
      const ours = await mgetBuffer(client, [...batch]);
      const theirs = await client.mgetBuffer([...batch]);
      assert.deepEqual(ours, theirs);
    }
  } finally {
    await client.del(...keys);
  }
});

it('does not go through the generated mgetBuffer on a plain client', { skip }, async () => {
  const own = new Redis(REDIS_URL);
  own.on('error', () => {});
  const key = uniquePrefix('mget-own');
  try {
    await own.set(key, 'v');
    // The command sent is ours (its class), not one built by ioredis's generated method.
    const sent: string[] = [];
    const send = own.sendCommand.bind(own);
    own.sendCommand = (command, stream) => {
      sent.push(command.constructor.name);
      return send(command, stream);
    };
    assert.deepEqual(await mgetBuffer(own, [key, `${key}:none`]), [Buffer.from('v'), null]);
    assert.deepEqual(sent, ['Mget']);
  } finally {
    await own.del(key);
    own.disconnect();
  }
});

it('a command sent before the client connects waits in its offline queue', { skip }, async () => {
  const lazy = new Redis(REDIS_URL, { lazyConnect: true });
  lazy.on('error', () => {});
  try {
    assert.deepEqual(await mgetBuffer(lazy, [uniquePrefix('mget-lazy')]), [null]);
  } finally {
    lazy.disconnect();
  }
});

it('clients with keyPrefix or auto-pipelining get mgetBuffer itself', { skip }, async () => {
  const key = uniquePrefix('mget-opts');
  await client.set(`p:${key}`, 'prefixed');
  await client.set(key, 'bare');
  const prefixed = new Redis(REDIS_URL, { keyPrefix: 'p:' });
  const pipelined = new Redis(REDIS_URL, { enableAutoPipelining: true });
  for (const c of [prefixed, pipelined]) c.on('error', () => {});
  try {
    assert.deepEqual(await mgetBuffer(prefixed, [key]), [Buffer.from('prefixed')]);
    const [a, b] = await Promise.all([mgetBuffer(pipelined, [key]), mgetBuffer(pipelined, [key])]);
    assert.deepEqual([a, b], [[Buffer.from('bare')], [Buffer.from('bare')]]);
  } finally {
    await client.del(key, `p:${key}`);
    prefixed.disconnect();
    pipelined.disconnect();
  }
});

it('a client whose mgetBuffer is overridden (subclass or wrapper) gets its own mgetBuffer', {
  skip,
}, async () => {
  const calls: string[][] = [];
  // A subclass's own method (set on its prototype: ioredis's overloads do not type an override).
  class Counting extends Redis {}
  Counting.prototype.mgetBuffer = function (this: Redis, keys: string[]) {
    calls.push(keys.slice());
    return Redis.prototype.mgetBuffer.call(this, keys);
  } as Redis['mgetBuffer'];
  const sub = new Counting(REDIS_URL);
  const wrapped = new Redis(REDIS_URL);
  for (const c of [sub, wrapped]) c.on('error', () => {});
  const plain = wrapped.mgetBuffer.bind(wrapped);
  wrapped.mgetBuffer = ((keys: string[]) => {
    calls.push(keys.slice());
    return plain(keys);
  }) as Redis['mgetBuffer'];
  const key = uniquePrefix('mget-override');
  try {
    await client.set(key, 'v');
    assert.deepEqual(await mgetBuffer(sub, [key]), [Buffer.from('v')]);
    assert.deepEqual(await mgetBuffer(wrapped, [key]), [Buffer.from('v')]);
    assert.deepEqual(calls, [[key], [key]]);
  } finally {
    await client.del(key);
    sub.disconnect();
    wrapped.disconnect();
  }
});

it('any other object with an mgetBuffer (no options, not an ioredis client) is asked itself', async () => {
  const stub = {
    isCluster: false,
    mgetBuffer: async (keys: string[]) =>
      keys.map((key) => (key === 'a' ? Buffer.from('x') : null)),
  };
  assert.deepEqual(await mgetBuffer(stub as unknown as Redis, ['a', 'b']), [
    Buffer.from('x'),
    null,
  ]);
});
