// buildFindings sorts the groups by their findings' order key (kind, first time, id) before it
// builds any finding, builds each only as it is taken, and lets go of the accumulator's groups by
// key and thread and of the members' addresses once they are counted.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import { buildFindings, GroupAccumulator, MemoryFindingRecords, resolveFinding, threadsAskedBy } from '../src/correlate/correlate.js';
import type { Finding, Observation } from '../src/contract.js';
import { statementCorpora } from './helpers/statement-corpora.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-findings-order-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const RANK: Record<string, number> = { 'cross-reporter': 0, campaign: 1, 'same-traffic': 2 };
const firstMs = (f: Finding): number => (f.first === null ? 0 : Date.parse(f.first) || 0);

describe('buildFindings', () => {
  it('gives the findings in (kind, first, id) order, each built when taken, and lets go of the groups', async () => {
    for (const paths of await statementCorpora(work)) {
      const { result } = await analyzeInputs(paths);
      const { posts, observations } = result.doc;
      const statements = result.statements;
      const threadOf = new Map(posts.map((p) => [p.id, p.thread]));
      const acc = new GroupAccumulator();
      acc.threadsAsked = threadsAskedBy(statements);
      observations.forEach((o: Observation, i) => {
        if (o.duplicateOf === undefined) acc.add(o, threadOf.get(o.post) ?? o.post, i);
      });
      const groupCount = acc.groups.size;
      expect(groupCount).toBeGreaterThan(0);
      // a group finding is built from its record, taken as the finding is
      const records = new MemoryFindingRecords();
      const taken = vi.spyOn(records, 'at');
      const pending = buildFindings(acc, statements, [], records);
      // counted and sorted, none built yet; the groups without a finding let go
      expect(taken).toHaveBeenCalledTimes(0);
      expect(acc.groups.size).toBe(0);
      expect(acc.groupsOfThread.size).toBe(0);
      const findings: Finding[] = [];
      for (const p of pending) {
        findings.push(resolveFinding(p, (i) => (observations[i] as Observation).id));
        expect(taken).toHaveBeenCalledTimes(findings.length);
      }
      expect(findings.length).toBeLessThanOrEqual(groupCount);
      for (let i = 1; i < findings.length; i++) {
        const a = findings[i - 1] as Finding;
        const b = findings[i] as Finding;
        const byKey = RANK[a.kind]! - RANK[b.kind]! || firstMs(a) - firstMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        expect(byKey, `${a.id} before ${b.id}`).toBeLessThan(0);
      }
      // the document's findings (correlate over the same corpus) are these
      expect(findings).toEqual(result.doc.findings.filter((f) => f.kind !== 'same-traffic'));
      if (paths[0]!.endsWith('generated.mbox')) {
        expect(findings.length).toBeGreaterThan(10);
        expect(new Set(findings.map((f) => f.kind)).size).toBe(2);
        expect(new Set(findings.filter((f) => f.kind === 'campaign').map((f) => f.first)).size).toBeGreaterThan(1);
      }
    }
  }, 60_000);
});
