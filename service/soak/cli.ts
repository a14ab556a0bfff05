/**
 * `npm run soak`: churns 20,000 rooms through create, use and idle stop with the shared cache
 * and shows heap and RSS flat after warm-up (LeakWatch's trend), then runs the original bug (a
 * cache per live room) until LeakWatch flags it. `--rooms`, `--batch`, `--bug-rooms` to resize.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { type ChurnSoakResult, runChurnSoak } from './churn-soak.ts';

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    rooms: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    'bug-rooms': { type: 'string', default: '200' },
  },
});

if (typeof globalThis.gc !== 'function') {
  console.warn(
    'note: run with --expose-gc (npm run soak does) so samples are taken after a full GC',
  );
}

const mib = (n: number) => `${(n / MiB).toFixed(2).padStart(8)} MiB`;

function summarize(result: ChurnSoakResult): void {
  const t = result.trendPer1000Rooms;
  console.log(`\n${result.mode}: ${result.rooms} rooms, ${result.messages} messages`);
  console.log(`  trend per 1000 rooms after warm-up: heap ${mib(t.heapUsed)} · rss ${mib(t.rss)}`);
  console.log(
    `                                      external ${mib(t.external)} · stores ${mib(t.stores)}`,
  );
  console.log(
    result.growth === undefined
      ? '  LeakWatch: flat, no growth flagged'
      : `  LeakWatch flagged: ${result.growth.message}`,
  );
}

const progress = (
  sample: { heapUsed: number; rss: number; stores: number; liveRooms: number },
  done: number,
  total: number,
) => {
  process.stderr.write(
    `\r  ${String(done).padStart(6)}/${total} rooms · heap ${mib(sample.heapUsed)} · rss ${mib(sample.rss)} · stores ${mib(sample.stores)} · live ${sample.liveRooms}\x1b[K`,
  );
};

console.log('shared cache (the fix): churning rooms through create, use, idle stop…');
const shared = await runChurnSoak({
  mode: 'shared',
  rooms: Number(values.rooms),
  batch: Number(values.batch),
  windowSize: 20,
  onBatch: progress,
});
summarize(shared);

console.log(
  '\none cache per room (the bug): rooms created at the same pace, each with its own store…',
);
const bug = await runChurnSoak({
  mode: 'per-room',
  rooms: Number(values['bug-rooms']),
  batch: 10,
  warmupBatches: 2,
  windowSize: 8,
  onBatch: progress,
});
summarize(bug);
process.exitCode = shared.growth === undefined && bug.growth !== undefined ? 0 : 1;
