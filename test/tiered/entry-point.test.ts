import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as root from 'tiercache';
import * as errors from 'tiercache/errors';

it('the root entry point exports exactly its curated list', () => {
  // A new export is a decision: add it here and to src/index.ts together.
  assert.deepEqual(Object.keys(root).sort(), [
    'CacheClosedError',
    'CircuitOpenError',
    'CodecError',
    'EntryTooLargeError',
    'ErrorCodes',
    'InsecureDebugError',
    'InvalidArgumentError',
    'InvalidOptionError',
    'InvalidOptionTypeError',
    'LoaderError',
    'MemoryBudget',
    'MemoryStore',
    'ProfileBusyError',
    'RedisError',
    'RedisTimeoutError',
    'StoreClosedError',
    'TiercacheError',
    'TieredCache',
    'TieredChannels',
    'ValueTooLargeError',
    'WarningCodes',
    'bytesCodec',
    'defaultMemoryBudget',
    'jsonCodec',
    'memoryStores',
    'msgpackCodec',
    'parseBytes',
    'stringCodec',
    'tieredCaches',
  ]);
});

it('every error class of the library extends TiercacheError and has a TIERCACHE_ code', () => {
  type ErrorClass = new (...args: unknown[]) => errors.TiercacheError<string>;
  const classes = (Object.entries(errors) as Array<[string, unknown]>).filter(
    (entry): entry is [string, ErrorClass] =>
      typeof entry[1] === 'function' && entry[0].endsWith('Error'),
  );
  assert.ok(classes.length >= 14);
  const codes = new Set<string>(Object.values(errors.ErrorCodes));
  for (const [name, value] of classes) {
    assert.ok(
      (value as unknown) === errors.TiercacheError ||
        value.prototype instanceof errors.TiercacheError,
      name,
    );
    if ((value as unknown) === errors.TiercacheError) continue;
    const instance = Reflect.construct(value, ['x', 1, 2, 'option', 'tier']);
    assert.ok(codes.has(instance.code), `${name}: ${instance.code}`);
  }
  // Room errors are the service's: no TIERCACHE_ROOM_* code is left in the library.
  assert.ok(![...codes].some((code) => code.startsWith('TIERCACHE_ROOM_')));
});
