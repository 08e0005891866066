// The thread index (posts kept in typed arrays by position, ids packed: src/mail/packed-ids.ts) against the object-per-post index it replaced
// (test/helpers/thread-reference.ts): the same threads, positions and kept ids on random posts with
// parents known, unknown, self-referencing and cyclic, recurring subjects with and without reply
// prefixes, and dates missing, equal or far apart.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ThreadIndex } from '../src/mail/thread.js';
import { ReferenceThreadIndex } from './helpers/thread-reference.js';

const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x-unknown', 'y-unknown', '');
const post = fc.record({
  id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  inReplyTo: fc.option(id, { nil: null }),
  references: fc.array(id, { maxLength: 3 }),
  subject: fc.option(fc.constantFrom('Worm', 'Re: Worm', 'RE: worm', '[incidents] Re: Worm', 'Fwd: scan', 'scan', '', 'Re:'), { nil: null }),
  date: fc.option(fc.constantFrom('2001-09-01T00:00:00Z', '2001-09-01T00:00:00Z', '2001-09-02T10:00:00Z', '2001-11-20T00:00:00Z', '2001-08-31T12:00:00Z', 'not a date'), { nil: null }),
});

describe('ThreadIndex by position', () => {
  it('answers as the object-per-post index on random posts', () => {
    fc.assert(
      fc.property(fc.array(post, { maxLength: 14 }), fc.boolean(), (posts, askBetween) => {
        const t = new ThreadIndex();
        const ref = new ReferenceThreadIndex();
        const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x-unknown', 'y-unknown', ''];
        for (const p of posts) {
          t.add({ ...p, references: [...p.references] });
          ref.add({ ...p, references: [...p.references] });
          // asked between adds too: an add must forget what was worked out before it
          if (askBetween) for (const q of all) expect(t.threadOf(q)).toBe(ref.threadOf(q));
        }
        for (const q of all) {
          expect(t.threadOf(q)).toBe(ref.threadOf(q));
          expect(t.has(q)).toBe(ref.has(q));
          expect(t.indexOf(q)).toBe(ref.indexOf(q));
          // by position and id number, as the spilling corpus asks
          const at = t.indexOf(q);
          if (at !== undefined) {
            expect(t.idAt(at)).toBe(q);
            expect(t.threadName(t.threadKeyAt(at))).toBe(ref.threadOf(q));
            expect(t.positionOfNumber(t.idNumber(q))).toBe(at);
          }
        }
        expect(t.size).toBe(new Set(posts.map((p) => p.id)).size);
      }),
      { numRuns: 2000 },
    );
  });
});
