import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeProfile } from 'tiercache/diagnostics';
import { InvalidArgumentError } from 'tiercache/errors';
import { runTiercache } from './helpers.ts';

let dir: string;
let truncated: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tiercache-cli-corrupt-'));
  // A gzip stream cut in half: the header is right, the rest is missing.
  const whole = gzipSync(
    Buffer.from('not really a profile, but long enough to compress'.repeat(20)),
  );
  truncated = join(dir, 'truncated.pb.gz');
  writeFileSync(truncated, whole.subarray(0, whole.length >> 1));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a corrupt .gz profile is one "not a pprof profile" line naming the file', async () => {
  const result = await runTiercache(['top', truncated]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr.split('\n').length, 2, result.stderr);
  assert.match(
    result.stderr,
    /^tiercache: \S+truncated\.pb\.gz: not a pprof profile \(unexpected end of file\)\n$/,
  );
  assert.doesNotMatch(result.stderr, /unexpected error/);
});

test('decodeProfile reports a corrupt gzip stream as InvalidArgumentError', () => {
  assert.throws(
    () => decodeProfile(new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02])),
    (err: unknown) =>
      err instanceof InvalidArgumentError && /not a pprof profile/.test(err.message),
  );
});
