// The spilling corpus finds a stored observation's group facts by GroupAccumulator.groupNumberOf
// before the key string (SpillCorpus.factsId): two observations with the same number must have the
// same group key (else the second would be filed under the first's group), and groupFactsOf's key
// must be groupKey's. Pinned over backscatter (its from-port: the sport, or the dport when the actor
// is the destination), dport null, ports 0, 65535 and out of range, every class and /16 edges.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../src/contract.js';
import { GroupAccumulator, groupKey, quadNumber } from '../src/correlate/correlate.js';
import { seedObservations } from './helpers/brains-seed.js';

const CLASSES = ['syn-rejected', 'syn-no-answer', 'syn-unanswered', 'backscatter', 'midstream', 'established', 'udp', 'icmp-echo', 'stealth-probe', 'alert', 'unknown', 'icmp-error'];
const QUADS = ['141.8.2.61', '141.8.200.1', '141.9.2.61', '10.0.0.1', '10.0.255.255', '10.1.0.0', '255.255.255.255', '0.0.0.0', '0.1.0.0', '192.0.2.10'];
const PORTS: Array<number | null> = [null, 0, -0, 1, 80, 443, 65535, 65536, -1, 1.5, 2 ** 32 + 80, 2 ** 16 * 65537];

const observation = fc.record({
  cls: fc.constantFrom(...CLASSES),
  proto: fc.constantFrom('tcp', 'TCP', 'udp', null),
  srcFlags: fc.constantFrom('S', null, 'SA'),
  dstFlags: fc.constantFrom(null, 'R'),
  src: fc.constantFrom(...QUADS),
  dst: fc.constantFrom(...QUADS),
  actorIsDst: fc.boolean(),
  sport: fc.constantFrom(...PORTS),
  dport: fc.constantFrom(...PORTS),
});

type Spec = typeof observation extends fc.Arbitrary<infer T> ? T : never;

describe('GroupAccumulator.groupNumberOf', () => {
  const [template] = seedObservations() as [Observation];
  const make = (s: Spec, i: number): Observation => ({
    ...template,
    id: `obs-${i}`,
    class: s.cls as Observation['class'],
    proto: s.proto,
    srcFlags: s.srcFlags,
    dstFlags: s.dstFlags,
    src: s.src,
    dst: s.dst,
    sport: s.sport,
    dport: s.dport,
    actor: s.actorIsDst ? s.dst : s.src,
    target: s.actorIsDst ? s.src : s.dst,
  });

  it('names one group key: equal numbers, equal keys (and groupFactsOf gives groupKey, groupFactsOfNumber the same facts)', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 2, maxLength: 60 }), (specs) => {
        const acc = new GroupAccumulator();
        const keyOfNumber = new Map<number, string>();
        specs.forEach((s, i) => {
          const o = make(s, i);
          const quad = quadNumber(o.actor as string) as number;
          const key = groupKey(o);
          expect(acc.groupFactsOf(o, quad).key).toBe(key);
          const n = acc.groupNumberOf(o, quad);
          if (n < 0) return;
          expect(Number.isSafeInteger(n)).toBe(true);
          // the spill stores n without the /16 and works the facts out from the number alone
          expect(Math.floor(n / 65536) | 0).toBe(Math.floor(n / 65536));
          expect(acc.groupFactsOfNumber(n)).toEqual(acc.groupFactsOf(o, quad));
          const known = keyOfNumber.get(n);
          if (known === undefined) keyOfNumber.set(n, key);
          else expect(key, JSON.stringify(s)).toBe(known);
        });
      }),
      { numRuns: 2000 },
    );
  });
});
