// The thread index's storage on disk (src/mail/paged-file.ts, src/mail/paged-strings.ts): arrays
// behind a few cached pages, and the id table behind them, against in-memory references, with caches
// of one or two pages so every access past a page evicts (and writes back) another; and the thread
// index kept in files answering as the in-memory one, on random posts and on the crafted chains it
// guards against.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hashOf } from '../src/mail/packed-ids.js';
import { PagedFile, PagedFloat64Column, PagedInt32Column } from '../src/mail/paged-file.js';
import { PagedStrings } from '../src/mail/paged-strings.js';
import { ThreadIndex } from '../src/mail/thread.js';
import { ReferenceThreadIndex, threadPosts } from './helpers/thread-reference.js';
import { expectManyIdsNumbered, expectNumberedLikeMap, idLikeStrings, idsOfOneHash } from './helpers/numbered-strings.js';

const root = mkdtempSync(join(tmpdir(), 'listwatch-paged-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
const fresh = (): string => join(root, `f${made++}`);
const freshDir = (): string => mkdtempSync(join(root, 'd'));

describe('PagedInt32Column', () => {
  it('holds what an array holds across pages, with one page cached (each other page evicted and written back)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer().map((v) => ({ push: v })), fc.tuple(fc.nat(), fc.integer()).map(([i, v]) => ({ set: i, v })), fc.nat().map((i) => ({ get: i }))), { maxLength: 300 }),
        fc.constantFrom(1, 2),
        fc.constantFrom(0, -0x80000000, 7),
        (ops, pages, fill) => {
          const col = new PagedInt32Column(fresh(), { cachePages: pages, fill });
          const ref: number[] = [];
          // spread over many pages: each op's index scaled past a page (1,024 ints)
          const spread = (i: number, n: number): number => ((i % n) * 1031) % (n * 1031);
          for (let k = 0; k < 3000; k++) col.push(k * 3 - 5000);
          for (let k = 0; k < 3000; k++) ref.push(k * 3 - 5000);
          for (const op of ops) {
            if ('push' in op) {
              col.push(op.push);
              ref.push(op.push);
            } else if ('set' in op) {
              const i = spread(op.set, ref.length) % ref.length;
              col.set(i, op.v);
              ref[i] = op.v;
            } else {
              const i = op.get % ref.length;
              expect(col.get(i)).toBe(ref[i]);
            }
          }
          expect(col.length).toBe(ref.length);
          for (let i = 0; i < ref.length; i++) if (col.get(i) !== ref[i]) expect([i, col.get(i)]).toEqual([i, ref[i]]);
          col.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a slot never written as its fill, also on a page written back and read again', () => {
    const col = new PagedInt32Column(fresh(), { cachePages: 1, fill: -0x80000000 });
    col.set(5000, 42);
    // page 0 never held anything; page 4 (ints 4096..5119) was evicted by page 0 and read back
    expect(col.get(10)).toBe(-0x80000000);
    expect(col.get(5000)).toBe(42);
    expect(col.get(5001)).toBe(-0x80000000);
    col.close();
  });

  it('removes its file when closed and refuses a page it no longer has', () => {
    const dir = freshDir();
    const col = new PagedInt32Column(join(dir, 'c'), { cachePages: 1 });
    for (let i = 0; i < 5000; i++) col.push(i);
    expect(readdirSync(dir)).toEqual(['c']);
    col.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(() => col.get(0)).toThrow(/closed/);
    // the page that was still cached when it closed too
    expect(() => col.get(4999)).toThrow(/closed/);
  });

  it('addresses values past 4 GB of file (a sparse file), not wrapped onto the first pages', () => {
    const col = new PagedInt32Column(fresh(), { cachePages: 1 });
    // 4 GB past element 3: wrapped at 32 bits, both would land on the same byte of page 0
    const far = 2 ** 30 + 3;
    col.set(3, 11);
    col.set(far, 22);
    col.set(far + 1024, 33); // another page: the one above is written back
    expect(col.get(3)).toBe(11);
    expect(col.get(far)).toBe(22);
    expect(col.get(far + 1024)).toBe(33);
    col.close();
  });
});

describe('PagedFloat64Column', () => {
  it('gives back every double pushed, across pages, with one cached', () => {
    const col = new PagedFloat64Column(fresh(), { cachePages: 1 });
    const values = [Number.POSITIVE_INFINITY, -0, Number.NaN, 1e300, 998_000_000_000.5];
    for (let i = 0; i < 5000; i++) col.push(values[i % values.length] as number);
    for (let i = 4999; i >= 0; i -= 7) expect(Object.is(col.get(i), values[i % values.length])).toBe(true);
    col.close();
  });
});

describe('PagedFile bytes', () => {
  it('writes and reads byte runs that span pages, through a one-page cache', () => {
    const f = new PagedFile(fresh(), { cachePages: 1 });
    const run = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 31) & 255));
    f.write(4090, run, run.length);
    f.write(100, Buffer.from('head'), 4);
    const back = Buffer.alloc(run.length);
    f.read(4090, back, back.length);
    expect(back.equals(run)).toBe(true);
    const head = Buffer.alloc(4);
    f.read(100, head, 4);
    expect(head.toString()).toBe('head');
    f.close();
  });
});

