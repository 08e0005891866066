// The spill keeps a post with analyzePost's keys as a short array (id, subject, date, archivedAt)
// and any other post as its JSON: either way the document shows the post the in-memory corpus
// shows, its keys in the order they had, whatever the values (null subjects and dates, an
// Archived-At, odd strings, keys in another order, extra or missing keys, its own id lists).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Post } from '../src/contract.js';
import { Corpus } from '../src/analyze/corpus.js';
import { writeJsonDocument } from '../src/analyze/json-out.js';
import { analyzePost } from '../src/analyze/post.js';
import { SpillCorpus } from '../src/analyze/spill.js';
import { parseMail } from '../src/mail/parse.js';
import { Collect } from './helpers/collect.js';
import { seedArchive } from './helpers/seed-archive.js';
import { readInputs } from '../src/source/index.js';
import { writeFileSync } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'listwatch-spill-posts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Change = (post: Post) => Post;
const CHANGES: Array<[string, Change]> = [
  ['as made', (p) => p],
  ['archived', (p) => Object.assign(p, { archivedAt: 'https://lists.example/archive/1' })],
  ['archived, odd', (p) => Object.assign(p, { archivedAt: 'ü "quoted" \\ \u2028 \ud800' })],
  ['no subject or date', (p) => Object.assign(p, { subject: null, date: null })],
  ['odd subject', (p) => Object.assign(p, { subject: 'Re: ü → "x" \\ \n\t \udc00 日本' })],
  ['keys reordered', (p) => ({ thread: p.thread, id: p.id, subject: p.subject, date: p.date, from: p.from, observations: p.observations })],
  ['extra key', (p) => Object.assign(p, { extra: 1 }) as Post],
  ['extra key before archivedAt', (p) => Object.assign(p, { extra: [1, 'x'], archivedAt: 'a' }) as Post],
  ['archivedAt not a string', (p) => Object.assign(p, { archivedAt: 7 as unknown as string })],
  ['archivedAt undefined', (p) => Object.assign(p, { archivedAt: undefined })],
  ['subject undefined', (p) => Object.assign(p, { subject: undefined as unknown as null })],
  ['date a number', (p) => Object.assign(p, { date: 5 as unknown as string })],
  ['no date key', (p) => { const { date: _d, ...rest } = p; return rest as Post; }],
  ['ids its own', (p) => Object.assign(p, { observations: [...p.observations].reverse() })],
  ['ids its own, archived', (p) => Object.assign(p, { observations: p.observations.slice(1), archivedAt: 'b' })],
];

describe('posts stored by the spill', () => {
  it('are written as the in-memory corpus writes them, whatever their keys and values', async () => {
    const mbox = join(work, 'seed.mbox');
    writeFileSync(mbox, seedArchive(12));
    const raws: Array<{ raw: Buffer; input: string }> = [];
    for await (const item of readInputs([mbox])) if (item.kind !== 'error') raws.push({ raw: item.raw, input: item.input });
    expect(raws.length).toBeGreaterThan(CHANGES.length / 2);
    const analyses = async (shift: number): Promise<ReturnType<typeof analyzePost>[]> => {
      const out: ReturnType<typeof analyzePost>[] = [];
      for (let k = 0; k < raws.length; k++) {
        const { raw, input } = raws[k]!;
        const mail = await parseMail(raw, input);
        const pa = analyzePost(mail, mail.id);
        const [, change] = CHANGES[(k + shift) % CHANGES.length]!;
        out.push({ ...pa, post: change(pa.post) });
      }
      return out;
    };
    // each post takes every change once over the shifts; the last post (rendered straight) too
    for (let shift = 0; shift < CHANGES.length; shift++) {
      const memory = new Corpus({ keepQuestions: false });
      for (const pa of await analyses(shift)) memory.add(pa);
      const want = new Collect();
      await writeJsonDocument(memory.finish().doc, want);
      const spill = new SpillCorpus({ tmpDir: work });
      for (const pa of await analyses(shift)) spill.add(pa);
      const got = new Collect();
      await spill.writeJson(got);
      expect(got.text() === want.text(), CHANGES[shift]![0]).toBe(true);
    }
  }, 60_000);
});
