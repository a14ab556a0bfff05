/**
 * Room ownership across nodes: rendezvous hashing over the members (the static `NODES` list,
 * or the live members registered in Redis) picks the node that runs each room; the room is
 * held under a fenced lease from Redis, so only one node applies its messages at a time even
 * while nodes join, leave, freeze and resume; requests that reach another node are forwarded
 * to the owner over HTTP (keep-alive, one hop at most).
 *
 * @module
 */

export { type ClusterNode, joinCluster } from './cluster-node.ts';
export {
  FORWARDED_HEADER,
  forwardRequest,
  NODE_HEADER,
  NodeUnreachableError,
} from './forward.ts';
export { LuaScript } from './lua-script.ts';
export { RedisMembership, type RedisMembershipOptions } from './membership.ts';
export { NodeRing } from './node-ring.ts';
export { hash32, Rendezvous } from './rendezvous.ts';
export {
  type LeaseManager,
  LocalLeases,
  RedisLeases,
  type RedisLeasesOptions,
} from './room-leases.ts';
export { RoomMovedError } from './room-moved-error.ts';
