/**
 * The one place constructor options are checked, so every option of the library fails the same
 * way: an `InvalidOptionTypeError` (wrong type) or `InvalidOptionError` (out of range, unknown)
 * with code `TIERCACHE_INVALID_OPTION`, naming the option, and worded "expected …, got …".
 * Unknown options are refused with the closest known name (`loader` → "did you mean `load`?"),
 * which is what catches a typo in plain JavaScript.
 *
 * @module
 */
import { InvalidOptionError, InvalidOptionTypeError } from './errors.ts';

/** The largest delay a Node timer accepts, in ms (2^31 - 1); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A value as an error message shows it: `"text"`, `null`, `an array`, `number NaN`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * Checks that `options` is a plain options object holding only `known` names, and returns it as a
 * record; `undefined` reads as `{}`. `owner` names the constructor in messages (`TieredCache`).
 */
export function checkOptionsObject(
  owner: string,
  options: unknown,
  known: ReadonlySet<string>,
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionTypeError(
      'options',
      `expected an object of ${owner} options, got ${describeValue(options)}`,
    );
  }
  const record = options as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (known.has(name)) continue;
    const closest = closestName(name, known);
    const hint = closest === undefined ? '' : `did you mean \`${closest}\`? `;
    throw new InvalidOptionTypeError(
      name,
      `unknown ${owner} option; ${hint}(known: ${[...known].join(', ')})`,
    );
  }
  return record;
}

/**
 * The known name closest to `name` by edit distance (case-insensitive), when close enough to be a
 * plausible typo: at most a third of the longer name's length, and at least 2 edits allowed.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(2, Math.floor(Math.max(name.length, best.length) / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions), two rows of memory. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/** Bounds of a numeric option. */
export interface NumberBounds {
  /** Smallest accepted value. @default -Infinity */
  min?: number;
  /** Largest accepted value. @default Infinity (finite values only) */
  max?: number;
  /** Only whole numbers (safe integers). @default false */
  integer?: boolean;
  /** Unit shown in messages: `ms`, `bytes`. */
  unit?: string;
}

/** A finite number within `bounds`, or `fallback` when `value` is undefined. */
export function numberOption(
  option: string,
  value: unknown,
  fallback: number,
  bounds: NumberBounds = {},
): number {
  if (value === undefined) return fallback;
  const {
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
    integer = false,
  } = bounds;
  if (typeof value !== 'number') {
    throw new InvalidOptionTypeError(
      option,
      `expected ${expectation(bounds)}, got ${describeValue(value)}`,
    );
  }
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isSafeInteger(value))
  ) {
    throw new InvalidOptionError(option, `expected ${expectation(bounds)}, got ${value}`);
  }
  return value;
}

/** A whole number of milliseconds from `min` to {@link MAX_TIMER_MS} (what timers and Redis `PX` accept). */
export function durationOption(option: string, value: unknown, fallback: number, min = 0): number {
  return numberOption(option, value, fallback, {
    min,
    max: MAX_TIMER_MS,
    integer: true,
    unit: 'ms',
  });
}

/** A whole number from `min` to `max`. */
export function integerOption(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
  unit?: string,
): number {
  return numberOption(option, value, fallback, { min, max, integer: true, unit });
}

/** A fraction from 0 to 1. */
export function fractionOption(option: string, value: unknown, fallback: number): number {
  return numberOption(option, value, fallback, { min: 0, max: 1 });
}

/** `true` or `false`. */
export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidOptionTypeError(option, `expected true or false, got ${describeValue(value)}`);
  }
  return value;
}

/** A string (non-empty when `nonEmpty`). */
export function stringOption(
  option: string,
  value: unknown,
  fallback: string,
  nonEmpty = false,
): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') {
    throw new InvalidOptionTypeError(option, `expected a string, got ${describeValue(value)}`);
  }
  if (nonEmpty && value === '') {
    throw new InvalidOptionError(option, 'expected a non-empty string, got ""');
  }
  return value;
}

/** A function, or `undefined` when not given. */
export function functionOption<F extends (...args: never[]) => unknown>(
  option: string,
  value: unknown,
): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new InvalidOptionTypeError(option, `expected a function, got ${describeValue(value)}`);
  }
  return value as F;
}

/** One of `allowed` (a string option with a fixed set of values). */
export function oneOfOption<T extends string>(
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  const message = `expected ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describeValue(value)}`;
  if (typeof value === 'string') throw new InvalidOptionError(option, message);
  throw new InvalidOptionTypeError(option, message);
}

function expectation({ min, max, integer, unit }: NumberBounds): string {
  const kind = integer ? 'a whole number' : 'a finite number';
  const of = unit ? ` of ${unit}` : '';
  const hasMin = min !== undefined && Number.isFinite(min);
  const hasMax = max !== undefined && Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return `${kind}${of} from ${min} to ${max}`;
  if (hasMin) return `${kind}${of} >= ${min}`;
  if (hasMax) return `${kind}${of} <= ${max}`;
  return `${kind}${of}`;
}
