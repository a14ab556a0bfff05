/**
 * The memory budget that stores share: a byte counter with a hard maximum. A store reserves from
 * its budget before it allocates a chunk or an index table and releases when it frees one, so the
 * sum of `reservedBytes` over every store on a budget never exceeds the budget's `maxBytes`.
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

/** A shared byte allowance: stores reserve from it before allocating and release when freeing. */
export class MemoryBudget {
  readonly name: string;
  readonly #maxBytes: number;
  #reservedBytes = 0;
  #stores = 0;

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
