import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, InvalidArgumentError, TiercacheError } from 'tiercache/errors';
import { MemoryStore } from 'tiercache/memory';

const awkwardKeys = [
  '',
  ' ',
  'plain',
  'é',
  'ÿ',
  'Ā',
  '€uro',
  '日本語のキー',
  '😀',
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '\u0000',
  '\u0000\u0000',
  'x'.repeat(1000),
  'é'.repeat(300),
];

test('any JS string round-trips as a key, and distinct keys stay distinct', () => {
  const store = new MemoryStore({ shards: 2, budget: null });
  for (const [i, key] of awkwardKeys.entries()) assert.equal(store.set(key, `value ${i}`), true);
  for (const [i, key] of awkwardKeys.entries()) {
    assert.equal(store.getString(key), `value ${i}`, JSON.stringify(key));
  }
  assert.equal(store.size, awkwardKeys.length);
  assert.deepEqual(new Set(store.keys()), new Set(awkwardKeys));
  store.close();
});

test('keys equal as latin1 bytes but different as strings do not meet', () => {
  const store = new MemoryStore({ budget: null });
  store.set('\u00e9', 'latin1 e-acute');
  store.set('\u0100', 'wide A-macron');
  store.set('\u00c3\u00a9', 'two latin1 chars (the UTF-8 bytes of é)');
  assert.equal(store.getString('\u00e9'), 'latin1 e-acute');
  assert.equal(store.getString('\u0100'), 'wide A-macron');
  assert.equal(store.getString('\u00c3\u00a9'), 'two latin1 chars (the UTF-8 bytes of é)');
  assert.equal(store.get('\u0000\u00e9'), undefined);
  store.close();
});

test('values: empty is stored and distinct from missing', () => {
  const store = new MemoryStore({ budget: null });
  store.set('empty-string', '');
  store.set('empty-bytes', new Uint8Array(0));
  assert.equal(store.getString('empty-string'), '');
  assert.deepEqual(store.get('empty-bytes'), Buffer.alloc(0));
  assert.equal(store.has('empty-string'), true);
  assert.equal(store.get('never-set'), undefined);
  assert.equal(store.size, 2);
  store.close();
});

test('values: non-ASCII strings come back as UTF-8, binary bytes exactly', () => {
  const store = new MemoryStore({ budget: null });
  const text = 'héllo wörld — 日本 😀';
  store.set('text', text);
  assert.equal(store.getString('text'), text);
  assert.deepEqual(store.get('text'), Buffer.from(text, 'utf8'));
  const binary = new Uint8Array(256).map((_, i) => i);
  store.set('binary', binary);
  assert.deepEqual([...store.get('binary')!], [...binary]);
  store.set('ascii', 'plain ascii');
  assert.deepEqual(store.get('ascii'), Buffer.from('plain ascii'));
  // A view into a larger buffer stores only its own bytes.
  const big = Buffer.from('0123456789');
  store.set('view', big.subarray(3, 6));
  assert.equal(store.getString('view'), '345');
  store.close();
});

test('switching a key between ASCII, UTF-8 and binary values keeps each exact', () => {
  const store = new MemoryStore({ budget: null });
  store.set('k', 'naïve café');
  store.set('k', 'abc');
  assert.equal(store.getString('k'), 'abc');
  store.set('k', new Uint8Array([0xe2, 0x82, 0xac]));
  assert.equal(store.getString('k'), '€');
  store.close();
});

test('bad keys, values and TTLs throw InvalidArgumentError and change nothing', () => {
  const store = new MemoryStore({ budget: null });
  store.set('k', 'kept');
  const before = store.stats();
  const bad: [string, () => unknown][] = [
    ['number key', () => store.set(1 as never, 'v')],
    ['undefined key', () => store.get(undefined as never)],
    ['symbol key', () => store.has(Symbol('k') as never)],
    ['object value', () => store.set('k', { a: 1 } as never)],
    ['number value', () => store.set('k', 5 as never)],
    ['null value', () => store.set('k', null as never)],
    ['negative ttl', () => store.set('k', 'v', { ttlMs: -1 })],
    ['NaN ttl', () => store.set('k', 'v', { ttlMs: Number.NaN })],
    ['string ttl', () => store.set('k', 'v', { ttlMs: '5' as never })],
    ['non-object options', () => store.set('k', 'v', 5 as never)],
    ['delete number', () => store.delete(5 as never)],
  ];
  for (const [label, call] of bad) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, label);
      assert.ok(error instanceof TiercacheError, label);
      assert.equal(error.code, ErrorCodes.INVALID_ARGUMENT, label);
      return true;
    });
  }
  assert.deepEqual(store.stats(), before);
  assert.equal(store.getString('k'), 'kept');
  assert.equal(store.size, 1);
  store.close();
});
