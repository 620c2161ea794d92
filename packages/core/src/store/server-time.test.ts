import { describe, expect, it } from 'vitest';
import { ServerTime } from './server-time.ts';

const at = (ms: number) => new Date(ms).toUTCString();

describe('ServerTime', () => {
  it('is the process clock before any answer and while the two agree within the tolerance', () => {
    let local = Date.UTC(2026, 0, 1, 12);
    const time = new ServerTime(() => local);
    expect(time.now()).toBe(local);
    for (let i = 0; i < 5; i++) time.observe(at(local - 800), local - 10, local);
    expect(time.offsetMs).toBe(0);
    local += 1000;
    expect(time.now()).toBe(local);
  });

  it("follows the service's clock when the process's runs 70 s ahead, from the median answer", () => {
    const local = Date.UTC(2026, 0, 1, 12, 1, 10, 250);
    const time = new ServerTime(() => local);
    const server = local - 70_000;
    for (let i = 0; i < 4; i++) time.observe(at(server), local - 4, local);
    // One answer held up for 30 s (a slow network) does not move it.
    time.observe(at(server - 30_000), local - 30_004, local);
    expect(Math.abs(time.now() - server)).toBeLessThanOrEqual(1000);
  });

  it('ignores answers without a readable Date', () => {
    const time = new ServerTime(() => 5_000_000);
    time.observe(undefined, 0, 0);
    time.observe('not a date', 0, 0);
    expect(time.offsetMs).toBe(0);
  });
});