const idLike = idLikeStrings(['', 'a', '<1@x>', '<1@X>', 'é', '<ü@example.org>', 'x'.repeat(1024), 'y'.repeat(9000), '\u{1F600}', '\ud800', 'a\u0100', 'ÿ']);

describe('PagedStrings', () => {
  it('numbers strings as a Map would and gives them back (any UTF-16, long ones across pages), one page cached, with and without recent strings in memory', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), idLike), { maxLength: 300 }), fc.constantFrom(0, 1, 16), (ops, recent) => {
        const paged = new PagedStrings(fresh(), 1, recent);
        expectNumberedLikeMap(paged, ops);
        paged.close();
      }),
      { numRuns: 300 },
    );
  });

  it('reads a UTF-16 id whose characters start on an odd byte and straddle a page', () => {
    const paged = new PagedStrings(fresh(), 1, 0);
    // 4,095 one-byte characters, then a UTF-16 id: its unit at byte 4,095 is half on each page
    expect(paged.add('z'.repeat(4095))).toBe(0);
    const wide = '\u0100\ud83d\ude00é'.repeat(3);
    expect(paged.add(wide)).toBe(1);
    expect(paged.find(wide)).toBe(1);
    expect(paged.find(`${wide.slice(0, -1)}e`)).toBe(-1);
    expect(paged.get(1)).toBe(wide);
    expect(paged.get(0)).toBe('z'.repeat(4095));
    paged.close();
  });

  it('keeps 200,000 ids across table doublings with a small cache', () => {
    const paged = new PagedStrings(fresh(), 4, 64);
    expectManyIdsNumbered(paged);
    paged.close();
  });

  it('tells apart two ids with the same hash', () => {
    const [a, b] = idsOfOneHash();
    expect(hashOf(a)).toBe(hashOf(b));
    const paged = new PagedStrings(fresh(), 1, 0);
    expect(paged.add(a)).toBe(0);
    expect(paged.find(b)).toBe(-1);
    expect(paged.add(b)).toBe(1);
    expect(paged.get(0)).toBe(a);
    expect(paged.get(1)).toBe(b);
    expect(paged.find(a)).toBe(0);
    expect(paged.find(b)).toBe(1);
    paged.close();
  });
});

const ID_POOL = ['a', 'A', 'b', '', 'x', 'y', '<é@x>', 'c'.repeat(5000), 'd', '<e\u0100>', 'f', 'g', '\ud800'];
const ASKED_ONLY = ['zz', 'yy'];
const aPost = threadPosts(ID_POOL, ASKED_ONLY);

