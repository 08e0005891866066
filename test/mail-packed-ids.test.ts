// The packed id table (src/mail/packed-ids.ts) against a Map: the same numbers, the same strings back,
// for ids short and long, empty, non-ASCII, many (its chunks fill and its table grows) and two with
// the same 32-bit hash (told apart by their characters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashOf, PackedStrings } from '../src/mail/packed-ids.js';
import { expectManyIdsNumbered, expectNumberedLikeMap, idLikeStrings, idsOfOneHash } from './helpers/numbered-strings.js';

const idLike = idLikeStrings(['', 'a', '<1@x>', '<1@X>', 'é', '<ü@example.org>', 'x'.repeat(1024), 'x'.repeat(1025), '\u{1F600}']);

describe('PackedStrings', () => {
  it('numbers strings as a Map would and gives them back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), idLike), { maxLength: 300 }), (ops) => {
        const packed = new PackedStrings();
        expectNumberedLikeMap(packed, ops);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps 200,000 ids across its chunks and table growth', () => {
    const packed = new PackedStrings();
    expectManyIdsNumbered(packed);
  });

  it('tells apart two ids with the same hash', () => {
    const [a, b] = idsOfOneHash();
    expect(hashOf(a)).toBe(hashOf(b));
    const packed = new PackedStrings();
    expect(packed.add(a)).toBe(0);
    expect(packed.find(b)).toBe(-1);
    expect(packed.add(b)).toBe(1);
    expect(packed.get(0)).toBe(a);
    expect(packed.get(1)).toBe(b);
    expect(packed.find(a)).toBe(0);
    expect(packed.find(b)).toBe(1);
  });
});
