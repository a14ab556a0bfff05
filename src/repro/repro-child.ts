/**
 * One mode of the story's repro, run in a child process by story-repro.ts: creates one store
 * per room, writes a room's worth of member profiles into it, and prints one JSON line per room.
 * Arguments: mode, rooms, bytes preallocated per bigcache-like store, warning threshold.
 */
import { MemoryStore, memoryStores, setManyStoresThreshold } from '../memory/index.ts';
import type { ReproMode, ReproSample } from './story-repro.ts';

const [mode, roomsArg, perStoreArg, thresholdArg] = process.argv.slice(2) as [
  ReproMode,
  string,
  string,
  string,
];
const rooms = Number(roomsArg);
const perStoreBytes = Number(perStoreArg);
setManyStoresThreshold(Number(thresholdArg));

process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code?.startsWith('TIERCACHE_')) {
    console.log(JSON.stringify({ type: 'warning', code: warning.code, message: warning.message }));
  }
});

/** What a room worker's Init() did: build the room's own cache. */
function createRoomCache(room: number): MemoryStore {
  if (mode === 'bigcache-like') {
    return new MemoryStore({
      name: `room-${room}`,
      shards: 1024,
      maxEntryBytes: 16 * 1024,
      maxBytes: perStoreBytes,
      initialBytes: perStoreBytes,
      budget: null,
    });
  }
  return new MemoryStore({ name: `room-${room}` });
}

const held: MemoryStore[] = [];
for (let room = 1; room <= rooms; room++) {
  const cache = createRoomCache(room);
  held.push(cache);
  // A room's working set: 50 member profiles of ~200 bytes.
  for (let m = 0; m < 50; m++) {
    cache.set(
      `user:${room * 1000 + m}`,
      JSON.stringify({ id: room * 1000 + m, name: `member ${m}`, bio: 'x'.repeat(150) }),
    );
  }
  // Emitted warnings are delivered on the next tick: yield so they print beside their room.
  await new Promise((resolve) => setImmediate(resolve));
  const usage = process.memoryUsage();
  const sample: ReproSample = {
    mode,
    room,
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    reservedBytes: memoryStores().reduce((sum, s) => sum + s.reservedBytes, 0),
  };
  console.log(JSON.stringify({ type: 'sample', sample }));
}
for (const store of held) store.close();
