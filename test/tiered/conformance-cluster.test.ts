import { after, before } from 'node:test';
import type { Cluster } from 'ioredis';
import { TieredCache } from 'tiercache';
import { uniquePrefix } from '../helpers/redis.ts';
import { type PrivateCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { conformance } from './conformance-cases.ts';

let cluster: PrivateCluster | undefined;
let client: Cluster | undefined;
before(async () => {
  cluster = await startRedisCluster();
  client = cluster.client();
});
after(async () => {
  client?.disconnect();
  await cluster?.kill();
});
conformance(
  'memory + Redis Cluster (3 masters)',
  (options) => new TieredCache({ ...options, name: uniquePrefix('conf-cluster'), redis: client! }),
);
