// A NumberedStringSet (the thread index's id table, in memory or on disk) held to a Map: adds and
// finds in the order given, then every string back by its number and every number by its string.
import fc from 'fast-check';
import { expect } from 'vitest';
import { hashOf, type NumberedStringSet } from '../../src/mail/packed-ids.js';

/** Two ids with the same 32-bit hash (hashOf): a birthday search among 300,000 such strings (the first pair at i = 133,431) */
export function idsOfOneHash(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; i < 300_000; i++) {
    const s = `${(Math.imul(i, 2654435761) >>> 0).toString(36)}@h`;
    const h = hashOf(s);
    const other = seen.get(h);
    if (other !== undefined) return [other, s];
    seen.set(h, s);
  }
  throw new Error('no two of 300,000 ids share a hash');
}

/** Message-ID-like strings: the given ones (each table's own edge cases), any UTF-16, graphemes, binary, list-style ids */
export function idLikeStrings(edgeCases: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...edgeCases),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.integer({ min: 0, max: 300 }).map((n) => `<${n}.${'abc'.repeat(n % 7)}@list.example>`),
  );
}

/** ops: [true, s] adds s, [false, s] looks it up */
export function expectNumberedLikeMap(set: NumberedStringSet, ops: ReadonlyArray<readonly [boolean, string]>): void {
  const ref = new Map<string, number>();
  for (const [add, s] of ops) {
    if (add) {
      if (!ref.has(s)) ref.set(s, ref.size);
      expect(set.add(s)).toBe(ref.get(s));
    } else expect(set.find(s)).toBe(ref.get(s) ?? -1);
  }
  expect(set.size).toBe(ref.size);
  for (const [s, n] of ref) {
    expect(set.get(n)).toBe(s);
    expect(set.find(s)).toBe(n);
  }
}

/** 200,000 ids added in order get 0..199,999, and a sample of them reads back both ways (chunks, pages and tables growing on the way). */
export function expectManyIdsNumbered(set: NumberedStringSet): void {
  const id = (i: number): string => `<${i}.${(i * 2654435761) >>> 0}@${i % 3 === 0 ? 'a' : 'bb'}.example.org>`;
  let wrong = 0;
  for (let i = 0; i < 200_000; i++) if (set.add(id(i)) !== i) wrong++;
  expect(wrong).toBe(0);
  for (let i = 0; i < 200_000; i += 997) {
    expect(set.get(i)).toBe(id(i));
    expect(set.find(id(i))).toBe(i);
    expect(set.add(id(i))).toBe(i);
  }
  expect(set.find(id(200_000))).toBe(-1);
  expect(set.size).toBe(200_000);
}
