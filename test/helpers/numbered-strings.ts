// A NumberedStringSet (the thread index's id table, in memory or on disk) held to a Map: adds and
// finds in the order given, then every string back by its number and every number by its string.
import { expect } from 'vitest';
import type { NumberedStringSet } from '../../src/mail/packed-ids.js';

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
