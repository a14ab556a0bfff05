/**
 * A private Redis Cluster of three masters for tests: three `redis-server --cluster-enabled yes`
 * on free loopback ports, joined with `redis-cli --cluster create`, torn down by `kill()` (and by
 * the process-exit safety net of the server helper).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { type PrivateRedis, startRedisServer } from './redis-server.ts';

const run = promisify(execFile);

/** A running private cluster. */
export interface PrivateCluster {
  readonly nodes: readonly PrivateRedis[];
  /** A new ioredis Cluster client (the caller disconnects it). */
  client(options?: ClusterOptions): Cluster;
  /** Stops every node; safe to call twice. */
  kill(): Promise<void>;
}

/** Starts a three-master cluster and waits until every node reports `cluster_state:ok`. */
export async function startRedisCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-cluster-'));
  const nodes: PrivateRedis[] = [];
  const kill = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await startRedisServer([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${i}.conf`),
          '--cluster-node-timeout',
          '2000',
        ]),
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitForClusterOk(nodes);
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    nodes,
    client: (options) =>
      new Cluster(
        nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
        options,
      ),
    kill,
  };
}

async function waitForClusterOk(nodes: PrivateRedis[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      nodes.map(async (node) => {
        const client = node.client({ maxRetriesPerRequest: 0 });
        try {
          return (await client.cluster('INFO')).includes('cluster_state:ok');
        } finally {
          client.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    await sleep(100);
  }
  throw new Error('the private Redis Cluster did not reach cluster_state:ok within 20 s');
}
