// The spilling JSON path (SpillCorpus, analyzeInputsToJson) against the in-memory Corpus: the same
// bytes on every fixture folder and on generated archives, including duplicate Message-IDs,
// --since, standard input, bad input, joins read back a chunk at a time, and the temp files gone.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE, writeArchive } from '../bench/generate.js';
import { analyzePost } from '../src/analyze/post.js';
import { analyzeInputs, analyzeInputsToJson, type AnalyzeOptions } from '../src/analyze/run.js';
import { SpillCorpus } from '../src/analyze/spill.js';
import { Corpus } from '../src/analyze/corpus.js';
import { firstOfEqualKeys, hash96, IdTable, Int32File, PostOfObservation, RecordFile, StringTable } from '../src/analyze/spill-store.js';
import { Int32List } from '../src/correlate/typed-lists.js';
import fc from 'fast-check';
import { writeJsonDocument } from '../src/analyze/json-out.js';
import { parseMail } from '../src/mail/parse.js';
import { seedArchive } from './helpers/seed-archive.js';
import { Collect } from './helpers/collect.js';
import { spilledDocument } from './helpers/both-ways.js';

let work: string;
let spillDir: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'listwatch-spill-test-'));
  spillDir = mkdtempSync(join(work, 'spill-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function inMemory(paths: string[], opts: AnalyzeOptions = {}): Promise<string> {
  const { result } = await analyzeInputs(paths, { ...opts, keepQuestions: false });
  const out = new Collect();
  await writeJsonDocument(result.doc, out);
  return out.text();
}

async function spilled(paths: string[], opts: Omit<AnalyzeOptions, 'keepMail' | 'keepQuestions'> = {}): Promise<string> {
  const out = new Collect();
  await analyzeInputsToJson(paths, out, { ...opts, tmpDir: spillDir });
  // the temp folder is gone once the document is written
  expect(readdirSync(spillDir)).toEqual([]);
  return out.text();
}

async function expectSameBytes(paths: string[], opts: Omit<AnalyzeOptions, 'keepMail' | 'keepQuestions'> = {}): Promise<string> {
  const a = await inMemory(paths, opts);
  const b = await spilled(paths, opts);
  expect(b.length).toBe(a.length);
  expect(b === a).toBe(true);
  return a;
}

const SEED = 'fixtures/seed/incidents-2001-09-06-code-red-variants.txt';

describe('analyze --format json through the spill', () => {
  it('writes the same bytes as the in-memory corpus on every fixture folder', async () => {
    for (const paths of [['fixtures/seed'], ['fixtures/demo-list'], ['fixtures/field'], ['fixtures/mail'], ['fixtures/mbox/code-red-thread.mbox']]) {
      const doc = await expectSameBytes(paths);
      expect(doc.startsWith('{\n  "schema": "listwatch.analysis/1"')).toBe(true);
    }
  });

  it('writes the same bytes on a generated archive, with duplicates, quoted reporters and recurring subjects', async () => {
    const mbox = join(work, 'generated.mbox');
    await writeArchive(mbox, 400, 20010906, { ...DEFAULT_SHAPE, recordShare: 0.3, pasteEvery: 1_000_000, attachmentShare: 0.01 });
    const doc = JSON.parse(await expectSameBytes([mbox])) as { observations: Array<{ duplicateOf?: string }>; findings: unknown[] };
    expect(doc.observations.length).toBeGreaterThan(500);
    expect(doc.observations.some((o) => o.duplicateOf !== undefined)).toBe(true);
    expect(doc.findings.length).toBeGreaterThan(10);
  }, 120_000);

  it('joins alerts to flows the same way, a chunk of alerts at a time', async () => {
    const mbox = join(work, 'seed-copies.mbox');
    writeFileSync(mbox, seedArchive(40));
    const a = await inMemory([mbox]);
    const doc = JSON.parse(a) as { findings: Array<{ kind: string }>; observations: Array<{ duplicateOf?: string; evidence: string }> };
    expect(doc.findings.filter((f) => f.kind === 'same-traffic').length).toBeGreaterThan(20);
    expect(doc.observations.some((o) => o.duplicateOf !== undefined)).toBe(true);
    for (const joinChunk of [3, 1000]) {
      expect((await spilledDocument([mbox], { tmpDir: spillDir, joinChunk })) === a).toBe(true);
    }
  }, 60_000);

  it('renders the last post straight into the document with the bytes a stored post gets: every prefix of an archive whose posts join, copy and inherit', async () => {
    const { readInputs } = await import('../src/source/index.js');
    const mbox = join(work, 'seed-prefixes.mbox');
    writeFileSync(mbox, seedArchive(10));
    const raws: Array<{ raw: Buffer; input: string }> = [];
    for await (const item of readInputs([mbox])) if (item.kind !== 'error') raws.push({ raw: item.raw, input: item.input });
    let lastWithCopies = 0;
    let lastJoined = 0;
    for (let k = 1; k <= raws.length; k++) {
      // each corpus takes its own analyses: adding annotates the observations in place
      const analyses = async (): Promise<ReturnType<typeof analyzePost>[]> => {
        const out: ReturnType<typeof analyzePost>[] = [];
        for (const { raw, input } of raws.slice(0, k)) {
          const mail = await parseMail(raw, input);
          out.push(analyzePost(mail, mail.id));
        }
        return out;
      };
      const memory = new Corpus({ keepQuestions: false });
      for (const pa of await analyses()) memory.add(pa);
      const want = new Collect();
      await writeJsonDocument(memory.finish().doc, want);
      const spill = new SpillCorpus({ tmpDir: spillDir });
      for (const pa of await analyses()) spill.add(pa);
      const got = new Collect();
      await spill.writeJson(got);
      expect(got.text() === want.text()).toBe(true);
      const doc = JSON.parse(want.text()) as { posts: Array<{ id: string; observations: string[] }>; observations: Array<{ id: string; duplicateOf?: string }>; findings: Array<{ kind: string; observations: string[] }> };
      const last = new Set((doc.posts[doc.posts.length - 1] as { observations: string[] }).observations);
      if (doc.observations.some((o) => last.has(o.id) && o.duplicateOf !== undefined)) lastWithCopies++;
      if (doc.findings.some((f) => f.kind === 'same-traffic' && f.observations.some((id) => last.has(id)))) lastJoined++;
    }
    // the last post was, in some corpora, the one with quoted copies, and in some had an alert joined to a flow
    expect(lastWithCopies).toBeGreaterThan(0);
    expect(lastJoined).toBeGreaterThan(0);
  }, 60_000);

  it('skips a repeated Message-ID, keeps --since and reads standard input the same way', async () => {
    const mbox = join(work, 'repeats.mbox');
    const copies = seedArchive(6);
    writeFileSync(mbox, copies + copies.split('\nFrom ').slice(0, 3).join('\nFrom ') + '\n');
    const doc = JSON.parse(await expectSameBytes([mbox])) as { errors: Array<{ message: string }> };
    expect(doc.errors.some((e) => e.message.includes('same Message-ID'))).toBe(true);

    const since = new Date('2001-09-04T00:00:00Z');
    const sinceDoc = JSON.parse(await expectSameBytes([mbox], { since })) as { posts: unknown[] };
    expect(sinceDoc.posts.length).toBeLessThan(6);

    const viaStdin = async (spill: boolean): Promise<string> => {
      const stdin = new PassThrough();
      stdin.end(readFileSync(mbox));
      if (!spill) return inMemory(['-'], { stdin });
      return spilled(['-'], { stdin });
    };
    expect((await viaStdin(true)) === (await viaStdin(false))).toBe(true);
  }, 60_000);

  it('records bad input under errors, and removes its temp files when a path cannot be read', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    writeFileSync(join(dir, 'a.eml'), readFileSync('fixtures/mail/quote-gt-nested.eml'));
    writeFileSync(join(dir, 'b.eml'), Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(dir, 'c.eml'), 'no headers at all\n\njust text 10.0.0.1 -> 10.0.0.2\n');
    const doc = JSON.parse(await expectSameBytes([dir])) as { errors: unknown[] };
    expect(doc.errors.length).toBeGreaterThan(0);

    await expect(analyzeInputsToJson([SEED, join(dir, 'missing.mbox')], new Collect(), { tmpDir: spillDir })).rejects.toThrow();
    expect(readdirSync(spillDir)).toEqual([]);
  });
});

