import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import {
  createDiagnosticsHandler,
  heapSamplerState,
  startDebugServer,
} from 'tiercache/diagnostics';
import { sleep } from './helpers.ts';

/** GETs `url` and destroys the request after `ms`, as a client that hangs up would. */
function hangUpAfter(url: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const request = get(url);
    request.on('error', () => undefined);
    setTimeout(() => {
      request.destroy();
      resolve();
    }, ms);
  });
}

/** Polls the heap route until it stops answering 409 (busy); at most 5 s, far below a 30 s window. */
async function heapStatusOnceFree(base: string): Promise<number> {
  let status = 409;
  for (let i = 0; i < 50 && status === 409; i++) {
    const response = await fetch(`${base}/debug/pprof/heap`);
    await response.arrayBuffer();
    status = response.status;
    if (status === 409) await sleep(100);
  }
  return status;
}

test('a client hanging up mid-profile ends its 30 s window early, for allocs and CPU', async () => {
  const server = await startDebugServer({ port: 0 });
  try {
    for (const route of ['allocs', 'profile']) {
      await hangUpAfter(`${server.url}/debug/pprof/${route}?seconds=30`, 300);
      assert.equal(await heapStatusOnceFree(server.url), 200, route);
      assert.equal(heapSamplerState().mode, 'inuse', route);
    }
  } finally {
    await server.close();
  }
});

test('a client gone while enabling is pending starts no allocs window at all', async () => {
  const handler = createDiagnosticsHandler();
  const req = {
    url: '/debug/pprof/allocs?seconds=30',
    method: 'GET',
    headers: {},
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), {
    destroyed: false,
    writableFinished: false,
    headersSent: false,
    setHeader: () => undefined,
    end: () => undefined,
  });
  // The handler was just created, so its route is still awaiting the sampler's start: the
  // connection drops right then.
  handler(req, res as unknown as ServerResponse);
  res.destroyed = true;
  res.emit('close');
  await sleep(300);
  assert.equal(heapSamplerState().mode, 'inuse', 'no allocs window runs for the gone client');
});
