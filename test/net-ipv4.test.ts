import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { decimalQuadBytes, decimalQuadValue, isDecimalQuad, paddedQuadBytes } from '../src/net/ipv4.js';

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

describe('decimalQuadValue', () => {
  it('is decimalQuadBytes as one unsigned number, -1 where that is null', () => {
    expect(decimalQuadValue('130.67.240.225')).toBe(((130 * 256 + 67) * 256 + 240) * 256 + 225);
    expect(decimalQuadValue('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(decimalQuadValue('0.0.0.0')).toBe(0);
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '007', 'x', '', ' 1'));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const s = parts.join('.');
        const bytes = decimalQuadBytes(s);
        expect(decimalQuadValue(s)).toBe(bytes === null ? -1 : bytes.reduce((v, b) => v * 256 + b, 0));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('paddedQuadBytes', () => {
  it('also reads parts with leading zeros, and nothing else', () => {
    expect(paddedQuadBytes('10.0.01.2')).toEqual([10, 0, 1, 2]);
    expect(paddedQuadBytes('010.000.001.255')).toEqual([10, 0, 1, 255]);
    for (const bad of ['256.1.1.1', '1.2.3.0001', '1.2.3', '1..2.3', '10.0.x.2', '1.2.3.4 ']) expect(paddedQuadBytes(bad)).toBeNull();
  });

  it('is four parts of 1-3 digits, each at most 255, on random dotted strings', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '007', '0255', 'x', ''));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const s = parts.join('.');
        const ok = parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
        expect(paddedQuadBytes(s)).toEqual(ok ? parts.map(Number) : null);
      }),
      { numRuns: 5000 },
    );
  });
});