describe('the spill folder', () => {
  it('a temp folder that cannot be made throws naming it, and leaves no exit or signal handlers behind', () => {
    const before = ['exit', 'SIGINT', 'SIGTERM'].map((e) => process.listenerCount(e));
    const missing = join(tmpdir(), `listwatch-no-such-dir-${process.pid}`, 'deeper');
    expect(() => new SpillCorpus({ tmpDir: missing })).toThrow(/ENOENT.*listwatch-no-such-dir/);
    expect(['exit', 'SIGINT', 'SIGTERM'].map((e) => process.listenerCount(e))).toEqual(before);
  });
});

describe('the spill store', () => {
  it('finds the first of equal 96-bit keys, also when first lanes collide between different keys', () => {
    fc.assert(
      fc.property(
        // small lane domains: equal keys, keys that share only a first lane, and runs of both
        fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })), { maxLength: 300 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (lanes, spread) => {
          const keys = new Int32Array(lanes.length * 3);
          // first lanes spread over both radix digits (and negative), so both passes sort
          lanes.forEach(([a, b, c], i) => keys.set([Math.imul(a, spread) | 0, b, c], i * 3));
          const first = firstOfEqualKeys(keys, lanes.length);
          const seen = new Map<string, number>();
          for (let i = 0; i < lanes.length; i++) {
            const k = `${keys[i * 3]},${keys[i * 3 + 1]},${keys[i * 3 + 2]}`;
            if (!seen.has(k)) seen.set(k, i);
            expect(first[i]).toBe(seen.get(k));
          }
        },
      ),
      { numRuns: 300 },
    );
    // at scale: 96-bit hashes of 100,000 keys, every tenth a repeat of an earlier one
    const n = 100_000;
    const keys = new Int32Array(n * 3);
    const k = new Int32Array(3);
    for (let i = 0; i < n; i++) {
      hash96(`key-${i % 10 === 9 ? i >> 1 : i}`, 1, k);
      keys.set(k, i * 3);
    }
    const first = firstOfEqualKeys(keys, n);
    const firstOfName = new Map<number, number>();
    let repeats = 0;
    for (let i = 0; i < n; i++) {
      const name = i % 10 === 9 ? i >> 1 : i;
      if (!firstOfName.has(name)) firstOfName.set(name, i);
      else repeats++;
      expect(first[i]).toBe(firstOfName.get(name));
    }
    expect(repeats).toBe(5_000);
    // the same answer in the caller's arrays, longer than n and not zeroed; the other is left free
    const a = new Int32Array(n + 7).fill(-5);
    const b = new Int32Array(n + 3).fill(12_345);
    const inGiven = firstOfEqualKeys(keys, n, a, b);
    expect(inGiven === a || inGiven === b).toBe(true);
    expect(inGiven.subarray(0, n)).toEqual(first);
  });

  it('a PostOfObservation names the post of each observation from the first observation of each post, posts without any among them', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const firsts = new Int32List();
        const postOf: number[] = [];
        sizes.forEach((size, p) => {
          firsts.push(postOf.length);
          for (let k = 0; k < size; k++) postOf.push(p);
        });
        const n = postOf.length;
        const walk = new PostOfObservation(firsts, n);
        for (let i = 0; i < n; i++) {
          const p = walk.at(i);
          expect(p).toBe(postOf[i]);
          for (let j = 0; j < n; j++) expect(walk.holds(p, j)).toBe(postOf[j] === p);
        }
      }),
      { numRuns: 300 },
    );
  });

  /** every value of the file, copied out of its chunks as they are read */
  function valuesOf(file: Int32File, size: number): Int32Array {
    const out = new Int32Array(file.length);
    let at = 0;
    for (const chunk of file.chunks(size)) {
      out.set(chunk, at);
      at += chunk.length;
    }
    expect(at).toBe(file.length);
    return out;
  }

  it('an Int32File gives back every value appended, across its write chunks', () => {
    const dir = mkdtempSync(join(work, 'ints-'));
    const file = new Int32File(join(dir, 'ints.bin'));
    const v = new Int32Array(3);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      v.set([i, -i | 0, i * 65_537]);
      file.append(v, 3);
    }
    expect(file.length).toBe(n * 3);
    // read back a chunk at a time (each chunk a view of one reused buffer: copied as read), with sizes across the write chunks
    for (const size of [1, 65_536, 100_001, n * 3 + 7]) {
      const all = valuesOf(file, size);
      expect(all.length).toBe(n * 3);
      for (const i of [0, 1, 21_845, 21_846, n - 1]) expect([...all.subarray(i * 3, i * 3 + 3)]).toEqual([i, -i | 0, (i * 65_537) | 0]);
    }
    expect(valuesOf(new Int32File(join(dir, 'empty.bin')), 10).length).toBe(0);
    file.close();
  });

  it('a record file of strings gives back every string in order and by index, across chunk boundaries, with newlines and in UTF-8', () => {
    const dir = mkdtempSync(join(work, 'lines-'));
    const file = new RecordFile(join(dir, 'x.jsonl'));
    const lines: string[] = [];
    // pretty-printed every third: a record may hold newlines
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ i, s: 'ü→\n'.repeat(i % 50), pad: 'x'.repeat(i === 1500 ? 300_000 : (i * 7919) % 4000) }, null, i % 3 === 0 ? 2 : 0));
    // one larger than the write buffer (1 MB): written past it
    lines[2000] = 'ü'.repeat(400_000);
    for (const l of lines) file.appendString(l);
    file.finishWrites();
    expect([...file.strings()]).toEqual(lines);
    expect(file.read(0).toString('utf8')).toBe(lines[0]);
    expect(file.read(1234).toString('utf8')).toBe(lines[1234]);
    expect(file.read(2000).toString('utf8')).toBe(lines[2000]);
    expect(file.read(2999).toString('utf8')).toBe(lines[2999]);
    file.close();
    const table = new StringTable();
    for (let i = 0; i < 20_000; i++) table.push(`obs-${i}-ü`);
    expect(table.get(0)).toBe('obs-0-ü');
    expect(table.get(19_999)).toBe('obs-19999-ü');
    const ids = new IdTable();
    const samples = ['obs-0123456789abcdef', 'obs-ffffffff00000000', 'obs-0123456789ABCDEF', 'obs-short', 'x', 'obs-0123456789abcdeg', ''];
    for (const id of samples) ids.push(id);
    samples.forEach((id, i) => expect(ids.get(i)).toBe(id));
  });
});
