/**
 * The bytes a TieredCache stores in both tiers: one tag byte, then the codec's bytes. The tag is
 * what makes negative caching safe: whatever a codec produces (even zero bytes) is stored behind
 * `VALUE`, so no value can ever read back as the `MISSING` marker.
 *
 * In Redis, an entry with a lifetime is preceded by its absolute expiry (`EXPIRES`, then 9 base-36
 * ASCII digits of ms since the epoch), so a node that back-fills its memory from Redis knows how
 * long the entry has left without a `PTTL` round trip, and memory never outlives Redis. Memory
 * holds the entry without that header.
 *
 * @module
 */
import { CodecError } from '../errors.ts';
import type { Codec } from './codecs.ts';

const MISSING = 0x00;
const VALUE = 0x01;
const EXPIRES = 0x02;
/** A memory entry's expiry that is also its source's (Redis's, or memory's own without Redis). */
const EXPIRES_AT_SOURCE = 0x03;
/** 9 base-36 digits hold any ms timestamp until the year 5138; fixed width keeps parsing cheap. */
const EXPIRY_DIGITS = 9;
const EXPIRY_HEADER = 1 + EXPIRY_DIGITS;
const EXPIRES_CHAR = String.fromCharCode(EXPIRES);
const EXPIRES_AT_SOURCE_CHAR = String.fromCharCode(EXPIRES_AT_SOURCE);

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

/** {@link decodeEntry}'s answer for the negative-caching marker. */
export const ENTRY_MISSING: unique symbol = Symbol('tiercache.entry-missing');
/** {@link decodeEntry}'s answer for undecodable bytes; the error is left in the `fault` slot. */
export const ENTRY_CORRUPT: unique symbol = Symbol('tiercache.entry-corrupt');

/** Where {@link decodeEntry} leaves the error of a corrupt entry; reuse one per caller. */
export interface EntryFault {
  error: CodecError | undefined;
}

/**
 * Reads back an entry that a text codec wrote, given as the store's UTF-8 decoding of its bytes
 * (the tag bytes 0x00 / 0x01 decode to the characters U+0000 / U+0001): the value, or a sentinel.
 * Never throws. Why sentinels: a memory hit is a few hundred ns, and a result object per hit was a
 * measurable share of it.
 */
export function decodeEntryText<V>(
  codec: Codec<V>,
  decodeText: (text: string) => V,
  text: string,
  fault: EntryFault,
): V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT {
  const tag = text.charCodeAt(0);
  if (tag === VALUE) {
    try {
      // slice() of a flat string is a cheap view in V8, not a copy.
      return decodeText(text.slice(1));
    } catch (cause) {
      fault.error = new CodecError(`The ${codec.name} codec cannot decode this entry`, { cause });
      return ENTRY_CORRUPT;
    }
  }
  if (tag === MISSING && text.length === 1) return ENTRY_MISSING;
  fault.error = new CodecError('Entry has no tiercache value tag');
  return ENTRY_CORRUPT;
}

/** Reads an entry back from bytes, as {@link decodeEntryText} does from text. Never throws. */
export function decodeEntry<V>(
  codec: Codec<V>,
  bytes: Buffer,
  fault: EntryFault,
): V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT {
  if (bytes.length === 1 && bytes[0] === MISSING) return ENTRY_MISSING;
  if (bytes.length === 0 || bytes[0] !== VALUE) {
    fault.error = new CodecError('Entry has no tiercache value tag');
    return ENTRY_CORRUPT;
  }
  try {
    return codec.decode(bytes.subarray(1));
  } catch (cause) {
    fault.error = new CodecError(`The ${codec.name} codec cannot decode this entry`, { cause });
    return ENTRY_CORRUPT;
  }
}

/** A Buffer with its UTF-8 decoder typed (`Buffer#toString` without its argument handling). */
interface Utf8Bytes extends Buffer {
  utf8Slice(start: number, end: number): string;
}

