// The thread index keeps its posts in typed arrays and their ids as bytes (src/mail/packed-ids.ts):
// what an archive's posts leave on the JS heap must not grow with them (as an id string, a Map entry
// and six array slots a post, ~170 bytes, it was what grew most on the heap of a large archive).
import { expect, it } from 'vitest';
import { heapAfterGc } from './helpers/gc.js';
import { ThreadIndex } from '../src/mail/thread.js';

const POSTS = 50_000;
const idOf = (i: number): string => `<${i}.${'0123456789abcdef'.repeat(3)}@mail.example.org>`;

it('keeps 50,000 posts in a few bytes of JS heap each', () => {
  const before = heapAfterGc();
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const t = new ThreadIndex();
  for (let i = 0; i < POSTS; i++) {
    // every other post answers the one before it (its parent and oldest reference are ids the index keeps)
    const parent = i % 2 === 1 ? idOf(i - 1) : null;
    t.add({ id: idOf(i), inReplyTo: parent, references: parent ? [parent] : [], subject: `${parent ? 'Re: ' : ''}worm ${i % 12}`, date: new Date(Date.UTC(2001, 8, 1) + i * 60_000).toUTCString() });
  }
  const heap = heapAfterGc() - before;
  const buffers = process.memoryUsage().arrayBuffers - buffersBefore;
  // still answering (and so still alive when measured)
  expect(t.threadOf(idOf(POSTS - 1))).toBe(idOf(POSTS - 2));
  expect(heap / POSTS).toBeLessThan(24);
  // the ids' bytes (~60 each), their table slots and the typed arrays
  expect(buffers / POSTS).toBeLessThan(160);
});
