import { createRequire } from 'node:module';
import { MissingDependencyError } from '../errors.ts';

/**
 * Turns values into bytes for the Redis and memory tiers and back. `decode` may throw on bytes it
 * does not understand: the cache then treats the entry as a miss, deletes it and reports a
 * `CodecError`.
 */
export interface Codec<V> {
  /** A short name for error messages and stats, e.g. `json`. */
  readonly name: string;
  /** Encodes a value; a string is written as UTF-8. */
  encode(value: V): Uint8Array | string;
  /** Decodes bytes produced by `encode` (possibly by another process). */
  decode(bytes: Buffer): V;
  /**
   * Optional, for codecs whose bytes are UTF-8 text: decodes the text directly, so a memory hit
   * skips the Buffer copy (the store decodes ASCII through its fast latin1 path).
   */
  decodeText?(text: string): V;
}

/** JSON through `JSON.stringify` / `JSON.parse`: the default codec. */
export function jsonCodec<V = unknown>(): Codec<V> {
  return {
    name: 'json',
    encode(value) {
      const text = JSON.stringify(value);
      // JSON.stringify returns undefined for functions and symbols: refuse rather than store "".
      if (text === undefined) throw new TypeError('value is not representable as JSON');
      return text;
    },
    decode(bytes) {
      return JSON.parse(bytes.toString('utf8')) as V;
    },
    decodeText: (text) => JSON.parse(text) as V,
  };
}

/**
 * MessagePack through `msgpackr` (an optional peer dependency, loaded when this is called).
 * Smaller and faster than JSON for binary-heavy values; `options` go to msgpackr's `Packr`
 * (typed loosely, so tiercache's declarations compile without msgpackr installed).
 */
export function msgpackCodec<V = unknown>(options: Record<string, unknown> = {}): Codec<V> {
  let msgpackr: typeof import('msgpackr');
  try {
    // Loaded lazily so that tiercache does not require msgpackr unless this codec is used.
    msgpackr = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
  } catch (cause) {
    throw new MissingDependencyError('msgpackr', 'msgpackCodec()', { cause });
  }
  const packr = new msgpackr.Packr({ useRecords: false, ...options });
  return {
    name: 'msgpack',
    encode: (value) => packr.pack(value),
    decode: (bytes) => packr.unpack(bytes) as V,
  };
}

/** Raw bytes, stored as given; `decode` returns a Buffer the caller owns. */
export function bytesCodec(): Codec<Buffer> {
  return {
    name: 'bytes',
    encode(value) {
      if (!(value instanceof Uint8Array))
        throw new TypeError('bytesCodec stores Uint8Array values');
      return value;
    },
    decode: (bytes) => bytes,
  };
}

/** Raw strings, stored as UTF-8 without quoting. */
export function stringCodec(): Codec<string> {
  return {
    name: 'string',
    encode(value) {
      if (typeof value !== 'string') throw new TypeError('stringCodec stores string values');
      return value;
    },
    decode: (bytes) => bytes.toString('utf8'),
    decodeText: (text) => text,
  };
}
