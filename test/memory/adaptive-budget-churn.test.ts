// adaptive's lazy start under budget churn (three stores on one budget, with deletes, clears and
// reclaims between stores): the budget bound holds after every operation, the stores and the
// budget agree, and a policy has allocated nothing before it counts and exactly its reserved
// bytes after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBudget, MemoryStore } from 'tiercache/memory';
import { AdaptivePolicy } from '../../src/memory/adaptive-policy.ts';
import type { PolicyHost } from '../../src/memory/policy.ts';
import { POLICY_FACTORY } from '../../src/memory/test-hooks.ts';
import { seededRandom } from '../helpers/random.ts';

for (const seed of [1, 2, 3]) {
  test(`adaptive invariants under budget churn, seed ${seed}`, () => {
    const next = seededRandom(seed);
    const budget = new MemoryBudget({ maxBytes: 192 * 1024 });
    const policies: AdaptivePolicy[] = [];
    const hooks: object = {
      [POLICY_FACTORY]: (host: PolicyHost) => {
        const p = new AdaptivePolicy(host);
        policies.push(p);
        return p;
      },
    };
    const stores = [0, 1, 2].map(
      (i) =>
        new MemoryStore({
          name: `s${i}`,
          shards: 2,
          maxBytes: (64 + 96 * i) * 1024,
          budget,
          sweepIntervalMs: 0,
          ...hooks,
        }),
    );
    for (let op = 0; op < 40_000; op++) {
      const s = stores[Math.floor(next() * stores.length)]!;
      const key = `k:${Math.floor(next() * (next() < 0.5 ? 300 : 4000))}`;
      const roll = next();
      if (roll < 0.55) s.set(key, 'x'.repeat(Math.floor(next() * 300)));
      else if (roll < 0.85) s.getString(key);
      else if (roll < 0.995) s.delete(key);
      else s.clear();
      let total = 0;
      for (const st of stores) {
        total += st.reservedBytes;
      }
      assert.ok(budget.reservedBytes <= 192 * 1024, `op ${op}: budget ${budget.reservedBytes}`);
      assert.equal(total, budget.reservedBytes, `op ${op}: stores ${total} vs budget`);
      for (const p of policies) {
        if (p.counting)
          assert.equal(p.allocatedBytes, p.bytes, `op ${op}: counting, allocated != reserved`);
        else assert.equal(p.allocatedBytes, 0, `op ${op}: not counting, allocated`);
      }
    }
    for (const st of stores) st.close();
    assert.equal(budget.reservedBytes, 0, 'budget back to 0 after close');
  });
}
