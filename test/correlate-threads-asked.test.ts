// GroupAccumulator.threadsAsked: listing only the threads of "same" statements with an organisation
// under groupsOfThread gives buildFindings exactly what listing every thread gives.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import { buildFindings, GroupAccumulator, resolveFinding, threadsAskedBy } from '../src/correlate/correlate.js';
import type { Observation } from '../src/contract.js';
import { statementCorpora } from './helpers/statement-corpora.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-threads-asked-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('GroupAccumulator.threadsAsked', () => {
  it('gives the same findings as tracking every thread, on corpora with "same" statements', async () => {
    for (const paths of await statementCorpora(work)) {
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
      if (paths[0]!.endsWith('generated.mbox')) {
        // the corpus has statements that corroborate, and threads nobody comments on
        expect(asked.size).toBeGreaterThan(0);
        expect(new Set(posts.map((p) => p.thread)).size).toBeGreaterThan(asked.size);
        expect(JSON.stringify(all)).toContain('"via"');
      }
    }
  }, 60_000);
});
