import { describe, expect, it } from 'vitest';
import { childOf, currentTraceparent, formatTraceparent, parseTraceparent, withTrace } from './trace-context.ts';

describe('W3C trace context', () => {
  it('reads a traceparent as the specification says', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    for (const bad of [
      undefined,
      '',
      'garbage',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', // version 00 has four fields
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case is invalid
      `00-${'a'.repeat(600)}`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
    // A later version may add fields: read the four it knows.
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it("makes a child in the parent's trace with its sampling, or a new unsampled trace", () => {
    const parent = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')!;
    const child = childOf(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.flags).toBe('01');
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(parent.spanId);
    const root = childOf(undefined);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.flags).toBe('00');
  });

  it('gives what runs in a scope its trace, across awaits, and a new trace outside any', async () => {
    const span = childOf(undefined);
    const inside = await withTrace(span, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return currentTraceparent();
    });
    expect(inside).toBe(formatTraceparent(span));
    expect(currentTraceparent()).not.toBe(formatTraceparent(span));
  });
});
