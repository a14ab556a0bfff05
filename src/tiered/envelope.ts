/**
 * The bytes a TieredCache stores in both tiers: one tag byte, then the codec's bytes. The tag is
 * what makes negative caching safe: whatever a codec produces (even zero bytes) is stored behind
 * `VALUE`, so no value can ever read back as the `MISSING` marker.
 *
 * @module
 */
import { CodecError } from '../errors.ts';
import type { Codec } from './codecs.ts';

const MISSING = 0x00;
const VALUE = 0x01;

/** The single-byte entry that remembers "the loader has no such key" (negative caching). */
export const MISSING_ENTRY: Buffer = Buffer.from([MISSING]);

/** What an entry read from a tier turned out to be. */
export type Unwrapped<V> =
  | { readonly kind: 'value'; readonly value: V }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly error: CodecError };

const VALUE_CHAR = String.fromCharCode(VALUE);
const MISSING_RESULT = Object.freeze({ kind: 'missing' as const });

/**
 * Encodes `value` with `codec` behind the value tag; a codec failure throws a `CodecError`. A text
 * codec's output stays a string (the tag as U+0001), so the memory store sees ASCII text and can
 * serve it back through its fast latin1 path; Redis receives it as UTF-8 either way.
 */
export function wrap<V>(codec: Codec<V>, value: V): Buffer | string {
  let body: Uint8Array | string;
  try {
    body = codec.encode(value);
  } catch (cause) {
    throw new CodecError(`The ${codec.name} codec cannot encode this value`, { cause });
  }
  if (typeof body === 'string') return VALUE_CHAR + body;
  const out = Buffer.allocUnsafe(1 + body.byteLength);
  out[0] = VALUE;
  out.set(body, 1);
  return out;
}

/**
 * Reads back an entry that a text codec wrote, given as the store's UTF-8 decoding of its bytes
 * (the tag bytes 0x00 / 0x01 decode to the characters U+0000 / U+0001). Never throws.
 */
export function unwrapText<V>(
  codec: Codec<V>,
  decodeText: (text: string) => V,
  text: string,
): Unwrapped<V> {
  const tag = text.charCodeAt(0);
  if (tag === MISSING && text.length === 1) return MISSING_RESULT;
  if (tag !== VALUE) {
    return { kind: 'corrupt', error: new CodecError('Entry has no tiercache value tag') };
  }
  try {
    // slice() of a flat string is a cheap view in V8, not a copy.
    return { kind: 'value', value: decodeText(text.slice(1)) };
  } catch (cause) {
    return {
      kind: 'corrupt',
      error: new CodecError(`The ${codec.name} codec cannot decode this entry`, { cause }),
    };
  }
}

/** Reads an entry back; never throws (undecodable bytes come back as `corrupt`). */
export function unwrap<V>(codec: Codec<V>, bytes: Buffer): Unwrapped<V> {
  if (bytes.length === 1 && bytes[0] === MISSING) return MISSING_RESULT;
  if (bytes.length === 0 || bytes[0] !== VALUE) {
    return { kind: 'corrupt', error: new CodecError('Entry has no tiercache value tag') };
  }
  try {
    return { kind: 'value', value: codec.decode(bytes.subarray(1)) };
  } catch (cause) {
    return {
      kind: 'corrupt',
      error: new CodecError(`The ${codec.name} codec cannot decode this entry`, { cause }),
    };
  }
}
