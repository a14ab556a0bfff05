import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NodeRing, Rendezvous } from '../../../service/cluster/index.ts';

const nodes = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082', 'http://127.0.0.1:8083'];

test('every node computes the same owner, whatever the order of its list', () => {
  const a = new Rendezvous(nodes);
  const b = new Rendezvous([...nodes].reverse());
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40 }), (rid) => {
      assert.equal(a.owner(rid), b.owner(rid));
      assert.ok(nodes.includes(a.owner(rid)));
    }),
    { numRuns: 2000 },
  );
});

test('rooms spread evenly over the nodes', () => {
  const ring = new Rendezvous(nodes);
  const counts = new Map<string, number>();
  for (let i = 0; i < 30_000; i++) {
    const owner = ring.owner(`room-${i}`);
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  for (const node of nodes) {
    const share = (counts.get(node) ?? 0) / 30_000;
    assert.ok(Math.abs(share - 1 / 3) < 0.02, `${node} owns ${(share * 100).toFixed(1)} %`);
  }
});

test('removing a node moves only the rooms it owned', () => {
  const full = new Rendezvous(nodes);
  const smaller = new Rendezvous(nodes.slice(0, 2));
  for (let i = 0; i < 5000; i++) {
    const rid = `room-${i}`;
    const before = full.owner(rid);
    if (before !== nodes[2]) assert.equal(smaller.owner(rid), before, rid);
  }
});

test('a node list must be usable', () => {
  assert.throws(() => new Rendezvous([]), { code: 'TIERCACHE_INVALID_ARGUMENT' });
  assert.throws(() => new Rendezvous(['a', 'a']), { code: 'TIERCACHE_INVALID_ARGUMENT' });
  assert.throws(() => new NodeRing('http://127.0.0.1:9', nodes), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
  const alone = new NodeRing('http://127.0.0.1:9', []);
  assert.equal(alone.owner('anything'), 'http://127.0.0.1:9');
  assert.ok(alone.owns('x'));
});
