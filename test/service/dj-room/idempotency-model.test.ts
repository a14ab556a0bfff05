import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RoomService } from '../../../service/index.ts';
import { testConfig } from '../helpers/test-app.ts';

type Op = { kind: 'send'; k: number } | { kind: 'move' };

const ops = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), k: fc.nat(12) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('move' as const) }) },
  ),
  { minLength: 1, maxLength: 40 },
);

test('against a Map model: each key applied once, whatever the resends and room moves', async () => {
  // A small key window (3) and frequent snapshots (every 4): resends of old keys go to the
  // store, and moves reload the room from a snapshot plus a log tail.
  const { config, cleanup } = testConfig({ keyWindow: 3, snapshotEvery: 4 });
  const service = new RoomService(config);
  let round = 0;
  try {
    await fc.assert(
      fc.asyncProperty(ops, async (sequence: Op[]) => {
        const rid = `model-${round++}`;
        const model = new Map<string, string>();
        await service.deliver(rid, { type: 'join', userId: 1 }, 'join');
        for (const op of sequence) {
          if (op.kind === 'move') {
            // Stopped and built again on its next message, as on a new owner.
            await service.router.drop(rid);
            continue;
          }
          const key = `key-${op.k}`;
          const text = `text ${op.k} #${model.size}`;
          const sent = model.get(key) ?? text;
          if (!model.has(key)) model.set(key, text);
          const reply = await service.deliver(rid, { type: 'chat', userId: 1, text: sent }, key);
          assert.equal(reply.status, 202);
        }
        const snapshot = await service.snapshot(rid);
        assert.deepEqual(
          snapshot.chat.map((c) => c.text),
          [...model.values()],
        );
        const keyed = (await service.store.entries(rid)).filter((e) => e.key !== null);
        assert.deepEqual(keyed.map((e) => e.key).sort(), ['join', ...model.keys()].sort());
      }),
      { numRuns: 40 },
    );
  } finally {
    await service.close();
    cleanup();
  }
});
