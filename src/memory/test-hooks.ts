/**
 * Hooks for the project's own tests, deliberately not exported from `tiercache` or
 * `tiercache/memory`. Tests import this file by path.
 *
 * @module
 */

/**
 * Option key (a symbol, so it cannot collide with or be mistaken for a public option) that
 * replaces the store's hash function, e.g. `{ [HASH_FUNCTION]: () => 7 }` to force every key
 * into one hash and exercise the full-key comparison.
 */
export const HASH_FUNCTION: unique symbol = Symbol('tiercache.memory.hashFunction');

/**
 * Option key that gives the store an eviction policy not in `policies.ts`, as a
 * `PolicyFactory` (see `policy.ts`): `{ [POLICY_FACTORY]: (host) => new MyPolicy(host) }`, so a
 * test can check the policy contract with a policy of its own.
 */
export const POLICY_FACTORY: unique symbol = Symbol('tiercache.memory.policyFactory');
