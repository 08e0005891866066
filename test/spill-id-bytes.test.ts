// The spill's observation ids written as bytes from its IdTable (StreamedStrings' numbered form)
// give what rendering the id strings gives: packed ids and any other, at any offset, into a
// caller's buffer too small for the list (the element moves to the renderer's own mid-list).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Corpus } from '../src/analyze/corpus.js';
import { ElementBytesRenderer, renderElement, StreamedStrings, writeJsonDocument } from '../src/analyze/json-out.js';
import { analyzePost } from '../src/analyze/post.js';
import { SpillCorpus } from '../src/analyze/spill.js';
import { IdTable } from '../src/analyze/spill-store.js';
import { parseMail } from '../src/mail/parse.js';
import { readInputs } from '../src/source/index.js';
import { Collect } from './helpers/collect.js';
import { seedArchive } from './helpers/seed-archive.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-spill-id-bytes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hex16 = fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: 16, maxLength: 16 }).map((a) => a.join(''));
const anyId = fc.oneof(
  { weight: 6, arbitrary: hex16.map((h) => `obs-${h}`) },
  // not packed: upper case, a non-hex digit, other lengths, non-ASCII, characters JSON escapes
  { weight: 1, arbitrary: hex16.map((h) => `obs-${h.toUpperCase()}`) },
  { weight: 1, arbitrary: hex16.map((h) => `obs-${h.slice(0, 15)}g`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('obs-ü', 'obs-"quoted"\\', 'obs-\n', `obs-${'a'.repeat(16)}x`) },
  // 20 characters with one that is not a lower-case hex digit: next to the digits' codes, past 127, past 255
  { weight: 1, arbitrary: fc.tuple(hex16, fc.nat(15), fc.constantFrom('/', ':', '`', 'g', 'F', 'ü', 'Ā', '\u0130', '\u0000')).map(([h, at, c]) => `obs-${h.slice(0, at)}${c}${h.slice(at + 1)}`) },
);

describe('observation ids written from the IdTable', () => {
  it('writeJson gives JSON.stringify of the id for a packed id, -1 for any other, at any offset', () => {
    fc.assert(
      fc.property(fc.array(anyId, { minLength: 1, maxLength: 40 }), fc.nat(100), (ids, at) => {
        const table = new IdTable();
        for (const id of ids) table.push(id);
        const buf = Buffer.alloc(at + table.maxJsonBytes, 0xee);
        ids.forEach((id, i) => {
          buf.fill(0xee);
          const end = table.writeJson(i, buf, at);
          const packed = /^obs-[0-9a-f]{16}$/.test(id);
          expect(end).toBe(packed ? at + 22 : -1);
          if (packed) expect(buf.toString('latin1', at, end)).toBe(JSON.stringify(id));
          // nothing written before `at`
          for (let k = 0; k < at; k++) expect(buf[k]).toBe(0xee);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a finding whose ids stream by number renders as the same list of strings would', () => {
    fc.assert(
      fc.property(fc.array(anyId, { maxLength: 300 }), fc.array(fc.nat(299), { maxLength: 400 }), fc.nat(200), fc.integer({ min: 0, max: 64 }), (ids, refs0, at, room) => {
        const table = new IdTable();
        for (const id of ids) table.push(id);
        const refs = ids.length === 0 ? [] : refs0.map((r) => r % ids.length);
        const strings = refs.map((r) => ids[r] as string);
        const streamed = new StreamedStrings(
          (emit) => refs.forEach((r) => emit(table.get(r))),
          { table, forEach: (emit) => refs.forEach((r) => emit(r)) },
        );
        const want = renderElement({ kind: 'group', observations: strings, after: 1 });
        const r = new ElementBytesRenderer();
        // a caller's buffer with little room past `at`: the list outgrows it
        const into = Buffer.alloc(at + room);
        r.render({ kind: 'group', observations: streamed, after: 1 }, at, into);
        expect(r.buf.toString('utf8', r.start, r.length)).toBe(want);
        // and into the renderer's own buffer, twice (the element's shape seen before)
        for (let k = 0; k < 2; k++) {
          r.render({ kind: 'group', observations: streamed, after: 1 }, at);
          expect(r.buf.toString('utf8', r.start, r.length)).toBe(want);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a post's list of ids is written from the table when it is its observations' ids in order, and as given otherwise", async () => {
    const mbox = join(work, 'seed.mbox');
    writeFileSync(mbox, seedArchive(10));
    const raws: Array<{ raw: Buffer; input: string }> = [];
    for await (const item of readInputs([mbox])) if (item.kind !== 'error') raws.push({ raw: item.raw, input: item.input });
    // how each post's list is changed before it is added: as made, reversed, one left out, one added, emptied
    const changes: Array<(ids: string[]) => string[]> = [(ids) => ids, (ids) => [...ids].reverse(), (ids) => ids.slice(1), (ids) => [...ids, 'obs-0000000000000000'], () => []];
    const analyses = async (): Promise<ReturnType<typeof analyzePost>[]> => {
      const out: ReturnType<typeof analyzePost>[] = [];
      for (const [k, { raw, input }] of raws.entries()) {
        const mail = await parseMail(raw, input);
        const pa = analyzePost(mail, mail.id);
        pa.post.observations = (changes[k % changes.length] as (ids: string[]) => string[])(pa.post.observations);
        out.push(pa);
      }
      return out;
    };
    const memory = new Corpus({ keepQuestions: false });
    for (const pa of await analyses()) memory.add(pa);
    const want = new Collect();
    await writeJsonDocument(memory.finish().doc, want);
    const spill = new SpillCorpus({ tmpDir: work });
    for (const pa of await analyses()) spill.add(pa);
    const got = new Collect();
    await spill.writeJson(got);
    expect(got.text() === want.text()).toBe(true);
    // the case is what it says: posts with observations, each change made to one of them at least
    const doc = JSON.parse(want.text()) as { posts: Array<{ observations: string[] }> };
    expect(doc.posts.length).toBeGreaterThanOrEqual(changes.length);
    expect(doc.posts.filter((p) => p.observations.length > 1).length).toBeGreaterThanOrEqual(changes.length);
  });
});

