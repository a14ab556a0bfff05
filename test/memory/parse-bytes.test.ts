import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBytes } from 'tiercache/memory';

test('parses plain bytes and binary / decimal units, case-insensitively', () => {
  const cases: [string, number][] = [
    ['1', 1],
    ['4096', 4096],
    ['100B', 100],
    ['64k', 64 * 1024],
    ['64KiB', 64 * 1024],
    ['64KB', 64_000],
    ['512MiB', 512 * 1024 ** 2],
    ['512mib', 512 * 1024 ** 2],
    ['2GiB', 2 * 1024 ** 3],
    ['2g', 2 * 1024 ** 3],
    ['1.5GB', 1.5e9],
    [' 3 MB ', 3e6],
    ['1TiB', 1024 ** 4],
  ];
  for (const [text, bytes] of cases) assert.equal(parseBytes(text), bytes, text);
});

test('rejects what is not a positive size', () => {
  for (const text of [
    '',
    'abc',
    '-1',
    '0',
    '0.1B',
    '12 parsecs',
    '1e6',
    'MiB',
    '1..5GB',
    '9'.repeat(40),
  ]) {
    assert.equal(parseBytes(text), undefined, text);
  }
});
