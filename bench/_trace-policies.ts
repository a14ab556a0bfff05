/**
 * Reference eviction policies for bench/traces.ts, for the comparison only (the package never
 * imports them): a per-entry S3-FIFO as libCacheSim's `S3FIFO` describes it, ARC (Megiddo and
 * Modha, FAST 2003), SIEVE (Zhang et al., NSDI 2024) and Belady's optimum with bypass. Each
 * holds at most `capacity` entries of dense key ids in typed arrays, so a replay measures the
 * policy, not a Map. `access(id)` returns whether `id` was held (a hit); on a miss the policy
 * admits it (read-through), evicting as it needs.
 *
 * @module
 */

/** A cache of dense key ids with an entry capacity. */
export interface IdCache {
  /** Whether `id` was held; a miss admits it. */
  access(id: number): boolean;
}

/** A FIFO of ids in a ring buffer. */
class Ring {
  readonly #ids: Int32Array;
  #head = 0;
  #length = 0;

  constructor(capacity: number) {
    this.#ids = new Int32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.#length;
  }

  push(id: number): void {
    const ids = this.#ids;
    ids[(this.#head + this.#length) % ids.length] = id;
    this.#length++;
  }

  shift(): number {
    const id = this.#ids[this.#head]!;
    this.#head = (this.#head + 1) % this.#ids.length;
    this.#length--;
    return id;
  }
}

const NONE = 0;
const SMALL = 1;
const MAIN = 2;

/**
 * S3-FIFO per entry: a small FIFO (10 % of the entries) where new ids start, a main FIFO with a
 * 2-bit reinsertion count, and a ghost FIFO of ids evicted from the small queue (90 % of the
 * capacity, as libCacheSim's `ghost-size-ratio=0.90`). An id read while in the small queue moves
 * to main when it reaches the small queue's tail; one found in the ghost goes straight to main.
 */
export class RefS3Fifo implements IdCache {
  readonly #capacity: number;
  readonly #smallTarget: number;
  readonly #ghostCapacity: number;
  readonly #where: Uint8Array;
  readonly #freq: Uint8Array;
  /** Ghost insertion stamp per id (0 = not a ghost). */
  readonly #ghostStamp: Float64Array;
  readonly #small: Ring;
  readonly #main: Ring;
  #ghostClock = 0;
  #size = 0;

  constructor(capacity: number, idSpace: number) {
    this.#capacity = capacity;
    this.#smallTarget = Math.max(1, Math.round(capacity * 0.1));
    this.#ghostCapacity = Math.max(1, Math.round(capacity * 0.9));
    this.#where = new Uint8Array(idSpace);
    this.#freq = new Uint8Array(idSpace);
    this.#ghostStamp = new Float64Array(idSpace);
    this.#small = new Ring(capacity + 1);
    this.#main = new Ring(capacity + 1);
  }

  access(id: number): boolean {
    if (this.#where[id] !== NONE) {
      if (this.#freq[id]! < 3) this.#freq[id]!++;
      return true;
    }
    while (this.#size >= this.#capacity) this.#evict();
    const stamp = this.#ghostStamp[id]!;
    const ghost = stamp !== 0 && this.#ghostClock - stamp < this.#ghostCapacity;
    this.#ghostStamp[id] = 0;
    this.#freq[id] = 0;
    if (ghost) {
      this.#where[id] = MAIN;
      this.#main.push(id);
    } else {
      this.#where[id] = SMALL;
      this.#small.push(id);
    }
    this.#size++;
    return false;
  }

  #evict(): void {
    if (this.#small.length >= this.#smallTarget || this.#main.length === 0) this.#evictSmall();
    else this.#evictMain();
  }

  #evictSmall(): void {
    while (this.#small.length > 0) {
      const id = this.#small.shift();
      if (this.#freq[id]! > 0) {
        this.#freq[id] = 0;
        this.#where[id] = MAIN;
        this.#main.push(id);
        if (this.#main.length > this.#capacity - this.#smallTarget) {
          this.#evictMain();
          return;
        }
      } else {
        this.#where[id] = NONE;
        this.#ghostStamp[id] = ++this.#ghostClock;
        this.#size--;
        return;
      }
    }
    this.#evictMain();
  }

  #evictMain(): void {
    for (;;) {
      const id = this.#main.shift();
      if (this.#freq[id]! > 0) {
        this.#freq[id]!--;
        this.#main.push(id);
      } else {
        this.#where[id] = NONE;
        this.#size--;
        return;
      }
    }
  }
}

/** Doubly linked lists over ids: several lists share one prev/next pair of arrays. */
class Lists {
  readonly prev: Int32Array;
  readonly next: Int32Array;
  readonly list: Uint8Array;
  /** Per list: head (most recent) and tail (least recent) id, -1 when empty; and length. */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly length: Int32Array;

  constructor(idSpace: number, lists: number) {
    this.prev = new Int32Array(idSpace).fill(-1);
    this.next = new Int32Array(idSpace).fill(-1);
    this.list = new Uint8Array(idSpace);
    this.head = new Int32Array(lists + 1).fill(-1);
    this.tail = new Int32Array(lists + 1).fill(-1);
    this.length = new Int32Array(lists + 1);
  }

  /** Puts `id` (in no list) at the head of list `l` (1-based). */
  pushHead(l: number, id: number): void {
    const head = this.head[l]!;
    this.prev[id] = -1;
    this.next[id] = head;
    if (head >= 0) this.prev[head] = id;
    else this.tail[l] = id;
    this.head[l] = id;
    this.list[id] = l;
    this.length[l]!++;
  }

  /** Takes `id` out of its list. */
  remove(id: number): void {
    const l = this.list[id]!;
    const p = this.prev[id]!;
    const n = this.next[id]!;
    if (p >= 0) this.next[p] = n;
    else this.head[l] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[l] = p;
    this.list[id] = 0;
    this.length[l]!--;
  }
}

const T1 = 1;
const T2 = 2;
const B1 = 3;
const B2 = 4;

/** ARC: recency (T1) and frequency (T2) lists with ghosts B1/B2 steering the target size p. */
export class Arc implements IdCache {
  readonly #c: number;
  readonly #l: Lists;
  #p = 0;

  constructor(capacity: number, idSpace: number) {
    this.#c = capacity;
    this.#l = new Lists(idSpace, 4);
  }

  access(id: number): boolean {
    const l = this.#l;
    const c = this.#c;
    const where = l.list[id]!;
    const len = l.length;
    if (where === T1 || where === T2) {
      l.remove(id);
      l.pushHead(T2, id);
      return true;
    }
    if (where === B1) {
      this.#p = Math.min(c, this.#p + Math.max(len[B2]! / len[B1]!, 1));
      this.#replace(false);
      l.remove(id);
      l.pushHead(T2, id);
      return false;
    }
    if (where === B2) {
      this.#p = Math.max(0, this.#p - Math.max(len[B1]! / len[B2]!, 1));
      this.#replace(true);
      l.remove(id);
      l.pushHead(T2, id);
      return false;
    }
    const l1 = len[T1]! + len[B1]!;
    if (l1 === c) {
      if (len[T1]! < c) {
        l.remove(l.tail[B1]!);
        this.#replace(false);
      } else {
        l.remove(l.tail[T1]!);
      }
    } else {
      const total = l1 + len[T2]! + len[B2]!;
      if (total >= c) {
        if (total >= 2 * c) l.remove(l.tail[B2]!);
        this.#replace(false);
      }
    }
    l.pushHead(T1, id);
    return false;
  }

  #replace(inB2: boolean): void {
    const l = this.#l;
    const t1 = l.length[T1]!;
    if (t1 > 0 && ((inB2 && t1 === this.#p) || t1 > this.#p)) {
      const id = l.tail[T1]!;
      l.remove(id);
      l.pushHead(B1, id);
    } else if (l.length[T2]! > 0) {
      const id = l.tail[T2]!;
      l.remove(id);
      l.pushHead(B2, id);
    } else {
      const id = l.tail[T1]!;
      l.remove(id);
      l.pushHead(B1, id);
    }
  }
}

/**
 * SIEVE: one FIFO with a visited bit per entry and a hand that walks from the tail towards the
 * head, clearing visited bits and evicting the first unvisited entry.
 */
export class Sieve implements IdCache {
  readonly #c: number;
  readonly #l: Lists;
  readonly #visited: Uint8Array;
  #hand = -1;

  constructor(capacity: number, idSpace: number) {
    this.#c = capacity;
    this.#l = new Lists(idSpace, 1);
    this.#visited = new Uint8Array(idSpace);
  }

  access(id: number): boolean {
    const l = this.#l;
    if (l.list[id] === 1) {
      this.#visited[id] = 1;
      return true;
    }
    if (l.length[1]! >= this.#c) this.#evict();
    this.#visited[id] = 0;
    l.pushHead(1, id);
    return false;
  }

  #evict(): void {
    const l = this.#l;
    let hand = this.#hand >= 0 ? this.#hand : l.tail[1]!;
    while (this.#visited[hand] === 1) {
      this.#visited[hand] = 0;
      hand = l.prev[hand]! >= 0 ? l.prev[hand]! : l.tail[1]!;
    }
    const prev = l.prev[hand]!;
    this.#hand = prev;
    l.remove(hand);
  }
}

/**
 * Misses of Belady's optimum with bypass (an id whose next request lies after every held id's
 * is not admitted), at `capacity` entries: the ceiling no online policy can pass.
 */
export function beladyMisses(requests: Int32Array, idSpace: number, capacity: number): number {
  const n = requests.length;
  // next[i]: index of the next request for the id requested at i, or n + id when none.
  const next = new Float64Array(n);
  const seen = new Float64Array(idSpace).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    const id = requests[i]!;
    next[i] = seen[id]! >= 0 ? seen[id]! : n + id;
    seen[id] = i;
  }
  // A max-heap of (next use, id) with lazy deletion: an entry is stale when the id's current
  // next use differs (the id was requested again) or the id is no longer held.
  const held = new Uint8Array(idSpace);
  const nextUse = new Float64Array(idSpace);
  let heapKeys = new Float64Array(1024);
  let heapIds = new Int32Array(1024);
  let heapSize = 0;
  const push = (key: number, id: number): void => {
    if (heapSize === heapKeys.length) {
      const keys = new Float64Array(heapSize * 2);
      keys.set(heapKeys);
      heapKeys = keys;
      const ids = new Int32Array(heapSize * 2);
      ids.set(heapIds);
      heapIds = ids;
    }
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapKeys[parent]! >= key) break;
      heapKeys[i] = heapKeys[parent]!;
      heapIds[i] = heapIds[parent]!;
      i = parent;
    }
    heapKeys[i] = key;
    heapIds[i] = id;
  };
  const pop = (): void => {
    const key = heapKeys[--heapSize]!;
    const id = heapIds[heapSize]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heapKeys[child + 1]! > heapKeys[child]!) child++;
      if (heapKeys[child]! <= key) break;
      heapKeys[i] = heapKeys[child]!;
      heapIds[i] = heapIds[child]!;
      i = child;
    }
    heapKeys[i] = key;
    heapIds[i] = id;
  };
  // Drops stale tops so heapKeys[0] is a held id's current next use.
  const top = (): void => {
    while (heapSize > 0) {
      const id = heapIds[0]!;
      if (held[id] === 1 && nextUse[id] === heapKeys[0]) return;
      pop();
    }
  };
  // Compacts the heap when stale entries dominate it.
  const compact = (): void => {
    const keys = new Float64Array(heapKeys.length);
    const ids = new Int32Array(heapIds.length);
    let size = 0;
    for (let i = 0; i < heapSize; i++) {
      const id = heapIds[i]!;
      if (held[id] === 1 && nextUse[id] === heapKeys[i]) {
        keys[size] = heapKeys[i]!;
        ids[size++] = id;
      }
    }
    heapKeys = new Float64Array(heapKeys.length);
    heapIds = new Int32Array(heapIds.length);
    heapSize = 0;
    for (let i = 0; i < size; i++) push(keys[i]!, ids[i]!);
  };
  let count = 0;
  let misses = 0;
  for (let i = 0; i < n; i++) {
    const id = requests[i]!;
    const use = next[i]!;
    if (held[id] === 1) {
      nextUse[id] = use;
      push(use, id);
      if (heapSize > 4 * capacity + 1024) compact();
      continue;
    }
    misses++;
    if (count < capacity) {
      held[id] = 1;
      nextUse[id] = use;
      push(use, id);
      count++;
      continue;
    }
    top();
    if (heapKeys[0]! <= use) continue; // bypass: every held id is wanted sooner
    held[heapIds[0]!] = 0;
    pop();
    held[id] = 1;
    nextUse[id] = use;
    push(use, id);
    if (heapSize > 4 * capacity + 1024) compact();
  }
  return misses;
}
