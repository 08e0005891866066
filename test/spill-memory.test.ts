// The spill's memory-side pieces: the duplicate keys sorted a part at a time from their file, the
// files read back in order a chunk at a time, and what the corpus lets go before the corpus-wide
// steps make their arrays. The documents themselves are compared in analyze-spill.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostFactory } from '../bench/generate.js';
import type { Post } from '../src/contract.js';
import { analyzePost } from '../src/analyze/post.js';
import { SpillCorpus } from '../src/analyze/spill.js';
import { firstOfEqualKeys, firstOfEqualKeysInFile, hash96, Int32File, RecordFile, StringStream } from '../src/analyze/spill-store.js';
import { parseMail } from '../src/mail/parse.js';
import { ThreadIndex } from '../src/mail/thread.js';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'listwatch-spill-memory-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function keyFile(name: string, keys: Int32Array): Int32File {
  const file = new Int32File(join(work, name));
  // appended a key at a time, as the corpus does
  for (let i = 0; i < keys.length; i += 3) file.append(keys.subarray(i, i + 3), Math.min(3, keys.length - i));
  return file;
}

describe('firstOfEqualKeysInFile', () => {
  it('gives what firstOfEqualKeys gives on the keys held at once, for small sets of colliding lanes', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })), { maxLength: 200 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (lanes, spread) => {
          const keys = new Int32Array(lanes.length * 3);
          lanes.forEach(([a, b, c], i) => keys.set([Math.imul(a, spread) | 0, b, c], i * 3));
          const file = keyFile(`small-${runs++}.bin`, keys);
          const first = firstOfEqualKeysInFile(file, lanes.length, new Int32Array(lanes.length).fill(-9));
          file.close();
          expect(first).toEqual(firstOfEqualKeys(keys, lanes.length));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sorts many keys in parts (several scans of the file, several reads per scan) with the same answer', () => {
    // 150,000 keys: 8 parts by the first lane's low bits, ~9 reads of the file per part; every
    // seventh a repeat of an earlier key, and pairs of different keys that share a first lane
    const n = 150_000;
    const keys = new Int32Array(n * 3);
    const k = new Int32Array(3);
    for (let i = 0; i < n; i++) {
      hash96(`key-${i % 7 === 6 ? (i * 31) % i : i}`, 1, k);
      keys.set(k, i * 3);
      if (i % 1000 === 999) keys[i * 3] = keys[(i - 500) * 3] as number;
    }
    const file = keyFile('many.bin', keys);
    const first = firstOfEqualKeysInFile(file, n, new Int32Array(n));
    const expected = firstOfEqualKeys(keys, n);
    let repeats = 0;
    for (let i = 0; i < n; i++) if (expected[i] !== i) repeats++;
    expect(repeats).toBeGreaterThan(20_000);
    // (counted, not diffed: a diff of 150,000 numbers takes the runner minutes to print)
    const wrong = (got: Int32Array): number => expected.reduce((w, e, i) => (got[i] === e ? w : w + 1), 0);
    expect(wrong(first)).toBe(0);
    // the file is left as it was: a second sort reads the same keys
    expect(wrong(firstOfEqualKeysInFile(file, n, new Int32Array(n)))).toBe(0);
    file.close();
  });
});