/**
 * {@link decodeEntry} of the entry that starts at byte `start` of `bytes` (behind an expiry
 * header, see {@link expiryHeaderLength}), read in place: a text codec (`decodeText`) gets the
 * UTF-8 decoding of the value bytes straight from `bytes`, without a sub-view or a string slice;
 * another codec gets a view of the value bytes. Never throws. With `shape`, also tells whether
 * the entry's bytes from `start` on are ASCII when that comes free with the decoding (a text
 * codec's, or the negative-caching marker), else {@link ASCII_UNKNOWN}.
 */
export function decodeEntryAt<V>(
  codec: Codec<V>,
  decodeText: ((text: string) => V) | null,
  bytes: Buffer,
  start: number,
  fault: EntryFault,
  shape?: EntryShape,
): V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT {
  const end = bytes.length;
  if (shape !== undefined) shape.ascii = ASCII_UNKNOWN;
  if (end - start === 1 && bytes[start] === MISSING) {
    if (shape !== undefined) shape.ascii = ASCII_YES;
    return ENTRY_MISSING;
  }
  if (end <= start || bytes[start] !== VALUE) {
    fault.error = new CodecError('Entry has no tiercache value tag');
    return ENTRY_CORRUPT;
  }
  try {
    if (decodeText === null) return codec.decode(bytes.subarray(start + 1));
    const text = (bytes as Utf8Bytes).utf8Slice(start + 1, end);
    if (shape !== undefined) shape.ascii = asciiText(text, end - start - 1);
    return decodeText(text);
  } catch (cause) {
    fault.error = new CodecError(`The ${codec.name} codec cannot decode this entry`, { cause });
    return ENTRY_CORRUPT;
  }
}

/** {@link EntryShape.ascii}: the bytes were not decoded as text, so nothing is known. */
export const ASCII_UNKNOWN = 0;
/** {@link EntryShape.ascii}: the entry's bytes (tag included) are all ASCII. */
export const ASCII_YES = 1;
/** {@link EntryShape.ascii}: some byte of the entry is not ASCII. */
export const ASCII_NO = 2;

/** Where {@link decodeEntryAt} tells what it learnt of the entry's bytes while decoding them. */
export interface EntryShape {
  /** {@link ASCII_UNKNOWN}, {@link ASCII_YES} or {@link ASCII_NO}. */
  ascii: number;
}

/**
 * Whether the `byteLength` bytes `text` was decoded from (as UTF-8) are all ASCII, from the text
 * alone: every byte yields at most one UTF-16 unit (a valid 2- to 4-byte sequence yields one or
 * two, an invalid byte one U+FFFD), so as many units as bytes, none of them U+FFFD, means every
 * byte was one ASCII character. A check of the string V8 has just made, instead of a second
 * pass over the bytes (a one-byte string cannot hold U+FFFD: `indexOf` answers at once).
 */
function asciiText(text: string, byteLength: number): number {
  return text.length === byteLength && text.indexOf('\uFFFD') < 0 ? ASCII_YES : ASCII_NO;
}

/** {@link decodeEntryText} as a tagged result, for callers off the hot path. */
export function unwrapText<V>(
  codec: Codec<V>,
  decodeText: (text: string) => V,
  text: string,
): Unwrapped<V> {
  return tagged(decodeEntryText(codec, decodeText, text, scratch));
}

/** {@link decodeEntry} as a tagged result, for callers off the hot path. */
export function unwrap<V>(codec: Codec<V>, bytes: Buffer): Unwrapped<V> {
  return tagged(decodeEntry(codec, bytes, scratch));
}

/** Shared by the tagged wrappers: single-threaded, and read right after the call that set it. */
const scratch: EntryFault = { error: undefined };

function tagged<V>(result: V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT): Unwrapped<V> {
  if (result === ENTRY_MISSING) return MISSING_RESULT;
  if (result === ENTRY_CORRUPT) return { kind: 'corrupt', error: scratch.error! };
  return { kind: 'value', value: result };
}

/**
 * `entry` behind its absolute expiry (ms since the epoch), as written to Redis. `atSource` marks
 * a memory entry whose expiry is that of its source (what refresh-ahead watches).
 */
