import { describe, expect, it } from 'vitest';
import { percentile } from '../src/index.js';

describe('percentile (nearest rank)', () => {
  it('is null for no values', () => {
    expect(percentile([], 0.5)).toBeNull();
  });

  it('takes the value at rank ceil(q * n)', () => {
    const v = [10, 20, 30, 40];
    expect(percentile(v, 0.5)).toBe(20);
    expect(percentile(v, 0.51)).toBe(30);
    expect(percentile(v, 0.95)).toBe(40);
    expect(percentile(v, 1)).toBe(40);
  });

  it('clamps q at the ends to the smallest and largest value', () => {
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([1, 2, 3], -1)).toBe(1);
    expect(percentile([1, 2, 3], 2)).toBe(3);
  });

  it('never interpolates: every answer is one of the values', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (let q = 0; q <= 1; q += 0.05) expect(v).toContain(percentile(v, q));
    expect(percentile(v, 0.9)).toBe(9);
  });
});
