// The spill's per-observation files behind a bounded cache of blocks (PagedInt32Column, src/mail/paged-file.ts), and what is
// kept in them: the observation ids (IdTable) and the record lengths of a RecordFile. Each is held
// to a plain array written and read the same way, with blocks small enough that the cache evicts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstOfEqualKeysInFile, hash96, IdTable, Int32File, RecordFile, valuesInBoth } from '../src/analyze/spill-store.js';
import { PagedInt32Column } from '../src/mail/paged-file.js';

let work: string;
let files = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'listwatch-block-file-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const nextPath = (): string => join(work, `f${files++}.bin`);

type Op = { kind: 'push'; v: number } | { kind: 'set'; at: number; v: number } | { kind: 'get'; at: number };

describe('PagedInt32Column in the spill', () => {
  it('reads back what was pushed and set, in order and at random, through a cache that evicts', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
      fc.record({ kind: fc.constant('get' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 2, 4), (ops, bits, slots) => {
        const file = new PagedInt32Column(nextPath(), { pageBits: bits + 2, cachePages: slots });
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            expect(file.push(o.v)).toBe(model.length);
            model.push(o.v);
          } else if (model.length > 0) {
            const at = o.at % model.length;
            if (o.kind === 'set') {
              file.set(at, o.v);
              model[at] = o.v;
            } else expect(file.get(at)).toBe(model[at]);
          }
        }
        expect(file.length).toBe(model.length);
        for (let i = 0; i < model.length; i++) expect(file.get(i)).toBe(model[i]);
        for (let i = model.length - 1; i >= 0; i--) expect(file.get(i)).toBe(model[i]);
        file.close();
      }),
      { numRuns: 300 },
    );
  });

  it('holds lengths that do not divide the block, one element, none, and an unnamed file', () => {
    for (const n of [0, 1, 15, 16, 17, 1000, 4097]) {
      const file = n === 1000 ? new PagedInt32Column(undefined, { pageBits: 6, cachePages: 2 }) : new PagedInt32Column(nextPath(), { pageBits: 6, cachePages: 2 });
      for (let i = 0; i < n; i++) file.push(i * 7 - 3);
      expect(file.length).toBe(n);
      // every value, after the cache has let go of the first blocks
      for (let i = 0; i < n; i++) expect(file.get(i)).toBe(i * 7 - 3);
      file.close();
    }
  });

  it('reads a block never written back as zeros where nothing was set, not what a slot held before', () => {
    const file = new PagedInt32Column(nextPath(), { pageBits: 4, cachePages: 1 });
    for (let i = 0; i < 4; i++) file.push(100 + i);
    // block 2 is set before block 1 was ever written: the slot held block 0, then block 2
    file.set(9, 5);
    expect(file.get(8)).toBe(0);
    expect(file.get(0)).toBe(100);
    expect(file.get(4)).toBe(0);
    expect(file.get(9)).toBe(5);
    expect(file.get(11)).toBe(0);
    file.close();
    expect(() => file.get(0)).toThrow();
  });
});

describe('IdTable on disk', () => {
  it('gives every id back, in order and at random, past its cache, with ids not packed among them', () => {
    const ids = new IdTable(nextPath());
    const model: string[] = [];
    const hex = (k: number): string => (k >>> 0).toString(16).padStart(8, '0');
    for (let i = 0; i < 300_001; i++) {
      const id = i % 9973 === 5 ? `odd-${i}` : i % 50_000 === 0 ? `obs-${hex(i)}${hex(i)}`.toUpperCase() : `obs-${hex(Math.imul(i, 2654435761))}${hex(i)}`;
      ids.push(id);
      model.push(id);
    }
    expect(ids.length).toBe(model.length);
    for (let i = 0; i < model.length; i += 7) expect(ids.get(i)).toBe(model[i]);
    let x = 12345;
    const buf = Buffer.alloc(32);
    for (let k = 0; k < 20_000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const i = x % model.length;
      expect(ids.get(i)).toBe(model[i]);
      const end = ids.writeJson(i, buf, 3);
      if (end < 0) expect((model[i] as string).startsWith('obs-') && /^obs-[0-9a-f]{16}$/.test(model[i] as string)).toBe(false);
      else expect(buf.toString('utf8', 3, end)).toBe(JSON.stringify(model[i]));
    }
    for (const i of [5, 9978, 0, 50_000, 300_000, 299_999]) expect(ids.get(i)).toBe(model[i]);
    ids.close();
  });
});

