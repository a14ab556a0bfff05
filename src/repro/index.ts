/**
 * The story's reproduction: the Go service built one bigcache-backed cache per room, each
 * preallocating its 1024 shards up front, and memory crept up room by room. This folder replays
 * that loop in Node, side by side with tiercache's defaults, so the difference can be seen in
 * one run (`npm run repro`, or `tiercache repro`).
 *
 * @module
 */
export type { ReproMode, ReproOptions, ReproSample } from './story-repro.ts';
export { MIN_PER_STORE_BYTES, runStoryRepro } from './story-repro.ts';
