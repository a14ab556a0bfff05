import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  Function as Fn,
  Line,
  Location,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { decodeProfile, diffSummaries, sampleTypes, summarizeProfile } from 'tiercache/diagnostics';
import { InvalidArgumentError } from 'tiercache/errors';

/** A profile with stacks given as function names, leaf first, and values [samples, bytes]. */
function profileOf(samples: [string[], number][]): Profile {
  const strings = new StringTable();
  const ids = new Map<string, number>();
  const id = (name: string) => {
    if (!ids.has(name)) ids.set(name, ids.size + 1);
    return ids.get(name)!;
  };
  const sample = samples.map(
    ([stack, bytes]) => new Sample({ locationId: stack.map(id), value: [1, bytes] }),
  );
  return new Profile({
    sampleType: [
      new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
      new ValueType({ type: strings.dedup('inuse_space'), unit: strings.dedup('bytes') }),
    ],
    sample,
    function: [...ids].map(
      ([name, i]) =>
        new Fn({ id: i, name: strings.dedup(name), filename: strings.dedup('app.js') }),
    ),
    location: [...ids].map(
      ([, i]) => new Location({ id: i, line: [new Line({ functionId: i, line: 1 })] }),
    ),
    stringTable: strings,
    defaultSampleType: strings.dedup('inuse_space'),
  });
}

test('flat counts the leaf, cum every function on the stack once (recursion included)', () => {
  const summary = summarizeProfile(
    profileOf([
      [['alloc', 'handler', 'main'], 100],
      [['handler', 'main'], 30],
      [['alloc', 'alloc', 'main'], 10],
    ]),
  );
  assert.equal(summary.sampleType, 'inuse_space');
  assert.equal(summary.unit, 'bytes');
  assert.equal(summary.total, 140);
  const byName = new Map(summary.functions.map((f) => [f.name, f]));
  assert.deepEqual([byName.get('alloc')?.flat, byName.get('alloc')?.cum], [110, 110]);
  assert.deepEqual([byName.get('handler')?.flat, byName.get('handler')?.cum], [30, 130]);
  assert.deepEqual([byName.get('main')?.flat, byName.get('main')?.cum], [0, 140]);
  assert.equal(summary.functions[0]?.name, 'alloc');
});

test('the diff against a base shows what grew, largest first, and what shrank as negative', () => {
  const base = summarizeProfile(
    profileOf([
      [['cache', 'main'], 100],
      [['session', 'main'], 50],
    ]),
  );
  const current = summarizeProfile(
    profileOf([
      [['cache', 'main'], 400],
      [['session', 'main'], 20],
      [['rooms', 'main'], 90],
    ]),
  );
  const diff = diffSummaries(base, current);
  assert.equal(diff.total, 510 - 150);
  assert.deepEqual(
    diff.functions.map((f) => [f.name, f.flat]),
    [
      ['cache', 300],
      ['rooms', 90],
      ['main', 0],
      ['session', -30],
    ],
  );
});

test('decodeProfile reads gzipped and raw bytes and refuses what is not a profile', () => {
  const profile = profileOf([[['a'], 1]]);
  const raw = profile.encode();
  assert.deepEqual(sampleTypes(decodeProfile(raw)), ['samples', 'inuse_space']);
  assert.deepEqual(sampleTypes(decodeProfile(gzipSync(raw))), ['samples', 'inuse_space']);
  assert.throws(() => decodeProfile(Buffer.from('{"not":"a profile"}')), InvalidArgumentError);
  assert.throws(() => summarizeProfile(profile, 'alloc_space'), /no sample type "alloc_space"/);
});
