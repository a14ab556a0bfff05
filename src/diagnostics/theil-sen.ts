/**
 * The Theil–Sen slope of `ys` over `xs`: the median of the slopes between every pair of
 * points. Unlike least squares it ignores up to ~29% outliers, so one GC drop or one spike does
 * not swing the trend. O(n²) pairs: meant for windows of tens to a few hundred samples. Returns
 * 0 for fewer than two distinct x values.
 */
export function theilSenSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  // A typed array sorts numerically without a comparator callback: several times faster than
  // Array#sort on the ~n²/2 slopes, which is what keeps a 500-sample window cheap.
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes[count++] = (ys[j]! - ys[i]!) / dx;
    }
  }
  if (count === 0) return 0;
  const sorted = slopes.subarray(0, count).sort();
  const mid = count >> 1;
  return count % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
