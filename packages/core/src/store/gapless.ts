/**
 * The last position of a gapless prefix 1..N (feed seqs, a partition's keyed commits),
 * from a position known to exist: whether position k exists says which side of N it is
 * on, so doubling steps and then halving find N in about 2 log2(N - known) point reads.
 */
export async function lastOfPrefix(known: number, exists: (position: number) => Promise<boolean>, firstStep = 1000): Promise<number> {
  let low = known;
  let step = firstStep;
  let high = low + step;
  while (await exists(high)) {
    low = high;
    step *= 2;
    high = low + step;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await exists(middle)) low = middle;
    else high = middle;
  }
  return low;
}
