import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff } from '../../src/backoff.js';

describe('backoff schedule', () => {
  it('doubles from 500 ms up to the 30 s cap without jitter', () => {
    const noJitter = { ...defaultBackoff, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, noJitter))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('jitters down by at most the jitter share', () => {
    expect(backoffDelay(2, defaultBackoff, () => 0)).toBe(2000);
    expect(backoffDelay(2, defaultBackoff, () => 0.999999)).toBe(1000);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
    for (const delay of spread) expect(delay).toBeGreaterThanOrEqual(2000), expect(delay).toBeLessThanOrEqual(4000);
    expect(spread.size).toBeGreaterThan(1);
  });
});
