/**
 * Reads the real cache traces in `../shared/traces` (see its README: sources, formats,
 * licenses) for bench/traces.ts. Every trace becomes an `Int32Array` of dense key ids (0 ..
 * distinct - 1, in order of first request), so every cache in a replay sees exactly the same
 * requests and the caller can turn ids into key strings once.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/** One replayable trace: its name, its requests as dense ids, and how many ids there are. */
export interface ReplayTrace {
  readonly name: string;
  readonly requests: Int32Array;
  readonly distinct: number;
  /** Requests in the file, before any cap. */
  readonly fileRequests: number;
}

/** How the file encodes its keys. */
type Format = 'lirs' | 'arc' | 'int32be' | 'int64be';

/** The traces of the README, by name: file path under the traces folder and format. */
export const TRACE_FILES: readonly { name: string; path: string; format: Format }[] = [
  { name: 'loop', path: 'lirs/loop.trace.gz', format: 'lirs' },
  { name: '2_pools', path: 'lirs/2_pools.trace.gz', format: 'lirs' },
  { name: 'sprite', path: 'lirs/sprite.trace.gz', format: 'lirs' },
  { name: 'multi1', path: 'lirs/multi1.trace.gz', format: 'lirs' },
  { name: 'p3', path: 'arc/p3.gz', format: 'arc' },
  { name: 'orm-busy', path: 'cache2k/orm-busy.trace.br', format: 'int32be' },
  { name: 'orm-night', path: 'cache2k/orm-night.trace.br', format: 'int32be' },
  { name: 'web07', path: 'cache2k/web07.trace.br', format: 'int32be' },
  { name: 'web12', path: 'cache2k/web12.trace.br', format: 'int32be' },
  { name: 'scarab', path: 'scarab/scarab-recs.trace.br', format: 'int64be' },
];

/** Assigns dense ids to raw keys in order of first appearance. */
class DenseIds<K> {
  readonly #ids = new Map<K, number>();
  readonly #cap: number;
  out = new Int32Array(1 << 16);
  length = 0;

  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Appends `key`; false once the cap is reached. */
  push(key: K): boolean {
    if (this.length >= this.#cap) return false;
    if (this.length === this.out.length) {
      const grown = new Int32Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(key, id);
    }
    this.out[this.length++] = id;
    return true;
  }

  get distinct(): number {
    return this.#ids.size;
  }
}

function decompress(file: string): Buffer {
  const raw = readFileSync(file);
  return file.endsWith('.br') ? brotliDecompressSync(raw) : gunzipSync(raw);
}

/**
 * Loads the trace `name` from `folder`, keeping its first `cap` requests (all when the file
 * has fewer).
 */
export function loadTrace(folder: string, name: string, cap: number): ReplayTrace {
  const spec = TRACE_FILES.find((t) => t.name === name);
  if (spec === undefined) {
    const names = [...TRACE_FILES.map((t) => t.name), PHASE_TRACE].join(', ');
    throw new Error(`no trace "${name}": the traces are ${names}`);
  }
  const data = decompress(`${folder}/${spec.path}`);
  let fileRequests = 0;
  let trace: { out: Int32Array; length: number; distinct: number };
  if (spec.format === 'lirs' || spec.format === 'arc') {
    const dense = new DenseIds<number>(cap);
    const text = data.toString('latin1');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end).trim();
      start = end + 1;
      if (line === '' || line.startsWith('*')) continue;
      if (spec.format === 'lirs') {
        fileRequests++;
        dense.push(Number(line));
      } else {
        // `start count x y`: blocks start .. start + count - 1.
        const [first, count] = line.split(' ').map(Number) as [number, number];
        fileRequests += count;
        for (let i = 0; i < count; i++) dense.push(first + i);
      }
    }
    trace = dense;
  } else if (spec.format === 'int32be') {
    const dense = new DenseIds<number>(cap);
    fileRequests = data.length >>> 2;
    for (let at = 0; at + 4 <= data.length && dense.push(data.readInt32BE(at)); at += 4);
    trace = dense;
  } else {
    const dense = new DenseIds<bigint>(cap);
    fileRequests = data.length >>> 3;
    for (let at = 0; at + 8 <= data.length && dense.push(data.readBigInt64BE(at)); at += 8);
    trace = dense;
  }
  return {
    name,
    requests: trace.out.slice(0, trace.length),
    distinct: trace.distinct,
    fileRequests,
  };
}

/**
 * The phase-change trace: `recency`, then `loop` (its ids moved past the recency trace's), then
 * `recency` again, as one trace.
 */
export function chainTraces(name: string, recency: ReplayTrace, loop: ReplayTrace): ReplayTrace {
  const a = recency.requests;
  const b = loop.requests;
  const requests = new Int32Array(a.length * 2 + b.length);
  requests.set(a, 0);
  for (let i = 0; i < b.length; i++) requests[a.length + i] = b[i]! + recency.distinct;
  requests.set(a, a.length + b.length);
  return {
    name,
    requests,
    distinct: recency.distinct + loop.distinct,
    fileRequests: requests.length,
  };
}

/** `../shared/traces`, where the README's traces live. */
export const TRACES_DIR = new URL('../../shared/traces', import.meta.url).pathname;

/** The name of the phase-change trace: sprite, then the LIRS loop, then sprite again. */
export const PHASE_TRACE = 'phase';

/** Loads trace `name` (one of {@link TRACE_FILES}, or {@link PHASE_TRACE}) cut to `cap` requests. */
export function loadNamedTrace(name: string, cap: number): ReplayTrace {
  if (name !== PHASE_TRACE) return loadTrace(TRACES_DIR, name, cap);
  const sprite = loadTrace(TRACES_DIR, 'sprite', cap);
  const loop = loadTrace(TRACES_DIR, 'loop', cap);
  return chainTraces('phase (sprite, loop, sprite)', sprite, loop);
}
