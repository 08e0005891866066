// The findings' statements, thread pairs and records off the heap (eighth session): the statements
// in a file (StatementFile), the asked threads given to the groups as numbers with their (thread,
// group) pairs in a flat list (GroupAccumulator.groupsOfThreadRef), the findings' sort keys in
// typed lists and their records in a file (FindingRecordFile). Each must give back exactly what
// the objects gave, and close its file.

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, Observation } from '../src/contract.js';
import { buildFindings, GroupAccumulator, groupKey, resolveFinding, type GroupFindingRecord } from '../src/correlate/correlate.js';
import type { ProseStatement } from '../src/correlate/types.js';
import { StatementFile } from '../src/analyze/statement-file.js';
import { FindingRecordFile } from '../src/analyze/finding-record-file.js';
import { analyzeInputs, analyzeInputsToJson } from '../src/analyze/run.js';
import { writeJsonDocument } from '../src/analyze/json-out.js';
import { groupPrefix } from '../src/correlate/prefix.js';
import { seedObservations } from './helpers/brains-seed.js';
import { statementCorpora } from './helpers/statement-corpora.js';
import { Collect } from './helpers/collect.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-spill-statements-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const openFds = (): number => readdirSync('/proc/self/fd').length;

function folder(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const statement = (k: number, text: string): ProseStatement => ({
  post: `p${k}@example.org`,
  thread: k % 3 === 0 ? `Re: subject \ud800 ${k}` : `t${k % 5}@example.org`,
  org: k % 2 === 0 ? `org-${k % 7}.example` : `ünïcode ${k} \udc00`,
  quote: text,
  polarity: 'same',
  details: k % 4 === 0 ? ['no-handshake', 'firewalled'] : [],
  via: k % 5 === 0 ? 'llm' : 'rule',
});

describe('StatementFile', () => {
  it('gives back every statement in order and by number, with its thread number, and closes its files', () => {
    const before = openFds();
    const file = new StatementFile(join(work, 'statements.bin'));
    const want: ProseStatement[] = [];
    for (let k = 0; k < 3000; k++) {
      // long quotes now and then: records across the read chunks
      const s = statement(k, k % 500 === 0 ? 'x'.repeat(400_000 + k) : `we see port ${k} "too"\nline two`);
      want.push(structuredClone(s));
      file.append(s, k % 4 === 0 ? -1 : k * 3);
    }
    expect(file.length).toBe(3000);
    expect([...file]).toEqual(want);
    for (const k of [0, 1, 2, 499, 500, 501, 1777, 2999]) {
      expect(file.at(k)).toEqual(want[k]);
      expect(file.threadOf(k)).toBe(k % 4 === 0 ? -1 : k * 3);
    }
    expect(file.at(3000)).toBeUndefined();
    expect(file.at(-1)).toBeUndefined();
    file.close();
    expect(openFds()).toBe(before);
  });
});

describe('FindingRecordFile', () => {
  it('gives back every record by number, nulls, an undefined family and lone surrogates included, and closes its files', () => {
    const before = openFds();
    const file = new FindingRecordFile(join(work, 'records.bin'));
    const want: GroupFindingRecord[] = [];
    for (let k = 0; k < 2000; k++) {
      const r: GroupFindingRecord = {
        id: `f-${k.toString(16).padStart(12, '0')}`,
        kind: k % 2 === 0 ? 'campaign' : 'cross-reporter',
        group: k * 7,
        actors: k % 13,
        targets: k % 11,
        records: k + 1,
        actorPrefix: `10.${k % 256}.0.0/16`,
        behaviour: k % 3 === 0 ? 'backscatter' : 'syn',
        dport: k % 5 === 0 ? null : k % 65536,
        family: k % 4 === 0 ? undefined : `Family ${k}`,
        fromPort: k % 3 === 0 ? 80 : null,
        reporters: k % 6 === 0 ? [] : [`org \ud83d ${k}`, `org-${k}`],
        first: k % 7 === 0 ? null : `2001-09-06T${String(k % 24).padStart(2, '0')}:00:00Z`,
        last: k % 7 === 0 ? null : '2001-09-07T00:00:00Z',
        statements: Array.from({ length: k % 4 }, (_, j) => k + j),
      };
      want.push(structuredClone(r));
      expect(file.push(r)).toBe(k);
    }
    for (const k of [0, 1, 3, 4, 999, 1999, 1000, 7]) expect(file.at(k)).toEqual(want[k]);
    expect('family' in file.at(0)).toBe(false);
    file.close();
    expect(openFds()).toBe(before);
  });
});

const ADDRESSES = ['141.8.2.61', '141.8.200.1', '141.9.2.61', '10.0.0.1', '192.0.2.10', '2001:db8::1', 'host.example'];

describe('GroupAccumulator with threads given as numbers', () => {
  const [template] = seedObservations() as [Observation];

  it("lists each thread's groups once each, the groups its members were added with (-1: none)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ actor: fc.constantFrom(...ADDRESSES), dport: fc.constantFrom(80, 443, 1434, null), thread: fc.integer({ min: -1, max: 6 }) }), { minLength: 1, maxLength: 120 }),
        (specs) => {
          const acc = new GroupAccumulator();
          const want = new Map<number, Set<string>>();
          specs.forEach((s, i) => {
            const o: Observation = { ...template, id: `obs-${i}`, class: 'syn-unanswered', src: s.actor, actor: s.actor, dport: s.dport, target: '192.0.2.1', dst: '192.0.2.1' };
            acc.add(o, s.thread, i);
            // an actor without a /16 (or /48) is in no group
            if (s.thread < 0 || groupPrefix(s.actor) === null) return;
            let keys = want.get(s.thread);
            if (!keys) want.set(s.thread, (keys = new Set()));
            keys.add(groupKey(o));
          });
          for (let t = -1; t <= 7; t++) {
            const got = (acc.groupsOfThreadRef(t) ?? []).map((g) => g.key).sort();
            expect(got).toEqual([...(want.get(t) ?? [])].sort());
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives buildFindings what the threads by name give, on corpora with "same" statements', async () => {
    for (const paths of await statementCorpora(folder('corpora-a'))) {
      const { result } = await analyzeInputs(paths);
      const { posts, observations } = result.doc;
      const statements = result.statements;
      const threadOf = new Map(posts.map((p) => [p.id, p.thread]));
      const findings = (byNumber: boolean): Finding[] => {
        const acc = new GroupAccumulator();
        const numberOf = new Map<string, number>();
        for (const s of statements) if (s.polarity === 'same' && s.org && !numberOf.has(s.thread)) numberOf.set(s.thread, numberOf.size);
        acc.threadsAsked = new Set(numberOf.keys());
        observations.forEach((o: Observation, i) => {
          const thread = threadOf.get(o.post) ?? o.post;
          if (o.duplicateOf === undefined) acc.add(o, byNumber ? (numberOf.get(thread) ?? -1) : thread, i);
        });
        const list = byNumber ? Object.assign([...statements], { threadOf: (k: number) => numberOf.get((statements[k] as ProseStatement).thread) ?? -1 }) : statements;
        return Array.from(buildFindings(acc, list, []), (p) => resolveFinding(p, (i) => (observations[i] as Observation).id));
      };
      const byName = findings(false);
      expect(findings(true)).toEqual(byName);
      if (paths[0]!.endsWith('generated.mbox')) expect(JSON.stringify(byName)).toContain('"via"');
    }
  }, 60_000);
});

describe('buildFindings order keys', () => {
  it('sorts by kind, first time and id, ids of any form compared as strings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((v) => `f-${v.toString(16).padStart(12, '0')}`), fc.string({ maxLength: 6 })), first: fc.constantFrom(null, '2001-09-06T00:00:00Z', '2001-09-06T00:00:01Z', 'bad') }), { maxLength: 40 }),
        (specs) => {
          const ids = new Set<string>();
          const same: Finding[] = [];
          for (const s of specs) {
            if (ids.has(s.id)) continue;
            ids.add(s.id);
            same.push({ id: s.id, kind: 'same-traffic', behaviour: 'syn', actorPrefix: '10.0.0.1/32', dport: 80, reporters: [], corroborating: [], observations: [], first: s.first, last: s.first, summary: '' });
          }
          const got = Array.from(buildFindings(new GroupAccumulator(), [], same), (p) => p.finding.id);
          const ms = (f: Finding): number => (f.first === null ? 0 : Number.isFinite(Date.parse(f.first)) ? Date.parse(f.first) : 0);
          const want = [...same].sort((a, b) => ms(a) - ms(b) || (a.id < b.id ? -1 : 1)).map((f) => f.id);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the spill with statements', () => {
  it('writes the in-memory bytes on corpora with "same" statements, and closes every file it opened', async () => {
    for (const paths of await statementCorpora(folder('corpora-b'))) {
      const { result } = await analyzeInputs(paths, { keepQuestions: false });
      const memory = new Collect();
      await writeJsonDocument(result.doc, memory);
      const before = openFds();
      const spilled = new Collect();
      await analyzeInputsToJson(paths, spilled, { tmpDir: work });
      expect(openFds()).toBe(before);
      expect(spilled.text() === memory.text()).toBe(true);
    }
  }, 120_000);
});
