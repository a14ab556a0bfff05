/**
 * Parses human byte sizes (`1048576`, `512MiB`, `2GiB`, `1.5GB`, `64k`) as used by the
 * `TIERCACHE_MEMORY_LIMIT` environment variable.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i;

/**
 * Parses a byte size: a plain integer, or a number with a unit (`B`, `KB`/`MB`/`GB`/`TB` powers
 * of 1000, `KiB`/`MiB`/`GiB`/`TiB` and the bare `k`/`m`/`g`/`t` powers of 1024), case-insensitive.
 * Returns `undefined` when the text is not a positive size.
 */
export function parseBytes(text: string): number | undefined {
  const match = PATTERN.exec(text);
  if (match === null) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
