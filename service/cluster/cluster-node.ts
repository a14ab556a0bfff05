import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ServiceConfig } from '../config.ts';
import type { RoomService } from '../room-service.ts';
import { RedisMembership } from './membership.ts';
import { NodeRing } from './node-ring.ts';
import { RedisLeases } from './room-leases.ts';

/** A node's place in the cluster: its ring and how to leave. */
export interface ClusterNode {
  /** Which node owns each rid, kept up to date. */
  ring: NodeRing;
  /** The members as last heard (this node included). */
  members(): readonly string[];
  /** Leaves the members (others take the rooms over), then stops renewing leases. */
  leave(): Promise<void>;
  /** Closes the cluster's Redis connection; after the rooms have been drained. */
  close(): Promise<void>;
}

/**
 * Joins the cluster: with `membership: 'redis'`, registers `self` in Redis, installs room
 * leases from Redis in `service`, and hands over the rooms a member change moves elsewhere;
 * otherwise the static `NODES` ring with local leases.
 */
export async function joinCluster(
  config: ServiceConfig,
  self: string,
  service: RoomService,
): Promise<ClusterNode> {
  service.node = self;
  if (config.membership !== 'redis' || config.redisUrl === undefined) {
    const ring = new NodeRing(self, config.nodes);
    return {
      ring,
      members: () => ring.nodes,
      leave: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  const leaseMs = config.leaseMs ?? 5_000;
  const prefix = config.clusterName ?? 'rooms-cluster';
  // Its own connection: heartbeats and renewals never queue behind cache traffic, and a
  // command to a frozen Redis gives up well within a lease.
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    commandTimeout: Math.max(50, Math.floor(leaseMs / 3)),
  });
  let redisErrors = 0;
  redis.on('error', (error: Error) => {
    if (++redisErrors <= 3) console.error(`cluster redis: ${error.message}`);
  });
  // A per-start nonce: a node restarted on the same URL is a new lease holder.
  const holder = `${self}#${randomUUID().slice(0, 8)}`;
  const leases = new RedisLeases({ redis, prefix, holder, leaseMs });
  service.useLeases(leases, self);
  const ring = new NodeRing(self, []);
  const membership = new RedisMembership({
    redis,
    prefix,
    self,
    // Half a lease: a dead node leaves the members before its leases lapse, so by the time the
    // new owner can take a room, requests already go to it (and get 503 until then). A member
    // that drops out while alive (a long pause) keeps its leases; it is back at its next beat.
    ttlMs: Math.max(50, Math.ceil(leaseMs / 2)),
    onChange: (members) => {
      ring.setMembers(members);
      service.handOver((rid) => ring.owns(rid)).catch(() => undefined);
    },
  });
  try {
    ring.setMembers(await membership.start());
  } catch (error) {
    leases.close();
    redis.disconnect();
    throw error;
  }
  return {
    ring,
    members: () => membership.members,
    leave: async () => {
      await membership.leave();
    },
    close: async () => {
      leases.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
