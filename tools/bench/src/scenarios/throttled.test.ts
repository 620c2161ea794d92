import { partitionOf } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { balancedIds } from './throttled.ts';

describe('the throttled rows’ streams', () => {
  it('give every feed partition the same number of streams, each once', () => {
    for (const partitions of [1, 2, 4, 8, 16]) {
      const ids = balancedIds(partitions, 20);
      expect(new Set(ids).size).toBe(partitions * 20);
      const perPartition = new Array<number>(partitions).fill(0);
      for (const id of ids) perPartition[partitionOf(`counter-${id}`, partitions)]!++;
      expect(perPartition).toEqual(new Array<number>(partitions).fill(20));
    }
  });
});
