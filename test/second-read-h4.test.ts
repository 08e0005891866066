// Second read of c6b5558..d8fce22 (H4's memory work) where its own tests did not reach: the thread
// index's numeric path (threadKeyAt / threadName / threadKeysNamed, what the spill uses) against its
// string path (threadOf, what Corpus uses) on posts that reply to themselves, to later posts, in
// loops, with ids that are also subjects, empty, case-only-different, non-ASCII and over-1,024-character ids; and that ids kept
// as JS strings (non-ASCII or long) are copies, not slices holding a whole message alive.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heapAfterGc } from './helpers/gc.js';
import { PackedStrings } from '../src/mail/packed-ids.js';
import { ThreadIndex } from '../src/mail/thread.js';
import { threadPosts } from './helpers/thread-reference.js';

const ID_POOL = ['a', 'A', 'b', '', 'x', 'y', '<é@x>', 'c'.repeat(1100), 'd', '<e\u0100>', 'f', 'g', '\ud800'];
const ASKED_ONLY = ['zz', 'yy'];
const post = threadPosts(ID_POOL, ASKED_ONLY);

describe('ThreadIndex numeric path', () => {
  it('names every post\'s thread as threadOf does (asked in position order), and finds it by name', () => {
    fc.assert(
      fc.property(fc.array(post, { minLength: 1, maxLength: 14 }), (posts) => {
        const byString = new ThreadIndex();
        const byKey = new ThreadIndex();
        for (const p of posts) {
          byString.add(p);
          byKey.add(p);
        }
        expect(byKey.size).toBe(new Set(posts.map((p) => p.id)).size);
        const keys: number[] = [];
        for (let p = 0; p < byKey.size; p++) keys.push(byKey.threadKeyAt(p));
        for (let p = 0; p < byKey.size; p++) {
          const postId = byKey.idAt(p);
          expect(byKey.indexOf(postId)).toBe(p);
          expect(byKey.positionOfNumber(byKey.idNumber(postId))).toBe(p);
          const name = byKey.threadName(keys[p] as number);
          expect(name).toBe(byString.threadOf(postId));
          expect(byKey.threadKeysNamed(name)).toContain(keys[p]);
          for (const k of byKey.threadKeysNamed(name)) expect(byKey.threadName(k)).toBe(name);
        }
        for (const s of [...ID_POOL, ...ASKED_ONLY]) {
          const n = byKey.idNumber(s);
          expect(byKey.idString(n)).toBe(s);
          expect(byKey.idNumber(s)).toBe(n);
          expect(byKey.positionOfNumber(n)).toBe(byKey.indexOf(s) ?? -1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a post replying to itself, and two posts replying to each other, get one stable thread', () => {
    const t = new ThreadIndex();
    t.add({ id: 'self', inReplyTo: 'self', references: ['self'], subject: 'Re: loop', date: null });
    t.add({ id: 'p', inReplyTo: 'q', references: [], subject: 'Re: q', date: null });
    t.add({ id: 'q', inReplyTo: 'p', references: [], subject: 'Re: p', date: null });
    // its own id is dropped from its headers: a reply with nothing before it, named by its subject
    expect(t.threadOf('self')).toBe('loop');
    expect(t.threadName(t.threadKeyAt(1))).toBe('p');
    expect(t.threadName(t.threadKeyAt(2))).toBe('p');
    expect(t.threadOf('q')).toBe('p');
  });
});

describe('ThreadIndex ids kept as strings', () => {
  it('keeps no slice of a large message for a non-ASCII or over-long id', () => {
    const before = heapAfterGc();
    const t = new ThreadIndex();
    for (let i = 0; i < 24; i++) {
      // ids that PackedStrings keeps as JS strings, cut from a 1 MB message (V8 slices them)
      const raw = `${'m'.repeat(1 << 20)}<${i}.é@example.org>${'<long'.repeat(300)}${i}@x>`;
      const nonAscii = raw.slice(1 << 20, raw.indexOf('>', 1 << 20) + 1);
      const long = raw.slice(raw.indexOf('>', 1 << 20) + 1);
      t.add({ id: nonAscii, inReplyTo: long, references: [long], subject: `Re: worm ${i}`, date: null });
    }
    const retained = heapAfterGc() - before;
    expect(t.idAt(23)).toBe('<23.é@example.org>');
    expect(t.threadOf('<23.é@example.org>')).toMatch(/^<long.*23@x>$/);
    expect(retained).toBeLessThan(8 << 20);
  });
});

describe('PackedStrings past its growing chunks', () => {
  it('keeps adding once more than 17 chunks are used (~12 MB of ids: ~250,000 Message-IDs of ~50 bytes)', () => {
    const packed = new PackedStrings();
    const pad = 'x'.repeat(200);
    const idOf = (i: number): string => `<${i}.${pad}@example.org>`;
    const count = 80_000; // ~17.4 MB of id bytes
    for (let i = 0; i < count; i++) expect(packed.add(idOf(i))).toBe(i);
    expect(packed.size).toBe(count);
    for (let i = 0; i < count; i += 997) {
      expect(packed.get(i)).toBe(idOf(i));
      expect(packed.find(idOf(i))).toBe(i);
    }
    expect(packed.get(count - 1)).toBe(idOf(count - 1));
  });
});

describe('ThreadIndex on a long chain of subject joins', () => {
  it('follows 20,000 replies without references, each joining its subject through a post that answers the next, without recursion', () => {
    // r_i ("Re: s_i", no headers) takes the thread of w_i, the latest post of its subject with
    // headers, which answers r_{i+1}: resolving r_0 went ~5,000 calls deep before a stack overflow
    const pairs = 20_000;
    const build = (): ThreadIndex => {
      const t = new ThreadIndex();
      for (let i = 0; i < pairs; i++) {
        t.add({ id: `r${i}`, inReplyTo: null, references: [], subject: `Re: s${i}`, date: null });
        t.add({ id: `w${i}`, inReplyTo: `r${i + 1}`, references: [], subject: `Re: s${i}`, date: null });
      }
      return t;
    };
    const t = build();
    expect(t.threadName(t.threadKeyAt(0))).toBe(`r${pairs}`);
    for (let p = 0; p < t.size; p += 1999) expect(t.threadName(t.threadKeyAt(p))).toBe(`r${pairs}`);
    expect(build().threadOf('w0')).toBe(`r${pairs}`);
  });
});
