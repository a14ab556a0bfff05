// decodeEntryAt can tell, from the text a text codec decodes, whether an entry's bytes are ASCII
// (the back-fill then skips a check per value). It must never say ASCII for bytes that are not:
// the memory store would then read them back as latin1 instead of UTF-8.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ASCII_NO,
  ASCII_UNKNOWN,
  ASCII_YES,
  decodeEntryAt,
  type EntryShape,
} from '../../src/tiered/envelope.ts';

const text = {
  name: 'text',
  encode: (v: string) => v,
  decode: () => '',
  decodeText: (t: string) => t,
};
const binary = { name: 'binary', encode: (v: string) => v, decode: () => '' };

test('ASCII is reported exactly when every byte of the entry is below 0x80', () => {
  const byteArb = fc.oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0, max: 0xff }),
    fc.constantFrom(0xef, 0xbf, 0xbd, 0x80, 0xc3, 0xa9, 0xf0, 0x9f),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 12 }),
      fc.array(byteArb, { maxLength: 60 }),
      (header, body) => {
        const bytes = Buffer.from([...header, 0x01, ...body]);
        const shape: EntryShape = { ascii: -1 };
        const fault = { error: undefined };
        decodeEntryAt(text as never, text.decodeText, bytes, header.length, fault, shape);
        const ascii = body.every((b) => b < 0x80);
        assert.equal(shape.ascii, ascii ? ASCII_YES : ASCII_NO, Buffer.from(body).toString('hex'));
      },
    ),
    { numRuns: 2000 },
  );
});

test('a legit U+FFFD, the negative-caching marker, a binary codec', () => {
  const fault = { error: undefined };
  const shape: EntryShape = { ascii: -1 };
  decodeEntryAt(
    text as never,
    text.decodeText,
    Buffer.from('\u0001a\uFFFDb', 'utf8'),
    0,
    fault,
    shape,
  );
  assert.equal(shape.ascii, ASCII_NO);
  decodeEntryAt(text as never, text.decodeText, Buffer.from([0]), 0, fault, shape);
  assert.equal(shape.ascii, ASCII_YES);
  decodeEntryAt(binary as never, null, Buffer.from('\u0001abc'), 0, fault, shape);
  assert.equal(shape.ascii, ASCII_UNKNOWN);
});