export function withExpiry(
  entry: Buffer | string,
  expiresAt: number,
  atSource = false,
): Buffer | string {
  const tag = atSource ? EXPIRES_AT_SOURCE_CHAR : EXPIRES_CHAR;
  const header = tag + expiresAt.toString(36).padStart(EXPIRY_DIGITS, '0');
  if (typeof entry === 'string') return header + entry;
  return Buffer.concat([Buffer.from(header, 'latin1'), entry]);
}

/**
 * The absolute expiry of an entry read from Redis: 0 when it has no expiry header (no lifetime),
 * NaN when the header is malformed. The entry itself is {@link withoutExpiry}.
 */
export function expiryOf(raw: Buffer | string): number {
  const string = typeof raw === 'string';
  if ((string ? raw.charCodeAt(0) : raw[0]) !== EXPIRES) return 0;
  if (raw.length < EXPIRY_HEADER) return Number.NaN;
  return Number.parseInt(
    string ? raw.slice(1, EXPIRY_HEADER) : raw.toString('latin1', 1, EXPIRY_HEADER),
    36,
  );
}

/** The entry behind an expiry header (a view, not a copy), or `raw` itself when it has none. */
export function withoutExpiry(raw: Buffer | string): Buffer | string {
  if (typeof raw === 'string') {
    return raw.charCodeAt(0) === EXPIRES ? raw.slice(EXPIRY_HEADER) : raw;
  }
  return raw[0] === EXPIRES ? raw.subarray(EXPIRY_HEADER) : raw;
}

/**
 * Bytes of the Redis expiry header in front of the entry in `raw` (as {@link withoutExpiry}
 * strips it): {@link EXPIRY_HEADER}, all of a `raw` too short to hold one, or 0 without one.
 * The entry is then `raw` from that byte on, read in place (see {@link decodeEntryAt}).
 */
export function expiryHeaderLength(raw: Buffer): number {
  if (raw[0] !== EXPIRES) return 0;
  return Math.min(raw.length, EXPIRY_HEADER);
}

/** What {@link readExpiry} found in front of an entry. */
export const NO_EXPIRY = 0;
/** The entry has an expiry of its own (a memory lifetime shorter than its source's). */
export const OWN_EXPIRY = 1;
/** The entry's expiry is its source's: refresh-ahead applies to it. */
export const SOURCE_EXPIRY = 2;

/**
 * Reads the expiry header of `raw` without allocating (hot path of a memory hit under
 * `graceMs`): returns {@link NO_EXPIRY}, {@link OWN_EXPIRY} or {@link SOURCE_EXPIRY}, and leaves
 * the expiry (ms since the epoch) in `out.at`; a malformed header reads as already expired.
 */
export function readExpiry(raw: Buffer | string, out: { at: number }): number {
  const string = typeof raw === 'string';
  const tag = string ? raw.charCodeAt(0) : raw[0];
  if (tag !== EXPIRES && tag !== EXPIRES_AT_SOURCE) return NO_EXPIRY;
  let at = 0;
  if (raw.length < EXPIRY_HEADER) at = 0;
  else {
    for (let i = 1; i < EXPIRY_HEADER; i++) {
      const c = string ? raw.charCodeAt(i) : raw[i]!;
      // Base 36: '0'-'9' then 'a'-'z'.
      const digit = c <= 0x39 ? c - 0x30 : c - 0x61 + 10;
      if (digit < 0 || digit >= 36) {
        at = 0;
        break;
      }
      at = at * 36 + digit;
    }
  }
  out.at = at;
  return tag === EXPIRES_AT_SOURCE ? SOURCE_EXPIRY : OWN_EXPIRY;
}

/** The entry behind a memory expiry header of either kind (see {@link withExpiry}). */
export function withoutAnyExpiry(raw: Buffer | string): Buffer | string {
  if (typeof raw === 'string') {
    const tag = raw.charCodeAt(0);
    return tag === EXPIRES || tag === EXPIRES_AT_SOURCE ? raw.slice(EXPIRY_HEADER) : raw;
  }
  return raw[0] === EXPIRES || raw[0] === EXPIRES_AT_SOURCE ? raw.subarray(EXPIRY_HEADER) : raw;
}

/** Bytes `raw` takes once stored or sent (UTF-8 for text). */
export function entryByteLength(raw: Buffer | string): number {
  return typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.length;
}
