/**
 * The `node:diagnostics_channel` channels a TieredCache publishes on, in one table so that
 * subscribers (APM agents, the diagnostics module, tests) never spell a name by hand. Every
 * message carries `cache` (the cache's name); the other fields are listed beside each channel.
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel';

/** Channel names, stable once published. */
export const TieredChannels = {
  /** A Redis call failed or timed out: `{ cache, operation, error }`. */
  redisError: 'tiercache:redis:error',
  /** Bytes in a tier could not be decoded: `{ cache, key, error }` (the entry was deleted). */
  codecError: 'tiercache:codec:error',
  /** The loader threw or returned a malformed batch: `{ cache, keys, error }`. */
  loaderError: 'tiercache:loader:error',
  /** The Redis circuit breaker changed state: `{ cache, state }`. */
  breakerState: 'tiercache:breaker:state',
  /** The bus subscriber reconnected and the memory tier was cleared: `{ cache }`. */
  busReconnect: 'tiercache:bus:reconnect',
} as const;

/** The channel objects, created once; `hasSubscribers` keeps publishing free when nobody listens. */
export const channels = {
  redisError: channel(TieredChannels.redisError),
  codecError: channel(TieredChannels.codecError),
  loaderError: channel(TieredChannels.loaderError),
  breakerState: channel(TieredChannels.breakerState),
  busReconnect: channel(TieredChannels.busReconnect),
};
