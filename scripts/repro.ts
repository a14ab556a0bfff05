/**
 * `npm run repro`: the story's repro loop (see src/repro/story-repro.ts).
 *   npm run repro -- [--rooms 20] [--per-store-mib 50]
 */
import { runStoryRepro } from '../src/repro/index.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} expects a positive number`);
    process.exit(2);
  }
  return value;
}

await runStoryRepro({
  rooms: flag('--rooms', 20),
  perStoreBytes: flag('--per-store-mib', 50) * 2 ** 20,
});
