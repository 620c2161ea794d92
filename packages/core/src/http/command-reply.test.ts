import { describe, expect, it } from 'vitest';
import { preferredWait } from './command-reply.ts';

describe('Prefer: wait', () => {
  it('reads the seconds asked for', () => {
    expect(preferredWait('wait=5')).toBe(5);
    expect(preferredWait('respond-async, wait=10')).toBe(10);
  });

  it('caps long waits and ignores other preferences', () => {
    expect(preferredWait('wait=600')).toBe(30);
    expect(preferredWait('return=minimal')).toBeUndefined();
    expect(preferredWait(undefined)).toBeUndefined();
  });
});
