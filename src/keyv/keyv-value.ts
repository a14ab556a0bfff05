import { InvalidArgumentError } from '../errors.ts';

// One leading character tells how the rest was written, so a read returns the type that was
// stored: Keyv's default serializer hands over strings, and with `serialize: undefined` it hands
// over `{ value, expires }` objects, which must come back as objects.
const STRING = 's';
const JSON_VALUE = 'j';

/** Encodes a value Keyv gives a store as the string a MemoryStore keeps. */
export function encodeKeyvValue(value: unknown): string {
  if (typeof value === 'string') return STRING + value;
  const json = JSON.stringify(value);
  if (json === undefined) {
    throw new InvalidArgumentError(
      `Keyv store: a ${typeof value} cannot be stored; keep Keyv's default serializer or pass JSON-safe values`,
    );
  }
  return JSON_VALUE + json;
}

/** Decodes what {@link encodeKeyvValue} wrote (undefined stays undefined). */
export function decodeKeyvValue(stored: string | undefined): unknown {
  if (stored === undefined) return undefined;
  return stored.startsWith(STRING) ? stored.slice(1) : JSON.parse(stored.slice(1));
}