describe('ThreadIndex in files', () => {
  it('answers as the in-memory index on random posts (asked between adds too), one page cached per file', () => {
    fc.assert(
      fc.property(fc.array(aPost, { minLength: 1, maxLength: 14 }), fc.boolean(), (posts, askBetween) => {
        const dir = freshDir();
        const disk = new ThreadIndex({ dir, cachePages: 1 });
        const mem = new ThreadIndex();
        const all = [...ID_POOL, ...ASKED_ONLY];
        for (const p of posts) {
          expect(disk.has(p.id)).toBe(mem.has(p.id));
          disk.add(p);
          mem.add(p);
          if (askBetween) for (const q of all) expect(disk.threadOf(q)).toBe(mem.threadOf(q));
        }
        expect(disk.size).toBe(mem.size);
        for (let p = 0; p < disk.size; p++) {
          expect(disk.idAt(p)).toBe(mem.idAt(p));
          expect(disk.threadName(disk.threadKeyAt(p))).toBe(mem.threadName(mem.threadKeyAt(p)));
          expect(disk.threadKeyAt(p)).toBe(mem.threadKeyAt(p));
        }
        for (const q of all) {
          expect(disk.threadOf(q)).toBe(mem.threadOf(q));
          expect(disk.indexOf(q)).toBe(mem.indexOf(q));
          expect(disk.threadKeysNamed(q)).toEqual(mem.threadKeysNamed(q));
          const n = disk.idNumber(q);
          expect(n).toBe(mem.idNumber(q));
          expect(disk.idString(n)).toBe(q);
          expect(disk.positionOfNumber(n)).toBe(mem.positionOfNumber(n));
        }
        disk.close();
        // its files go with it (the memo's too)
        expect(readdirSync(dir)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('follows a 50,000-post chain and the crafted chain of 20,000 reference-less replies, two pages cached', () => {
    const chain = new ThreadIndex({ dir: freshDir(), cachePages: 2 });
    for (let i = 0; i < 50_000; i++) chain.add({ id: `m${i}`, inReplyTo: i ? `m${i - 1}` : null, references: [], subject: 'worm', date: null });
    for (let p = 49_999; p >= 0; p -= 7) if (chain.threadName(chain.threadKeyAt(p)) !== 'm0') throw new Error(`m${p}`);
    chain.close();
    const pairs = 20_000;
    const t = new ThreadIndex({ dir: freshDir(), cachePages: 2 });
    for (let i = 0; i < pairs; i++) {
      t.add({ id: `r${i}`, inReplyTo: null, references: [], subject: `Re: s${i}`, date: null });
      t.add({ id: `w${i}`, inReplyTo: `r${i + 1}`, references: [], subject: `Re: s${i}`, date: null });
    }
    expect(t.threadName(t.threadKeyAt(0))).toBe(`r${pairs}`);
    for (let p = 0; p < t.size; p += 1999) expect(t.threadName(t.threadKeyAt(p))).toBe(`r${pairs}`);
    t.close();
  });

  it('joins a reference-less reply by subject and time among thousands of posts on disk', () => {
    const day = 86_400_000;
    const t = new ThreadIndex({ dir: freshDir(), cachePages: 1 });
    // the object-per-post index the typed one replaced: its own subject lists, sorted its own way
    const mem = new ReferenceThreadIndex();
    for (let i = 0; i < 6000; i++) {
      const date = new Date(Date.UTC(2001, 0, 1) + ((i * 7919) % 6000) * (day / 10)).toUTCString();
      const p = i % 3 === 0 ? { id: `s${i}`, inReplyTo: null, references: [], subject: `topic ${i % 5}`, date } : i % 3 === 1 ? { id: `w${i}`, inReplyTo: `s${i - 1}`, references: [], subject: `Re: topic ${i % 5}`, date } : { id: `n${i}`, inReplyTo: null, references: [], subject: `Re: topic ${i % 5}`, date };
      t.add(p);
      mem.add(p);
    }
    let joined = 0;
    for (let p = 0; p < t.size; p++) {
      const key = t.threadKeyAt(p);
      expect(t.threadName(key)).toBe(mem.threadOf(t.idAt(p)));
      if (t.idAt(p).startsWith('n') && t.threadName(key).startsWith('s')) joined++;
    }
    expect(joined).toBeGreaterThan(1000);
    t.close();
  });
});