describe('reading spill files back in order', () => {
  it('an Int32File gives its values a chunk at a time, in the buffer given or its own', () => {
    const n = 70_001;
    const values = Int32Array.from({ length: n }, (_, i) => Math.imul(i, 0x9e3779b1));
    const file = keyFile('ints.bin', values);
    for (const size of [1, 3, 4096, 65_536, n, n + 5]) {
      const into = new Int32Array(size + 2);
      for (const buffer of [undefined, into]) {
        const got: number[] = [];
        let reads = 0;
        for (const chunk of file.chunks(size, buffer)) {
          if (buffer) expect(chunk.buffer).toBe(into.buffer);
          expect(chunk.length).toBeLessThanOrEqual(size);
          reads++;
          for (const v of chunk) got.push(v);
        }
        expect(reads).toBe(Math.ceil(n / size));
        expect(Int32Array.from(got)).toEqual(values);
      }
    }
    expect([...new Int32File(join(work, 'none.bin')).chunks(10)]).toEqual([]);
    file.close();
  });

  it('a StringStream gives back every string in order, across its read chunks, with strings larger than a chunk and in UTF-8', () => {
    const file = new StringStream(join(work, 'strings.bin'));
    const strings: string[] = [];
    for (let i = 0; i < 4000; i++) strings.push(i % 11 === 0 ? '' : `${i}:${'ü→x\n'.repeat(i % 40)}${'y'.repeat((i * 7919) % 3000)}`);
    // larger than the write buffer and the read chunk (1 MB each), one of them in UTF-8 past it
    strings[1000] = 'z'.repeat(1_200_000);
    strings[2500] = 'ü'.repeat(700_000);
    strings[3999] = '→'.repeat(400_000);
    for (const s of strings) file.append(s);
    expect(file.count).toBe(strings.length);
    const got = [...file.strings()];
    expect(got.length).toBe(strings.length);
    got.forEach((s, i) => expect(s === strings[i]).toBe(true));
    file.close();
    const empty = new StringStream(join(work, 'empty.bin'));
    // no write buffer until the first string
    expect((empty as unknown as { buf: Buffer }).buf.length).toBe(0);
    expect([...empty.strings()]).toEqual([]);
    empty.close();
  });

  it('the head of a record is read into a buffer the caller gives, as much of the record as it holds', () => {
    const file = new RecordFile(join(work, 'records.bin'));
    const records = [Buffer.from('a'.repeat(40)), Buffer.from('0123456789'), Buffer.alloc(0), Buffer.from('x'.repeat(300))];
    for (const r of records) file.append(r, r.length);
    file.finishWrites();
    const head = Buffer.alloc(16, 0x2d);
    expect(file.readHead(0, head)).toBe(16);
    expect(head.toString()).toBe('a'.repeat(16));
    expect(file.readHead(1, head)).toBe(10);
    expect(head.toString('latin1', 0, 10)).toBe('0123456789');
    expect(file.readHead(2, head)).toBe(0);
    expect(file.readHead(3, head)).toBe(16);
    expect(head.toString()).toBe('x'.repeat(16));
    file.close();
  });

  it('an Int32File closed after its last read lets its buffer go, and closing it again leaves a file that took its descriptor alone', () => {
    const a = new Int32File(join(work, 'closed-a.bin'));
    a.append(Int32Array.of(1, 2, 3), 3);
    expect([...a.chunks(8)].map((c) => [...c])).toEqual([[1, 2, 3]]);
    a.close();
    expect((a as unknown as { buf: Int32Array }).buf.length).toBe(0);
    // (the next file opened may get the closed one's descriptor number)
    const b = new Int32File(join(work, 'closed-b.bin'));
    a.close();
    b.append(Int32Array.of(7, 8), 2);
    expect([...b.chunks(8)].map((c) => [...c])).toEqual([[7, 8]]);
    b.close();
  });
});

describe('what the spilling corpus lets go', () => {
  it('lets the thread index go before the duplicates, and writes each post with its thread from the file', async () => {
    const factory = new PostFactory(11, undefined, 'tm');
    const corpus = new SpillCorpus({ tmpDir: work });
    const reference = new ThreadIndex();
    try {
      for (let i = 0; i < 300; i++) {
        const mail = await parseMail(Buffer.from(factory.next({}).raw), `p${i}`);
        reference.add({ id: mail.id, inReplyTo: mail.inReplyTo, references: mail.references, subject: mail.subject, date: mail.date });
        corpus.add(analyzePost(mail, mail.id));
      }
      const inside = corpus as unknown as { threads: ThreadIndex; keyFileU: Int32File; keyFileL: Int32File; endsFile: Int32File; finish(): { posts: Iterable<Post> } };
      expect(inside.threads.size).toBe(300);
      const doc = inside.finish();
      // the corpus-wide steps ran; nothing of the index is left for the posts to read, and the
      // files of the duplicate keys and join ends are closed with their buffers let go
      expect(inside.threads.size).toBe(0);
      for (const f of [inside.keyFileU, inside.keyFileL, inside.endsFile]) expect((f as unknown as { buf: Int32Array }).buf.length).toBe(0);
      const threads = new Set<string>();
      let posts = 0;
      for (const post of doc.posts) {
        expect(post.thread).toBe(reference.threadOf(post.id));
        threads.add(post.thread);
        posts++;
      }
      expect(posts).toBe(300);
      // replies: threads of several posts
      expect(threads.size).toBeLessThan(250);
    } finally {
      corpus.dispose();
    }
  }, 60_000);
});
