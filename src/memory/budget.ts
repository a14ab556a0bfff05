/**
 * The memory budget that stores share: a byte counter with a hard maximum. A store reserves from
 * its budget before it allocates a chunk or an index table and releases when it frees one, so the
 * sum of `reservedBytes` over every store on a budget never exceeds the budget's `maxBytes`.
 *
 * When the budget is full, memory moves from the stores holding the most to the store that asks
 * ({@link MemoryBudget.reclaimFor}): the store holding the most evicts its own coldest chunk (the
 * one its eviction policy would evict next), as long as it still holds more than the asking
 * store would after the transfer. Stores that keep writing thus converge to equal shares, a new
 * store is never locked out, and no store loses memory to one that holds more than it.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { InvalidOptionError, InvalidOptionTypeError } from '../errors.ts';
import { checkOptionsObject, integerOption, stringOption } from '../options-check.ts';
import { parseBytes } from './parse-bytes.ts';

const BUDGET_OPTIONS: ReadonlySet<string> = new Set(['maxBytes', 'name']);

/** Share of the machine's (or the cgroup's) memory the default process budget may hold. */
export const DEFAULT_MEMORY_FRACTION = 0.25;

/** The environment variable that sets the default process budget (`2GiB`, `512MiB`, bytes). */
export const MEMORY_LIMIT_ENV = 'TIERCACHE_MEMORY_LIMIT';

/** Options of a {@link MemoryBudget}. */
export interface MemoryBudgetOptions {
  /** Hard maximum of the bytes all stores on this budget may reserve together, in bytes. */
  maxBytes: number;
  /** Shown in diagnostics. @default 'budget' */
  name?: string;
}

/** A figure-only view of a budget, for diagnostics. */
export interface MemoryBudgetSnapshot {
  readonly name: string;
  readonly maxBytes: number;
  readonly reservedBytes: number;
  readonly stores: number;
}

/** A store as its budget sees it: what it holds, and a way to give some of it back. */
export interface BudgetMember {
  /** Bytes the store holds on this budget. */
  readonly reservedBytes: number;
  /** Evicts the store's coldest chunk; returns the bytes released (0 when it has none). */
  giveBack(): number;
}

/** A shared byte allowance: stores reserve from it before allocating and release when freeing. */
export class MemoryBudget {
  readonly name: string;
  readonly #maxBytes: number;
  #reservedBytes = 0;
  #stores = 0;
  /** The stores that may give memory back; weak, so a dropped store is still collected. */
  readonly #members = new Set<WeakRef<BudgetMember>>();
  /** Size of {@link #members} at which {@link join} drops the references of collected stores. */
  #pruneAt = 64;
  /** Set while memory moves between stores: a store giving back never takes from another. */
  #reclaiming = false;

  constructor(options: MemoryBudgetOptions) {
    if (options === undefined) {
      throw new InvalidOptionTypeError('options', 'expected an object { maxBytes }, got undefined');
    }
    const o = checkOptionsObject('MemoryBudget', options, BUDGET_OPTIONS);
    if (o.maxBytes === undefined) {
      throw new InvalidOptionTypeError(
        'maxBytes',
        'expected a whole number of bytes, got undefined',
      );
    }
    const maxBytes = integerOption('maxBytes', o.maxBytes, 0, 1, Number.MAX_SAFE_INTEGER, 'bytes');
    const name = stringOption('name', o.name, 'budget');
    this.#maxBytes = maxBytes;
    this.name = name;
  }

  /** The hard maximum, in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Bytes currently reserved by all stores on this budget. */
  get reservedBytes(): number {
    return this.#reservedBytes;
  }

  /** Bytes still available. */
  get availableBytes(): number {
    return this.#maxBytes - this.#reservedBytes;
  }

  /** Number of live stores drawing on this budget. */
  get stores(): number {
    return this.#stores;
  }

