// Second read of the groups' members file: a group larger than a run is a run of its own, and
// reading it must not hold its members several times over. Sorting it like any run held the run as
// read (20 bytes a member), its sorted columns (17) and the read arrays (12): ~49 bytes a member at
// once, so a corpus whose observations fall mostly in one group (a /16 scanning one port) peaked
// higher than when the members were kept on the heap (17 a member): 360 MB against 319 MB for one
// group of 2,000,000 members. Its members are in order already: read a chunk at a time.

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupMembersFile } from '../src/analyze/group-members-file.js';
import { ACTOR_QUAD, MemoryGroupMembers, TARGET_QUAD } from '../src/correlate/correlate.js';
import { fullGc } from './helpers/gc.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-group-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const arrayBytes = (): number => {
  fullGc();
  fullGc();
  return process.memoryUsage().arrayBuffers;
};

describe('GroupMembersFile, a group larger than a run', () => {
  for (const others of [0, 5]) {
    it(`reads it holding ~12 bytes a member (the read arrays), not the run three times over (${others === 0 ? 'the only run' : 'among other runs'})`, () => {
      const n = 400_000;
      const k = files++;
      const file = new GroupMembersFile({ members: join(work, `m${k}`), runs: join(work, `r${k}`), refs: join(work, `f${k}`) });
      const memory = new MemoryGroupMembers();
      const push = (group: number, ref: number, actor: number, target: number, kind: number, org: number): void => {
        file.push(group, ref, actor, target, kind, org);
        memory.push(group, ref, actor, target, kind, org);
      };
      let ref = 0;
      for (; ref < n; ref++) push(0, ref, (ref * 2654435761) | 0, ref % 9 === 0 ? 0 : ref, ref % 9 === 0 ? ACTOR_QUAD : ACTOR_QUAD | TARGET_QUAD, ref % 5 === 0 ? -1 : ref % 3);
      for (let g = 1; g <= others; g++) for (let m = 0; m < 3; m++) push(g, ref++, g, m, ACTOR_QUAD, g);
      try {
        const before = arrayBytes();
        const got = file.readGroup(0, n);
        const held = arrayBytes() - before;
        expect(held).toBeLessThan(n * 16);
        const want = memory.readGroup(0, n);
        expect(got.actors.length).toBe(want.actors.length);
        expect(got.targets.length).toBe(want.targets.length);
        expect(got.orgs.length).toBe(want.orgs.length);
        expect(Array.from(got.actors).sort()).toEqual(Array.from(want.actors).sort());
        expect(Array.from(got.targets).sort()).toEqual(Array.from(want.targets).sort());
        expect(Array.from(got.orgs).sort()).toEqual(Array.from(want.orgs).sort());
        for (let g = 1; g <= others; g++) expect(Array.from(file.readGroup(g, 3).actors)).toEqual([g, g, g]);
        file.releaseAddresses();
        memory.releaseAddresses();
        for (let g = others; g >= 0; g--) {
          const a: number[] = [];
          const b: number[] = [];
          file.forEachRef(g, (r) => a.push(r));
          memory.forEachRef(g, (r) => b.push(r));
          expect(a.length).toBe(b.length);
          expect(a.every((r, i) => r === b[i])).toBe(true);
        }
      } finally {
        file.close();
      }
    }, 60_000);
  }

  it('gives the references of a large group whose addresses were never read', () => {
    const k = files++;
    const file = new GroupMembersFile({ members: join(work, `m${k}`), runs: join(work, `r${k}`), refs: join(work, `f${k}`) }, 1000);
    for (let ref = 0; ref < 50_000; ref++) file.push(ref < 40_000 ? 1 - (ref % 2) : 2, ref, ref, 0, ACTOR_QUAD, -1);
    try {
      file.releaseAddresses();
      for (const [g, want] of [
        [0, Array.from({ length: 20_000 }, (_, i) => i * 2 + 1)],
        [1, Array.from({ length: 20_000 }, (_, i) => i * 2)],
        [2, Array.from({ length: 10_000 }, (_, i) => 40_000 + i)],
      ] as const) {
        const got: number[] = [];
        file.forEachRef(g, (r) => got.push(r));
        expect(got.length).toBe(want.length);
        expect(got.every((r, i) => r === want[i])).toBe(true);
      }
    } finally {
      file.close();
    }
  });
});

describe('GroupMembersFile, a file that cannot be opened', () => {
  it('closes the files it opened before it throws (the spill cannot close what it was never given)', () => {
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    for (const bad of ['runs', 'refs'] as const) {
      const k = files++;
      const paths = { members: join(work, `m${k}`), runs: join(work, `r${k}`), refs: join(work, `f${k}`) };
      // a folder where a file should be: opening it for writing fails (EISDIR)
      mkdirSync(paths[bad]);
      const before = openFds();
      expect(() => new GroupMembersFile(paths)).toThrow(/EISDIR/);
      expect(openFds()).toBe(before);
    }
  });
});

let files = 0;
