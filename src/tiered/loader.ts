/**
 * The loader contract and its normalisation. A loader is the database: it receives a batch of
 * keys and answers with a `Map`, a plain object, or an array aligned with the keys (sync or
 * async). A key it leaves out, or maps to `undefined`, does not exist; `null` is a value.
 *
 * @module
 */
import { LoaderError } from '../errors.ts';

/** What a loader may return for a batch of keys. */
export type LoaderResult<V> =
  | ReadonlyMap<string, V | undefined>
  | Readonly<Record<string, V | undefined>>
  | ReadonlyArray<V | undefined>;

/** Loads the values of a batch of keys from the source of truth (the database). */
export type Loader<V> = (keys: string[]) => LoaderResult<V> | Promise<LoaderResult<V>>;

/** Calls `loader` and turns its answer into a lookup; failures become a `LoaderError`. */
export async function runLoader<V>(
  loader: Loader<V>,
  keys: string[],
): Promise<(key: string) => V | undefined> {
  let result: LoaderResult<V>;
  try {
    result = await loader(keys);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new LoaderError(`Loader failed for ${keys.length} key(s): ${message}`, { cause });
  }
  if (result instanceof Map) return (key) => result.get(key);
  if (Array.isArray(result)) {
    if (result.length !== keys.length) {
      throw new LoaderError(
        `Loader returned an array of ${result.length} values for ${keys.length} keys; an array must be aligned with the keys`,
      );
    }
    const index = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) index.set(keys[i]!, i);
    return (key) => {
      const i = index.get(key);
      return i === undefined ? undefined : (result[i] as V | undefined);
    };
  }
  if (typeof result === 'object' && result !== null) {
    const record = result as Readonly<Record<string, V | undefined>>;
    return (key) => (Object.hasOwn(record, key) ? record[key] : undefined);
  }
  throw new LoaderError(
    `Loader returned ${result === null ? 'null' : typeof result}; return a Map, an object or an array aligned with the keys`,
  );
}
