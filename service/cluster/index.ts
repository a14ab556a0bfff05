/**
 * Room ownership across nodes: rendezvous hashing over the configured node list (`NODES`)
 * picks the one node that runs each room, and requests that reach another node are forwarded
 * to the owner over HTTP (keep-alive, one hop at most).
 *
 * @module
 */
export {
  FORWARDED_HEADER,
  forwardRequest,
  NODE_HEADER,
  NodeUnreachableError,
} from './forward.ts';
export { NodeRing } from './node-ring.ts';
export { hash32, Rendezvous } from './rendezvous.ts';
