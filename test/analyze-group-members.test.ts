// The spill keeps the groups' members in a file (GroupMembersFile), read back by group in runs
// sorted one at a time: each group's addresses, reporters and references must be those the in-memory lists
// (MemoryGroupMembers) give, in the same order, whatever the run size; and a whole document made
// with runs of a few members must be the in-memory corpus's bytes.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE, writeArchive } from '../bench/generate.js';
import { GroupMembersFile } from '../src/analyze/group-members-file.js';
import { analyzeInputs } from '../src/analyze/run.js';
import { writeJsonDocument } from '../src/analyze/json-out.js';
import { ACTOR_QUAD, MemoryGroupMembers, NO_TARGET, TARGET_QUAD } from '../src/correlate/correlate.js';
import { Collect } from './helpers/collect.js';
import { spilledDocument } from './helpers/both-ways.js';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'listwatch-group-members-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

let files = 0;
function membersFile(bucket: number | undefined): GroupMembersFile {
  const k = files++;
  return new GroupMembersFile({ members: join(work, `m${k}`), runs: join(work, `r${k}`), refs: join(work, `f${k}`) }, bucket);
}

const sorted = (v: Uint32Array): number[] => Array.from(v).sort((a, b) => a - b);

// a member: its group (a new one, or one made before), its actor and target numbers (any 32 bits) and kind
const member = fc.record({
  newGroup: fc.boolean(),
  pick: fc.nat(),
  actor: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  target: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  kind: fc.constantFrom(ACTOR_QUAD, ACTOR_QUAD | TARGET_QUAD, ACTOR_QUAD | NO_TARGET, TARGET_QUAD, 0),
  org: fc.integer({ min: -1, max: 5 }),
});

describe('GroupMembersFile', () => {
  it("gives each group's addresses, reporters and references as the in-memory lists do, for any run size", () => {
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 300 }), fc.constantFrom<number | undefined>(1, 2, 7, 64, 1 << 17, undefined), fc.nat(), (members, bucket, shuffle) => {
        const memory = new MemoryGroupMembers();
        const file = membersFile(bucket);
        const counts: number[] = [];
        members.forEach((m, ref) => {
          const group = m.newGroup || counts.length === 0 ? counts.length : m.pick % counts.length;
          counts[group] = (counts[group] ?? 0) + 1;
          memory.push(group, ref, m.actor, m.target, m.kind, m.org);
          file.push(group, ref, m.actor, m.target, m.kind, m.org);
        });
        try {
          for (let g = 0; g < counts.length; g++) {
            const want = memory.readGroup(g, counts[g] as number);
            const got = file.readGroup(g, counts[g] as number);
            expect(sorted(got.actors)).toEqual(sorted(want.actors));
            expect(sorted(got.targets)).toEqual(sorted(want.targets));
            expect(sorted(got.orgs)).toEqual(sorted(want.orgs));
          }
          memory.releaseAddresses();
          file.releaseAddresses();
          // the findings ask for their groups in another order
          for (let k = 0; k < counts.length; k++) {
            const g = (k * 7 + shuffle) % counts.length;
            const want: number[] = [];
            const got: number[] = [];
            memory.forEachRef(g, (r) => want.push(r));
            file.forEachRef(g, (r) => got.push(r));
            expect(got).toEqual(want);
          }
        } finally {
          file.close();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the references of groups whose addresses were never asked, and refuses a group asked out of order or a member added late', () => {
    const file = membersFile(2);
    for (let ref = 0; ref < 10; ref++) file.push(ref % 4, ref, ref, ref, ACTOR_QUAD, ref % 3 === 0 ? -1 : ref);
    const first = file.readGroup(0, 3);
    expect(sorted(first.actors)).toEqual([0, 4, 8]);
    expect(sorted(first.orgs)).toEqual([4, 8]);
    expect(sorted(file.readGroup(2, 2).actors)).toEqual([2, 6]);
    expect(() => file.readGroup(1, 3)).toThrow(/asked after a later one/);
    expect(() => file.push(0, 10, 0, 0, 0, -1)).toThrow(/after the groups were read/);
    const refs: number[] = [];
    file.forEachRef(3, (r) => refs.push(r));
    file.forEachRef(1, (r) => refs.push(r));
    expect(refs).toEqual([3, 7, 1, 5, 9]);
    file.close();
  });
});

describe('the spill with its group members read back a few at a time', () => {
  it('writes the in-memory corpus bytes on a generated archive', async () => {
    const mbox = join(work, 'generated.mbox');
    await writeArchive(mbox, 300, 20010906, { ...DEFAULT_SHAPE, recordShare: 0.3, pasteEvery: 1_000_000, attachmentShare: 0.01 });
    const { result } = await analyzeInputs([mbox], { keepQuestions: false });
    const want = new Collect();
    await writeJsonDocument(result.doc, want);
    const doc = JSON.parse(want.text()) as { findings: Array<{ observations: string[] }> };
    expect(doc.findings.length).toBeGreaterThan(10);
    expect(doc.findings.some((f) => f.observations.length > 3)).toBe(true);
    const spillDir = mkdtempSync(join(work, 'spill-'));
    for (const groupRun of [3, 50]) {
      expect((await spilledDocument([mbox], { tmpDir: spillDir, groupRun })) === want.text()).toBe(true);
      expect(readdirSync(spillDir)).toEqual([]);
    }
  }, 120_000);
});
