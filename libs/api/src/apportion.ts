/**
 * Splits `count` into whole shares proportional to `weights` (largest remainder), each share at
 * most its weight: the split of a sample over partitions by their vector counts. The shares sum
 * to min(count, sum of weights).
 */
export function apportion(count: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= count) return [...weights];
  const exact = weights.map((w) => (w * count) / total);
  const shares = exact.map(Math.floor);
  let left = count - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left === 0) break;
    shares[i]++;
    left--;
  }
  return shares;
}
