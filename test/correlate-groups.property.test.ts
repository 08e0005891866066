// GroupAccumulator.add finds a dotted-quad actor's group by a number (behaviour, port, the /16)
// instead of its key string: the groups must be those of groupKey, the key string itself, with the
// same members in the same order and the same port rule (a member on another port leaves the group
// without one), whatever the ports (null, out of range, fractional) and actors (dotted quads and not).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../src/contract.js';
import { GroupAccumulator, groupKey, quadNumber } from '../src/correlate/correlate.js';
import { decimalQuadBytes } from '../src/net/ipv4.js';
import { groupPrefix } from '../src/correlate/prefix.js';
import { seedObservations } from './helpers/brains-seed.js';

const CLASSES = ['syn-rejected', 'syn-no-answer', 'backscatter', 'midstream', 'established', 'udp', 'icmp-echo', 'stealth-probe', 'alert', 'unknown', 'icmp-error'];
const ADDRESSES = ['141.8.2.61', '141.8.200.1', '141.9.2.61', '10.0.0.1', '10.0.255.255', '255.255.255.255', '0.0.0.0', '2001:db8::1', '010.0.0.1', 'host.example', '192.0.2.10'];
const PORTS: Array<number | null> = [null, 0, 80, 80, 443, 65535, 65536, -1, 1.5, 2 ** 32 + 80];

const observation = fc.record({
  cls: fc.oneof(fc.constant('backscatter'), fc.constantFrom(...CLASSES)),
  proto: fc.constantFrom('tcp', 'TCP', 'udp', null),
  srcFlags: fc.constantFrom('S', null, 'SA'),
  src: fc.constantFrom(...ADDRESSES),
  dst: fc.constantFrom(...ADDRESSES),
  actorIsDst: fc.boolean(),
  sport: fc.constantFrom(...PORTS),
  dport: fc.constantFrom(...PORTS),
  noTarget: fc.boolean(),
});

describe('GroupAccumulator groups', () => {
  const [template] = seedObservations() as [Observation];

  it('are the groups of groupKey: same keys, members in order, ports', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 80 }), (specs) => {
        const acc = new GroupAccumulator();
        const want = new Map<string, { members: number[]; dport: number | null }>();
        specs.forEach((s, i) => {
          const o: Observation = {
            ...template,
            id: `obs-${i}`,
            class: s.cls as Observation['class'],
            proto: s.proto,
            srcFlags: s.srcFlags,
            dstFlags: null,
            src: s.src,
            dst: s.dst,
            sport: s.sport,
            dport: s.dport,
            actor: s.actorIsDst ? s.dst : s.src,
            target: s.noTarget ? null : s.actorIsDst ? s.src : s.dst,
          };
          acc.add(o, 'thread', i);
          // an actor without a /16 (or /48) is in no group
          if (o.actor === null || groupPrefix(o.actor) === null) return;
          const key = groupKey(o);
          const w = want.get(key);
          if (!w) want.set(key, { members: [i], dport: o.dport });
          else {
            w.members.push(i);
            if (w.dport !== o.dport) w.dport = null;
          }
        });
        expect([...acc.groups.keys()]).toEqual([...want.keys()]);
        for (const [key, g] of acc.groups) {
          expect(acc.membersOfGroup(g.index)).toEqual(want.get(key)!.members);
          expect(g.dport).toBe(want.get(key)!.dport);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('quadNumber', () => {
  it("is decimalQuadBytes' four bytes as one number, and null where it is null", () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('', '0', '00', '01', '256', '999', '1000', '-1', 'a', ' 1', '1 ', '+1', '0x1'));
    const dotted = fc.array(part, { minLength: 1, maxLength: 6 }).map((ps) => ps.join('.'));
    fc.assert(
      fc.property(fc.oneof(dotted, fc.string({ maxLength: 16 }), fc.stringMatching(/^[0-9.]{0,17}$/)), (s) => {
        const b = decimalQuadBytes(s);
        expect(quadNumber(s)).toBe(b === null ? null : (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!);
      }),
      { numRuns: 5000 },
    );
  });
});
