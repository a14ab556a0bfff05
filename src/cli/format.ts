/**
 * Formats bytes in the project's one convention, 1024-based with IEC names: `B`, `KiB`, `MiB`,
 * `GiB` (the dashboard and the docs use the same).
 */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB']) {
    if (value < 1024 || unit === 'GiB') {
      return `${sign}${unit === 'B' ? value.toFixed(0) : value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
    }
    value /= 1024;
  }
  return `${sign}${value}`;
}

/** Formats a value of a pprof sample unit (`bytes`, `nanoseconds`, `count`). */
export function formatValue(value: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'nanoseconds') {
    const ms = value / 1e6;
    return Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(ms < 10 ? 2 : 0)}ms`;
  }
  return String(Math.round(value));
}

/** Formats a share as go pprof does, e.g. `12.34%`. */
export function formatPercent(part: number, total: number): string {
  if (total === 0) return '0%';
  const p = (100 * part) / total;
  return `${Math.abs(p) >= 100 ? p.toFixed(0) : p.toFixed(2)}%`;
}

/** Milliseconds, two decimals below 10 ms. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 2 : 1)}ms`;
}

/** Right-aligns `cells` into columns of the given widths (a negative width left-aligns). */
export function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => {
      const w = widths[i] ?? 0;
      return w < 0 ? cell.padEnd(-w) : cell.padStart(w);
    })
    .join(' ')
    .trimEnd();
}
