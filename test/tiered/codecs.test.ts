import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesCodec, jsonCodec, msgpackCodec, stringCodec, TieredCache } from 'tiercache';
import { MISSING_ENTRY, unwrap, wrap as wrapRaw } from '../../src/tiered/envelope.ts';

// As stored in Redis: a text codec's string entry arrives as its UTF-8 bytes.
const wrap = <V>(codec: Parameters<typeof wrapRaw<V>>[0], value: V) =>
  Buffer.from(wrapRaw(codec, value) as Uint8Array | string);

it('every codec round-trips its values through the envelope', () => {
  const json = jsonCodec();
  const msgpack = msgpackCodec();
  fc.assert(
    // msgpackr renames "__proto__" keys on decode (its prototype-pollution guard), by design.
    fc.property(
      fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"')),
      (value) => {
        for (const codec of [json, msgpack]) {
          const entry = unwrap(codec, wrap(codec, value));
          assert.equal(entry.kind, 'value');
          // JSON turns -0 into 0; compare through JSON for both.
          assert.deepEqual(
            JSON.stringify(entry.kind === 'value' ? entry.value : undefined),
            JSON.stringify(value),
          );
        }
      },
    ),
  );
  fc.assert(
    fc.property(fc.uint8Array(), fc.string({ unit: 'grapheme' }), (bytes, text) => {
      const b = unwrap(bytesCodec(), wrap(bytesCodec(), Buffer.from(bytes)));
      assert.deepEqual(b.kind === 'value' && [...b.value], [...bytes]);
      const s = unwrap(stringCodec(), wrap(stringCodec(), text));
      assert.equal(s.kind === 'value' && s.value, text);
    }),
  );
});

it('no value of any codec can read back as the negative-cache marker', () => {
  assert.equal(unwrap(jsonCodec(), MISSING_ENTRY).kind, 'missing');
  // The empty string and empty bytes are the closest a codec gets: still values.
  assert.equal(unwrap(stringCodec(), wrap(stringCodec(), '')).kind, 'value');
  assert.equal(unwrap(bytesCodec(), wrap(bytesCodec(), Buffer.alloc(0))).kind, 'value');
  fc.assert(
    fc.property(fc.uint8Array(), (bytes) => {
      assert.notDeepEqual(wrap(bytesCodec(), Buffer.from(bytes)), MISSING_ENTRY);
    }),
  );
});

it('a custom codec plugs in, and raw codecs refuse the wrong type', async () => {
  const upper = {
    name: 'upper',
    encode: (value: string) => value.toUpperCase(),
    decode: (bytes: Buffer) => bytes.toString('latin1').toLowerCase(),
  };
  const cache = new TieredCache<string>({ name: 'custom-codec', redis: false, codec: upper });
  try {
    await cache.set('k', 'Hello');
    assert.equal(await cache.get('k'), 'hello');
  } finally {
    await cache.close();
  }
  assert.throws(() => wrap(bytesCodec(), 'text' as unknown as Buffer), /cannot encode/);
  assert.throws(() => wrap(stringCodec(), 1 as unknown as string), /cannot encode/);
});
