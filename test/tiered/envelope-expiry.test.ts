import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { jsonCodec } from 'tiercache';
import {
  expiryOf,
  MISSING_ENTRY,
  unwrap,
  unwrapText,
  withExpiry,
  withoutExpiry,
  wrap,
} from '../../src/tiered/envelope.ts';

const json = jsonCodec();

it('the expiry header round-trips, as text and as the UTF-8 bytes Redis returns', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 2 ** 45 }), (value, expiresAt) => {
      const entry = wrap(json, value) as string;
      const stored = withExpiry(entry, expiresAt) as string;
      assert.equal(expiryOf(stored), expiresAt);
      assert.equal(withoutExpiry(stored), entry);
      const bytes = Buffer.from(stored);
      assert.equal(expiryOf(bytes), expiresAt);
      assert.deepEqual(unwrap(json, withoutExpiry(bytes) as Buffer), {
        kind: 'value',
        value: JSON.parse(JSON.stringify(value)),
      });
    }),
  );
});

it('entries without a header have no expiry and are left as they are', () => {
  const entry = wrap(json, { a: 1 }) as string;
  assert.equal(expiryOf(entry), 0);
  assert.equal(withoutExpiry(entry), entry);
  assert.equal(expiryOf(MISSING_ENTRY), 0);
  const marker = withExpiry(MISSING_ENTRY, 1_800_000_000_000) as Buffer;
  assert.equal(expiryOf(marker), 1_800_000_000_000);
  assert.deepEqual(unwrapText(json, JSON.parse, withoutExpiry(marker.toString('utf8')) as string), {
    kind: 'missing',
  });
  assert.ok(Number.isNaN(expiryOf('\u000212')), 'a truncated header');
});
