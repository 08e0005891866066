import { describe, expect, it } from 'vitest';
import { markDuplicates } from '../src/correlate/duplicates.js';
import type { Observation } from '../src/contract.js';
import { RUSSELL, seedObservations } from './helpers/brains-seed.js';

describe('markDuplicates', () => {
  it('a re-quoted copy points at the original, which is the non-quoted occurrence even if it comes later', () => {
    const quotedCopy = seedObservations('reply', 'q');
    const original = seedObservations('original', 'o').map((o) => ({ ...o, quoted: false }));
    const out = markDuplicates([...quotedCopy, ...original]);
    const byId = new Map(out.map((o) => [o.id, o]));
    expect(byId.get('q-r2')?.duplicateOf).toBe('o-r2');
    expect(byId.get('o-r2')?.duplicateOf).toBeUndefined();
    expect(out.filter((o) => o.duplicateOf !== undefined)).toHaveLength(12);
  });

  it('without a non-quoted occurrence the first one is the original', () => {
    const a = seedObservations('p1', 'a');
    const b = seedObservations('p2', 'b');
    const out = markDuplicates([...a, ...b]);
    expect(out.find((o) => o.id === 'b-a1')?.duplicateOf).toBe('a-a1');
    expect(out.find((o) => o.id === 'a-a1')?.duplicateOf).toBeUndefined();
  });

  it('different counts, flags, time or signature are different records', () => {
    const [base] = seedObservations('p1', 'a').slice(2) as [Observation];
    const variants: Observation[] = [
      { ...base, id: 'x1', post: 'p2', srcPkts: 2 },
      { ...base, id: 'x2', post: 'p2', srcFlags: 'PA' },
      { ...base, id: 'x3', post: 'p2', time: '2001-09-06T00:02:35+12:00' },
      { ...base, id: 'x4', post: 'p2', signature: { id: '1:1002' } },
    ];
    expect(markDuplicates([base, ...variants]).every((o) => o.duplicateOf === undefined)).toBe(true);
    // the same second written with another offset is the same record
    const same: Observation = { ...base, id: 'x5', post: 'p2', time: '2001-09-05T12:02:34Z' };
    expect(markDuplicates([base, same])[1]?.duplicateOf).toBe(base.id);
  });

  it('returns new objects and clears stale marks', () => {
    const obs = seedObservations('p1', 'a').map((o) => ({ ...o, duplicateOf: 'stale', reporter: RUSSELL }));
    const out = markDuplicates(obs);
    expect(out.every((o) => o.duplicateOf === undefined)).toBe(true);
    expect(obs[0]?.duplicateOf).toBe('stale');
  });
});

describe('markDuplicates: zoneless log lines given different offsets', () => {
  it('a quoted copy whose time took the replying post\'s offset is still a copy', () => {
    const orig = seedObservations('p1', 'a').map((o) => ({ ...o, quoted: false, time: '2026-11-25T12:05:12+01:00' }));
    const copy = seedObservations('p2', 'b').map((o) => ({ ...o, time: '2026-11-25T12:05:12+13:00' }));
    const out = markDuplicates([...copy, ...orig]);
    expect(out.find((o) => o.id === 'b-r3')?.duplicateOf).toBe('a-r3');
    expect(out.filter((o) => o.duplicateOf === undefined).map((o) => o.post)).toEqual(Array(12).fill('p1'));
  });
});
