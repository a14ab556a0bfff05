import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collectMemstats,
  disableDiagnostics,
  enableDiagnostics,
  heapSamplerState,
  LeakWatch,
  startDebugServer,
} from 'tiercache/diagnostics';

/** Waits (at most 5 s) for the heap sampler to reach `mode`; stop() releases asynchronously. */
async function settles(mode: 'off' | 'inuse'): Promise<void> {
  for (let i = 0; i < 500 && heapSamplerState().mode !== mode; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(heapSamplerState().mode, mode);
}

test('closing the only debug server stops the heap sampler and the monitors', async () => {
  assert.equal(heapSamplerState().mode, 'off');
  const server = await startDebugServer({ port: 0 });
  try {
    await (await fetch(`${server.url}/debug/pprof/heap`)).arrayBuffer();
    assert.equal(heapSamplerState().mode, 'inuse');
    await new Promise((resolve) => setTimeout(resolve, 30)); // let the delay monitor record
    assert.notEqual(collectMemstats().eventLoopDelay, undefined);
  } finally {
    await server.close();
  }
  assert.equal(heapSamplerState().mode, 'off');
  assert.equal(collectMemstats().eventLoopDelay, undefined, 'the event-loop monitor stopped');
});

test('stopping the only LeakWatch stops the heap sampler it started', async () => {
  const watch = new LeakWatch({ emitWarning: false }).start();
  await settles('inuse');
  watch.stop();
  await settles('off');
});

test('the sampler stays on while any user is left, and stops with the last', async () => {
  const a = await startDebugServer({ port: 0 });
  const b = await startDebugServer({ port: 0 });
  const watch = new LeakWatch({ emitWarning: false }).start();
  try {
    await enableDiagnostics();
    await settles('inuse');
    await a.close();
    watch.stop();
    await disableDiagnostics();
    assert.equal(heapSamplerState().mode, 'inuse', 'server b still uses it');
  } finally {
    await a.close().catch(() => undefined);
    watch.stop();
    await b.close();
  }
  await settles('off');
});

test('a debug server that fails to listen does not leave the sampler on', async () => {
  const first = await startDebugServer({ port: 0 });
  await assert.rejects(startDebugServer({ port: first.port }), /EADDRINUSE/);
  await first.close();
  assert.equal(heapSamplerState().mode, 'off');
});
