import { describe, expect, it } from 'vitest';
import type { Finding } from '../src/contract.js';
import { buildFindings, GroupAccumulator } from '../src/correlate/correlate.js';

// Findings equal in kind, first time and id (buildFindings' sort key) keep the order they were given
// in: the order keys' sort once compared such ties as "greater" both ways, and Int32Array's sort then
// reversed them.
function sameTraffic(id: string, n: number): Finding[] {
  return Array.from({ length: n }, (_, k) => ({
    id,
    kind: 'same-traffic',
    behaviour: 'syn',
    actorPrefix: '10.0.0.1/32',
    dport: 80,
    reporters: [],
    corroborating: [],
    observations: [],
    first: '2001-09-06T00:00:00Z',
    last: null,
    summary: `s${k}`,
  })) as unknown as Finding[];
}

const summaries = (given: Finding[]): string[] => Array.from(buildFindings(new GroupAccumulator(), [], given), (p) => p.finding.summary);

describe('buildFindings: ties on the whole sort key', () => {
  it('keeps findings-style ids (compared as numbers) in the order given', () => {
    const given = sameTraffic('f-000000000001', 3);
    expect(summaries(given)).toEqual(['s0', 's1', 's2']);
  });

  it('keeps other ids (compared as strings) in the order given', () => {
    const given = sameTraffic('same traffic <odd@id>', 3);
    expect(summaries(given)).toEqual(['s0', 's1', 's2']);
  });

  it('keeps a long run of ties in order, between findings that do sort', () => {
    const given = [...sameTraffic('f-00000000000b', 1), ...sameTraffic('f-000000000002', 50), ...sameTraffic('f-000000000001', 1)];
    given[0]!.summary = 'last';
    given[51]!.summary = 'first';
    expect(summaries(given)).toEqual(['first', ...Array.from({ length: 50 }, (_, k) => `s${k}`), 'last']);
  });
});