describe('RecordFile with its lengths on disk', () => {
  it('finds records by index and reads them in order past the lengths cache', () => {
    const file = new RecordFile(nextPath());
    const n = 140_000;
    const rec = (i: number): string => 'r'.repeat(i % 13) + String(i);
    for (let i = 0; i < n; i++) file.appendString(rec(i));
    file.finishWrites();
    expect(file.count).toBe(n);
    let x = 7;
    for (let k = 0; k < 3000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const i = x % n;
      expect(file.read(i).toString('utf8')).toBe(rec(i));
    }
    let i = 0;
    for (const s of file.strings()) expect(s).toBe(rec(i++));
    expect(i).toBe(n);
    file.close();
  });
});

describe('firstOfEqualKeysInFile into a block file', () => {
  it('writes the answers the array gets, across part bounds, through a cache that evicts', () => {
    const k = new Int32Array(3);
    // 32K keys a part: one part, two, three
    for (const n of [0, 1, 2, 1000, 32_769, 65_539]) {
      const keys = new Int32File(nextPath());
      for (let i = 0; i < n; i++) {
        // runs of equal keys, repeats from far back, first lanes shared by different keys
        const id = i % 9 === 4 ? ((i * 7) % (i + 1)) >> 3 : i >> 3;
        hash96(`k${id}`, 1, k);
        if (id % 101 === 5) k[0] = 12345 << 4;
        keys.append(k, 3);
      }
      const want = firstOfEqualKeysInFile(keys, n, new Int32Array(n).fill(-7));
      const got = firstOfEqualKeysInFile(keys, n, new PagedInt32Column(nextPath(), { pageBits: 7, cachePages: 4 }));
      let wrong = 0;
      let repeats = 0;
      for (let i = 0; i < n; i++) {
        if (got.get(i) !== want[i]) wrong++;
        if (want[i] !== i) repeats++;
      }
      expect(wrong, `n=${n}`).toBe(0);
      if (n > 1000) expect(repeats).toBeGreaterThan(n / 2);
      got.close();
      keys.close();
    }
  });
});

describe('valuesInBoth', () => {
  const fileOf = (values: number[]): Int32File => {
    const file = new Int32File(nextPath());
    for (const v of values) file.append(Int32Array.of(v), 1);
    return file;
  };
  const oracle = (a: number[], b: number[]): number[] => {
    const inB = new Set(b);
    return [...new Set(a.filter((v) => inB.has(v)))].sort((x, y) => x - y);
  };

  it('gives the distinct values of both files, ascending, with parts far smaller than the files', () => {
    const value = fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31)));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.array(value, { maxLength: 300 }), fc.constantFrom(1, 3, 16, 1 << 18), (a, b, part) => {
        const fa = fileOf(a);
        const fb = fileOf(b);
        expect(Array.from(valuesInBoth(fa, fb, part))).toEqual(oracle(a, b));
        fa.close();
        fb.close();
      }),
      { numRuns: 300 },
    );
  });

  it('holds a part far larger than its share (values with the same low bits), none, and one', () => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 5000; i++) {
      a.push(i << 8);
      b.push((i * 3) << 8, i * 7 + 1);
    }
    const fa = fileOf(a);
    const fb = fileOf(b);
    expect(Array.from(valuesInBoth(fa, fb, 64))).toEqual(oracle(a, b));
    expect(valuesInBoth(fileOf([]), fb, 64).length).toBe(0);
    expect(valuesInBoth(fa, fileOf([]), 64).length).toBe(0);
    expect(Array.from(valuesInBoth(fileOf([7]), fileOf([7]), 64))).toEqual([7]);
    fa.close();
    fb.close();
  });
});
