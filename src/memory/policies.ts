/**
 * The eviction policies a store can be given by name (its `eviction` option): one line per
 * policy. Each is a file implementing the contract in `policy.ts`.
 *
 * @module
 */
import { AdaptivePolicy } from './adaptive-policy.ts';
import { FifoPolicy } from './fifo-policy.ts';
import type { PolicyFactory } from './policy.ts';
import { S3FifoPolicy } from './s3fifo-policy.ts';

/** Every policy by its option name; the first is the default. */
export const POLICIES = {
  s3fifo: (host) => new S3FifoPolicy(host),
  fifo: (host) => new FifoPolicy(host),
  adaptive: (host) => new AdaptivePolicy(host),
} as const satisfies Record<string, PolicyFactory>;

/** Which entries leave when a full store needs room: the name of one of {@link POLICIES}. */
export type EvictionPolicy = keyof typeof POLICIES;

/** The policy names, default first. */
export const EVICTION_POLICIES = Object.keys(POLICIES) as readonly EvictionPolicy[];

/** The default `eviction` option. */
export const DEFAULT_EVICTION: EvictionPolicy = 's3fifo';