  /** Reserves `bytes` if they fit under `maxBytes`; returns whether they did. */
  tryReserve(bytes: number): boolean {
    if (this.#reservedBytes + bytes > this.#maxBytes) return false;
    this.#reservedBytes += bytes;
    return true;
  }

  /** Gives back `bytes` reserved earlier. */
  release(bytes: number): void {
    this.#reservedBytes -= bytes;
  }

  /**
   * Makes `bytes` available to `requester` by taking memory from the other members, largest
   * first: each gives back its own coldest chunk, while it holds more than `requester` would
   * after receiving `bytes`. Returns whether `bytes` are now available. The members' eviction
   * runs synchronously inside the requester's call; a member never takes from another while
   * giving back.
   */
  reclaimFor(requester: BudgetMember, bytes: number): boolean {
    if (this.#reclaiming) return false;
    this.#reclaiming = true;
    let exhausted: Set<BudgetMember> | undefined;
    try {
      while (this.availableBytes < bytes) {
        const floor = requester.reservedBytes + bytes;
        let victim: BudgetMember | undefined;
        for (const ref of this.#members) {
          const member = ref.deref();
          if (member === undefined) {
            this.#members.delete(ref);
            continue;
          }
          if (member === requester || exhausted?.has(member) === true) continue;
          const held = member.reservedBytes;
          if (held > floor && (victim === undefined || held > victim.reservedBytes)) {
            victim = member;
          }
        }
        if (victim === undefined) return false;
        if (victim.giveBack() === 0) {
          exhausted ??= new Set();
          exhausted.add(victim);
        }
      }
      return true;
    } finally {
      this.#reclaiming = false;
    }
  }

  /**
   * Lets `member` give memory back to other stores on this budget (called by the store); the
   * returned reference is what {@link leave} takes.
   */
  join(member: BudgetMember): WeakRef<BudgetMember> {
    const members = this.#members;
    if (members.size >= this.#pruneAt) {
      // Stores dropped without close(): forget them, at a cost amortised over the joins.
      for (const ref of members) if (ref.deref() === undefined) members.delete(ref);
      this.#pruneAt = Math.max(64, members.size * 2);
    }
    const ref = new WeakRef(member);
    members.add(ref);
    return ref;
  }

  /** Removes a member added by {@link join} (called when the store closes). */
  leave(ref: WeakRef<BudgetMember>): void {
    this.#members.delete(ref);
  }

  /** Counts a store that draws on this budget (called by the store). */
  attachStore(): void {
    this.#stores++;
  }

  /** Uncounts a store that was closed or collected (called by the store's registry entry). */
  detachStore(): void {
    this.#stores--;
  }

  /** The budget's figures as a frozen object. */
  snapshot(): MemoryBudgetSnapshot {
    return Object.freeze({
      name: this.name,
      maxBytes: this.#maxBytes,
      reservedBytes: this.#reservedBytes,
      stores: this.#stores,
    });
  }
}

let processBudget: MemoryBudget | undefined;

/**
 * The process budget every store uses unless given `budget`: created on first use, sized by
 * {@link defaultMemoryLimit}.
 */
export function defaultMemoryBudget(): MemoryBudget {
  processBudget ??= new MemoryBudget({ maxBytes: defaultMemoryLimit(), name: 'process' });
  return processBudget;
}

/**
 * The default process budget in bytes: `TIERCACHE_MEMORY_LIMIT` when set (bytes or a size with a
 * unit; anything else throws `InvalidOptionError`), otherwise {@link DEFAULT_MEMORY_FRACTION} of
 * the smaller of the machine's memory and the cgroup's memory limit.
 */
export function defaultMemoryLimit(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[MEMORY_LIMIT_ENV];
  if (text !== undefined && text.trim() !== '') {
    const bytes = parseBytes(text);
    if (bytes === undefined) {
      throw new InvalidOptionError(
        MEMORY_LIMIT_ENV,
        `expected a byte size such as 536870912, 512MiB, 2GiB or 1.5GB, got ${JSON.stringify(text)}`,
      );
    }
    return bytes;
  }
  return Math.floor(systemMemory() * DEFAULT_MEMORY_FRACTION);
}

/** The memory this process may use: the machine's, or the cgroup limit when lower. */
function systemMemory(): number {
  const machine = totalmem();
  const limit = cgroupLimit();
  return limit !== undefined && limit > 0 && limit < machine ? limit : machine;
}

function cgroupLimit(): number | undefined {
  // process.constrainedMemory() reads the same files, but is experimental in Node 20 and returns
  // 0 or a huge sentinel when unconstrained.
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const value = Number(readFileSync(file, 'utf8').trim());
      if (Number.isSafeInteger(value) && value > 0) return value;
    } catch {
      // absent or "max": not limited by this cgroup version
    }
  }
  return undefined;
}
