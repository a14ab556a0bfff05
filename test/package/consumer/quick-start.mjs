// The README's ten-line start, run against the installed package and the local Redis.
import { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const users = new TieredCache({
  name: process.env.SMOKE_CACHE_NAME ?? 'users',
  redis,
  load: async (ids) => new Map(ids.map((id) => [id, { id, name: `user ${id}` }])),
});
console.log(await users.get('42'), await users.getMany(['1', '2']));
await users.close();
redis.disconnect();
