import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coveringPrefix, coveringPrefixOfQuads } from '../src/correlate/prefix.js';

const quad = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

describe('coveringPrefixOfQuads', () => {
  it('is coveringPrefix of the two addresses as strings', () => {
    // pairs that share 0-4 leading bytes, so every step (/32, /24, /16 and the /16 fallback) is met
    const pair = fc.tuple(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 4 }), fc.nat({ max: 0xffffffff })).map(([a, shared, r]) => {
      const mask = shared === 0 ? 0 : shared === 4 ? 0xffffffff : (0xffffffff << (32 - shared * 8)) >>> 0;
      const b = ((a & mask) | (r & ~mask)) >>> 0;
      return a <= b ? [a, b] : [b, a];
    });
    fc.assert(
      fc.property(pair, ([low, high]) => {
        expect(coveringPrefixOfQuads(low!, high!)).toBe(coveringPrefix([quad(low!), quad(high!)]));
      }),
      { numRuns: 2000 },
    );
    expect(coveringPrefixOfQuads(0x82430000, 0x8243ffff)).toBe('130.67.0.0/16');
    expect(coveringPrefixOfQuads(0x0a000001, 0x0a000001)).toBe('10.0.0.1/32');
    expect(coveringPrefixOfQuads(0x0a000001, 0x0b000001)).toBe('10.0.0.0/16');
  });
});
