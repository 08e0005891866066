import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAlertsToFlows } from '../src/classify/join.js';
import type { Observation } from '../src/contract.js';
import { seedObservations } from './helpers/brains-seed.js';
import { joinAlertsToFlows as referenceJoin } from './helpers/join-reference.js';

// joinAlertsToFlows only indexes flows whose ends and key some alert shares: on random mixes of
// alerts and flows over a few addresses, ports, protocols, reporters and seconds (so that most
// alerts have candidates, some several, some none) it must pick exactly what the plain index did.
const [template] = seedObservations() as [Observation];
const ADDRS = ['10.0.0.1', '10.0.0.2', 'Host.Example.net', null];
const REPORTERS = [
  { name: null, address: 'a@x.example', org: 'x.example' },
  { name: null, address: 'b@y.example', org: null },
];

const observation = fc.record({
  kind: fc.constantFrom('alert', 'flow', 'suricata-flow', 'other'),
  src: fc.constantFrom(...ADDRS),
  dst: fc.constantFrom(...ADDRS),
  sport: fc.constantFrom(80, 1025),
  dport: fc.constantFrom(80, 1025, null),
  proto: fc.constantFrom('tcp', 'TCP', 'udp'),
  second: fc.integer({ min: 0, max: 12 }),
  time: fc.constantFrom('ok', 'none', 'bad'),
  post: fc.constantFrom('p1', 'p2'),
  reporter: fc.constantFrom(...REPORTERS),
  duplicate: fc.boolean(),
});

function build(s: {
  kind: string; src: string | null; dst: string | null; sport: number | null; dport: number | null; proto: string | null;
  second: number; time: string; post: string; reporter: Observation['reporter']; duplicate: boolean;
}, id: string): Observation {
  const o: Observation = {
    ...template,
    id,
    post: s.post,
    reporter: s.reporter,
    src: s.src,
    dst: s.dst,
    sport: s.sport,
    dport: s.dport,
    proto: s.proto,
    time: s.time === 'ok' ? `2001-09-06T07:10:${String(Math.max(0, s.second) + 10).padStart(2, '0')}+12:00` : s.time === 'bad' ? 'yesterday' : null,
    source: s.kind === 'alert' ? 'snort' : s.kind === 'suricata-flow' ? 'suricata' : s.kind === 'flow' ? 'argus' : 'tcpdump',
    srcPkts: s.kind === 'alert' ? 1 : 3,
    dstPkts: s.kind === 'alert' || s.kind === 'other' ? null : 2,
  };
  delete o.signature;
  if (s.kind === 'alert') o.signature = { id: '1:1002:2', message: 'WEB-IIS cmd.exe access' };
  if (s.duplicate) o.duplicateOf = 'x';
  return o;
}

/** a flow of the alert's traffic, seen the other way round or a few seconds off, sometimes not quite the same */
const derived = fc.record({
  kind: fc.constantFrom('flow', 'suricata-flow', 'other'),
  swap: fc.boolean(),
  shift: fc.integer({ min: -7, max: 7 }),
  otherPort: fc.integer({ min: 0, max: 9 }),
  otherReporter: fc.integer({ min: 0, max: 9 }),
  post: fc.constantFrom('p1', 'p2'),
  duplicate: fc.boolean(),
});

describe('joinAlertsToFlows matches the reference index', () => {
  it('on random alerts and flows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ alert: observation, flows: fc.array(derived, { maxLength: 3 }) }), { maxLength: 4 }),
        fc.array(observation, { maxLength: 10 }),
        fc.integer({ min: 0, max: 1000 }),
        (groups, noise, rotate) => {
          const obs: Observation[] = [];
          groups.forEach((g, gi) => {
            const a = { ...g.alert, kind: 'alert' };
            obs.push(build(a, `a${gi}`));
            g.flows.forEach((f, fi) => {
              const spec: Parameters<typeof build>[0] = {
                ...a,
                kind: f.kind,
                src: f.swap ? a.dst : a.src,
                dst: f.swap ? a.src : a.dst,
                sport: f.swap ? a.dport : a.sport,
                dport: f.swap ? a.sport : a.dport,
                second: a.second + f.shift,
                post: f.post,
                duplicate: f.duplicate,
                reporter: f.otherReporter === 0 ? (REPORTERS[1] as Observation['reporter']) : a.reporter,
              };
              if (f.otherPort === 0) spec.dport = 8080;
              obs.push(build(spec, `f${gi}-${fi}`));
            });
          });
          noise.forEach((n, i) => obs.push(build(n, `n${i}`)));
          const cut = obs.length === 0 ? 0 : rotate % obs.length;
          const order = [...obs.slice(cut), ...obs.slice(0, cut)];
          expect(joinAlertsToFlows(order)).toEqual(referenceJoin(order));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
