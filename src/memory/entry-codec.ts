/**
 * Encoding and decoding of one entry in an arena chunk, over the layout in `entry-layout.ts`:
 * writing a header, key and value, comparing a stored key with a JS string, and reading a key,
 * a value (as a new Buffer) or a value decoded as a string. Every function works on a chunk and
 * the entry's byte offset; none allocates beyond the string or Buffer it returns.
 *
 * @module
 */
import type { Chunk } from './arena.ts';
import {
  EXPIRES_DOUBLE,
  FLAG_ASCII_VALUE,
  FLAG_WIDE_KEY,
  HASH_WORD,
  HEADER_BYTES,
  KEY_INFO_WORD,
  KEY_LENGTH_SHIFT,
  SLOT_WORD,
  VALUE_LENGTH_WORD,
} from './entry-layout.ts';

// Keys up to this length are copied by a JS loop: cheaper than a native call for short strings.
const SHORT_KEY_UNITS = 32;

/** The key-info word of a new entry: key length, wide-key and ASCII-value flags. */
export function keyInfo(key: string, keyWide: boolean, valueAscii: boolean): number {
  return (
    (key.length << KEY_LENGTH_SHIFT) |
    (keyWide ? FLAG_WIDE_KEY : 0) |
    (valueAscii ? FLAG_ASCII_VALUE : 0)
  );
}

/**
 * Writes a whole entry (header, key, value) into a slot of `size` bytes at `offset`; a byte
 * value is copied from byte `valueStart` on.
 */
export function writeEntry(
  chunk: Chunk,
  offset: number,
  size: number,
  hash: number,
  info: number,
  expiresAt: number,
  key: string,
  keyWide: boolean,
  value: string | Uint8Array,
  valueBytes: number,
  valueAscii: boolean,
  valueStart = 0,
): void {
  const keyStart = offset + HEADER_BYTES;
  const valueAt = keyStart + (keyWide ? key.length * 2 : key.length);
  if (valueStart === 0) writeValue(chunk, valueAt, value, valueBytes, valueAscii, 0);
  else if (valueStart <= valueAt - offset) {
    // The bytes before `valueStart` land in this slot's header and key, written over below: one
    // copy of the whole source, with no sub-view of it.
    chunk.bytes.set(value as Uint8Array, valueAt - valueStart);
  } else writeValue(chunk, valueAt, value, valueBytes, valueAscii, valueStart);
  const word = offset >>> 2;
  const words = chunk.words;
  words[word + HASH_WORD] = hash;
  words[word + SLOT_WORD] = size;
  words[word + VALUE_LENGTH_WORD] = valueBytes;
  words[word + KEY_INFO_WORD] = info;
  chunk.doubles[(offset >>> 3) + EXPIRES_DOUBLE] = expiresAt;
  if (keyWide) {
    const units = chunk.units;
    const base = keyStart >>> 1;
    for (let i = 0; i < key.length; i++) units[base + i] = key.charCodeAt(i);
  } else if (key.length <= SHORT_KEY_UNITS) {
    const bytes = chunk.bytes;
    for (let i = 0; i < key.length; i++) bytes[keyStart + i] = key.charCodeAt(i);
  } else {
    chunk.bytes.latin1Write(key, keyStart, key.length);
  }
}

/**
 * Overwrites the value of the entry at `offset` in place (the slot is large enough), with a new
 * key-info word and expiry; key and hash stay. A byte value is copied from byte `valueStart` on.
 */
export function rewriteValue(
  chunk: Chunk,
  offset: number,
  info: number,
  expiresAt: number,
  keyBytes: number,
  value: string | Uint8Array,
  valueBytes: number,
  valueAscii: boolean,
  valueStart = 0,
): void {
  const word = offset >>> 2;
  chunk.words[word + VALUE_LENGTH_WORD] = valueBytes;
  chunk.words[word + KEY_INFO_WORD] = info;
  chunk.doubles[(offset >>> 3) + EXPIRES_DOUBLE] = expiresAt;
  writeValue(chunk, offset + HEADER_BYTES + keyBytes, value, valueBytes, valueAscii, valueStart);
}

/** Whether the entry at `offset` has key `key`, compared code unit by code unit (no encoding). */
export function keyEquals(chunk: Chunk, offset: number, key: string): boolean {
  const info = chunk.words[(offset >>> 2) + KEY_INFO_WORD]!;
  const length = key.length;
  if (info >>> KEY_LENGTH_SHIFT !== length) return false;
  if ((info & FLAG_WIDE_KEY) !== 0) {
    const units = chunk.units;
    const base = (offset + HEADER_BYTES) >>> 1;
    for (let i = 0; i < length; i++) if (units[base + i] !== key.charCodeAt(i)) return false;
  } else {
    const bytes = chunk.bytes;
    const base = offset + HEADER_BYTES;
    for (let i = 0; i < length; i++) if (bytes[base + i] !== key.charCodeAt(i)) return false;
  }
  return true;
}

/** A copy of the value of the entry at `offset`, in a new Buffer. */
export function copyValue(chunk: Chunk, offset: number): Buffer {
  const start = valueStart(chunk, offset);
  const length = chunk.words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
  const out = Buffer.allocUnsafe(length);
  chunk.bytes.copy(out, 0, start, start + length);
  return out;
}

/** The value of the entry at `offset` decoded as UTF-8 (as latin1 when stored as ASCII). */
export function readValueString(chunk: Chunk, offset: number): string {
  const words = chunk.words;
  const start = valueStart(chunk, offset);
  const end = start + words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
  // ASCII bytes decode identically as latin1, and latin1 decoding is a plain widening copy.
  return (words[(offset >>> 2) + KEY_INFO_WORD]! & FLAG_ASCII_VALUE) !== 0
    ? chunk.bytes.latin1Slice(start, end)
    : chunk.bytes.utf8Slice(start, end);
}

/** Decodes the key of the entry at `offset`. */
export function readKey(chunk: Chunk, offset: number): string {
  const info = chunk.words[(offset >>> 2) + KEY_INFO_WORD]!;
  const units = info >>> KEY_LENGTH_SHIFT;
  const start = offset + HEADER_BYTES;
  return (info & FLAG_WIDE_KEY) !== 0
    ? chunk.bytes.ucs2Slice(start, start + units * 2)
    : chunk.bytes.latin1Slice(start, start + units);
}

/** Byte offset of the value of the entry at `offset`. */
function valueStart(chunk: Chunk, offset: number): number {
  const info = chunk.words[(offset >>> 2) + KEY_INFO_WORD]!;
  const keyUnits = info >>> KEY_LENGTH_SHIFT;
  return offset + HEADER_BYTES + ((info & FLAG_WIDE_KEY) !== 0 ? keyUnits * 2 : keyUnits);
}

function writeValue(
  chunk: Chunk,
  start: number,
  value: string | Uint8Array,
  length: number,
  ascii: boolean,
  from: number,
): void {
  if (typeof value === 'string') {
    if (ascii) chunk.bytes.latin1Write(value, start, length);
    else chunk.bytes.utf8Write(value, start, length);
  } else if (from === 0) {
    chunk.bytes.set(value, start);
  } else {
    chunk.bytes.set(new Uint8Array(value.buffer, value.byteOffset + from, length), start);
  }
}
