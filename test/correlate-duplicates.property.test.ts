import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../src/contract.js';
import { duplicateKey, markDuplicates, markDuplicatesInPlace, wallClockDuplicateKey } from '../src/correlate/duplicates.js';
import { seedObservations } from './helpers/brains-seed.js';
import { duplicateKey as referenceKey, markDuplicates as referenceMark, wallClockDuplicateKey as referenceWallClockKey } from './helpers/duplicates-reference.js';

// markDuplicates builds its two keys per record from shared parts and asks the index fewer
// times: on random records that share fields, seconds (at several offsets), posts and quoting,
// including text fields holding the `|` the keys are joined with, it must mark what it marked.
const [template] = seedObservations() as [Observation];

/** mostly the first value, so that records often share every field but one */
function mostly<T>(common: T, ...others: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(common) }, { weight: 1, arbitrary: fc.constantFrom(common, ...others) });
}

const record = fc.record({
  source: mostly('argus', 'snort', 'snort|x'),
  proto: mostly('tcp', 'TCP', 'udp', null, 'a|b'),
  src: mostly('10.0.0.1', 'Host.Example', null),
  sport: mostly(80, null),
  dst: mostly('10.0.0.2', '10.0.0.1|80'),
  dport: mostly(1025, null),
  time: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('+12:00', '+00:00', 'Z', '-05:00'), fc.constantFrom('', '.5', '.999')).map(
      ([s, off, frac]) => `2001-09-06T07:10:0${s}${frac}${off}`,
    ),
    fc.constantFrom(null, 'yesterday', 'x|y', '2001-09-06T07:10:01'),
  ),
  srcFlags: mostly('S', null, ''),
  state: mostly('CON', null, 'A|B'),
  srcPkts: mostly(1, 2, null),
  sig: mostly(undefined, '1:1002', '1:1|2'),
  post: fc.constantFrom('p1', 'p2', 'p3'),
  quoted: fc.boolean(),
  stale: fc.boolean(),
});

describe('markDuplicates matches the reference', () => {
  it('on random records that share keys', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (specs) => {
        const obs = specs.map((s, i): Observation => {
          const o: Observation = { ...template, id: `o${i}`, source: s.source as Observation['source'], proto: s.proto, src: s.src, sport: s.sport, dst: s.dst, dport: s.dport, time: s.time, srcFlags: s.srcFlags, state: s.state, srcPkts: s.srcPkts, post: s.post, quoted: s.quoted };
          delete o.signature;
          if (s.sig !== undefined) o.signature = { id: s.sig };
          if (s.stale) o.duplicateOf = 'stale';
          return o;
        });
        // the bot's store keeps both keys in its database: they must stay what they were
        for (const o of obs) {
          expect(duplicateKey(o)).toBe(referenceKey(o));
          expect(wallClockDuplicateKey(o)).toBe(referenceWallClockKey(o));
        }
        const want = referenceMark(obs).map((o) => o.duplicateOf);
        expect(markDuplicates(obs).map((o) => o.duplicateOf)).toEqual(want);
        const inPlace = obs.map((o) => ({ ...o }));
        markDuplicatesInPlace(inPlace);
        expect(inPlace.map((o) => o.duplicateOf)).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });
});
