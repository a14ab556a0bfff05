/**
 * The Theil–Sen slope of `ys` over `xs`: the median of the slopes between every pair of
 * points. Unlike least squares it ignores up to ~29% outliers, so one GC drop or one spike does
 * not swing the trend. O(n²) pairs: meant for windows of tens of samples. Returns 0 for fewer
 * than two distinct x values.
 */
export function theilSenSlope(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}
