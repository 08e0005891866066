import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { decimalQuadBytes, isDecimalQuad } from '../src/net/ipv4.js';

describe('decimalQuadBytes', () => {
  it('reads strict dotted quads and nothing else', () => {
    expect(decimalQuadBytes('130.67.240.225')).toEqual([130, 67, 240, 225]);
    expect(decimalQuadBytes('0.0.0.0')).toEqual([0, 0, 0, 0]);
    for (const bad of ['10.0.01.2', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', 'a.b.c.d', ' 1.2.3.4', '1.2.3.4 ', '']) {
      expect(decimalQuadBytes(bad)).toBeNull();
    }
  });

  it('agrees with ipaddr.js on random dotted strings', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '007', 'x', ''));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const s = parts.join('.');
        expect(isDecimalQuad(s)).toBe(ipaddr.IPv4.isValidFourPartDecimal(s));
      }),
      { numRuns: 5000 },
    );
  });
});
