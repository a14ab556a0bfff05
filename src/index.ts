/**
 * tiercache: a memory-safe multi-tier cache for Node.js. This entry point re-exports the
 * in-process {@link MemoryStore} (also at `tiercache/memory`), the {@link TieredCache}
 * (memory, then Redis, then the loader; also at `tiercache/tiered`) and every error class.
 * Diagnostics live at `tiercache/diagnostics` so services that do not mount them never load them.
 *
 * @module
 */
export * from './errors.ts';
export * from './memory/index.ts';
export * from './tiered/index.ts';
