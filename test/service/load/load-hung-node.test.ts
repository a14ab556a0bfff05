import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpTarget, LoadGenerator } from '../../../service/load/index.ts';

// A "node" that accepts every connection and request but never answers.
let hung: Server;
let url: string;
before(async () => {
  hung = createServer(() => {});
  hung.listen(0, '127.0.0.1');
  await once(hung, 'listening');
  url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});
after(() => {
  hung.closeAllConnections();
  hung.close();
});

async function runAgainstHungNode(timeoutMs: number) {
  const target = new HttpTarget(url, { timeoutMs });
  const generator = new LoadGenerator(target, {
    rooms: 2,
    bots: 4,
    seconds: 1,
    thinkMs: 10,
    users: 10,
  });
  // A bound far past the run's 1 s plus its grace: only a generator that never stops hits it.
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), 15_000);
  });
  const report = await Promise.race([generator.run(), stuck]).finally(() => clearTimeout(timer));
  generator.stop();
  await target.close();
  assert.notEqual(report, 'stuck', 'the load generator kept running against a silent node');
  return report as Exclude<typeof report, 'stuck'>;
}

test('against a node that never answers, the run still ends and counts the requests as failed', async () => {
  // A per-request timeout of a minute: only the run's own deadline can end these requests.
  const report = await runAgainstHungNode(60_000);
  assert.equal(report.running, false);
  assert.equal(report.outcomes.ok, 0);
  assert.equal(report.outcomes.failed, report.actions);
  assert.ok(report.actions >= 4, `every bot's join was counted: ${report.actions}`);
});

test('a request the node leaves unanswered for timeoutMs fails, and the bot goes on', async () => {
  const report = await runAgainstHungNode(100);
  assert.equal(report.outcomes.ok, 0);
  assert.equal(report.outcomes.failed, report.actions);
  // Timed out joins free the bots to try again within the one-second run.
  assert.ok(report.actions > 4, `bots retried after timeouts: ${report.actions}`);
});
