import { after, before } from 'node:test';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';
import { conformance } from './conformance-cases.ts';

let client: Redis | undefined;
const skip = await skipWithoutRedis();
if (!skip) {
  before(() => {
    client = sharedRedis();
  });
  after(() => client?.disconnect());
  conformance(
    'Redis only',
    (options) =>
      new TieredCache({
        ...options,
        name: uniquePrefix('conf-redis'),
        memory: false,
        redis: client!,
      }),
  );
}
