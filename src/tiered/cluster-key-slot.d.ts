/**
 * Types of `cluster-key-slot` (installed with ioredis, which uses it too), which ships none: the
 * Redis Cluster hash slot of a key, hash tags included.
 */
declare module 'cluster-key-slot' {
  /** The slot (0..16383) of `key`: CRC16 of its hash tag, or of the whole key, modulo 16384. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
