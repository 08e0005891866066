// GroupAccumulator.threadsAsked: listing only the threads of "same" statements with an organisation
// under groupsOfThread gives buildFindings exactly what listing every thread gives.

import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import { buildFindings, GroupAccumulator, resolveFinding, threadsAskedBy } from '../src/correlate/correlate.js';
import type { Observation } from '../src/contract.js';
import { seedArchive } from './helpers/seed-archive.js';
import { DEFAULT_SHAPE, writeArchive } from '../bench/generate.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-threads-asked-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('GroupAccumulator.threadsAsked', () => {
  it('gives the same findings as tracking every thread, on corpora with "same" statements', async () => {
    const seed = join(work, 'seed.mbox');
    writeFileSync(seed, seedArchive(30));
    const mbox = join(work, 'generated.mbox');
    await writeArchive(mbox, 1500, 20010906, { ...DEFAULT_SHAPE, recordShare: 0.3, pasteEvery: 1_000_000, attachmentShare: 0.01 });
    for (const paths of [[mbox], [seed], ['fixtures/seed'], ['fixtures/demo-list'], ['fixtures/field']]) {
      const { result } = await analyzeInputs(paths);
      const { posts, observations } = result.doc;
      const statements = result.statements;
      const threadOf = new Map(posts.map((p) => [p.id, p.thread]));
      const findingsWith = (asked: ReadonlySet<string> | null): unknown[] => {
        const acc = new GroupAccumulator();
        acc.threadsAsked = asked;
        observations.forEach((o: Observation, i) => {
          if (o.duplicateOf === undefined) acc.add(o, threadOf.get(o.post) ?? o.post, i);
        });
        return Array.from(buildFindings(acc, statements, []), (p) => resolveFinding(p, (i) => (observations[i] as Observation).id));
      };
      const asked = threadsAskedBy(statements);
      const all = findingsWith(null);
      expect(findingsWith(asked)).toEqual(all);
      if (paths[0] === mbox) {
        // the corpus has statements that corroborate, and threads nobody comments on
        expect(asked.size).toBeGreaterThan(0);
        expect(new Set(posts.map((p) => p.thread)).size).toBeGreaterThan(asked.size);
        expect(JSON.stringify(all)).toContain('"via"');
      }
    }
  }, 60_000);
});
