import { describe, expect, it } from 'vitest';
import { applyJoin, joinAlertsToFlows } from '../src/classify/join.js';
import type { Observation, Party, Post } from '../src/contract.js';
import { correlate, groupKey } from '../src/correlate/correlate.js';
import { markDuplicates } from '../src/correlate/duplicates.js';
import type { ProseStatement } from '../src/correlate/types.js';
import { MATTHEW_QUOTE, RUSSELL, SEED_THREAD, seedObservations, seedPost, seedStatement } from './helpers/brains-seed.js';

function seedCorpus(): { posts: Post[]; observations: Observation[] } {
  let obs = markDuplicates(seedObservations());
  const joins = joinAlertsToFlows(obs);
  const byId = new Map(obs.map((o) => [o.id, o]));
  for (const j of joins) byId.set(j.alert, applyJoin(byId.get(j.alert) as Observation, byId.get(j.flow) as Observation));
  obs = obs.map((o) => byId.get(o.id) as Observation);
  return { posts: [seedPost()], observations: obs };
}

describe('correlate: the seed', () => {
  it('gives a cross-reporter finding and a same-traffic finding', () => {
    const { posts, observations } = seedCorpus();
    expect(observations.filter((o) => o.class === 'midstream-unanswered')).toHaveLength(9);
    expect(observations.filter((o) => o.class === 'midstream-reset')).toHaveLength(3); // A_RPA, A_R and the joined alert
    const joins = joinAlertsToFlows(observations);
    const findings = correlate({ posts, observations, statements: [seedStatement()], joins });
    expect(findings.map((f) => f.kind)).toEqual(['cross-reporter', 'same-traffic']);
    const [cross, same] = findings as [NonNullable<(typeof findings)[0]>, NonNullable<(typeof findings)[0]>];
    expect(cross).toMatchObject({
      behaviour: 'midstream',
      actorPrefix: '130.67.0.0/16',
      dport: 80,
      reporters: ['auckland.ac.nz'],
      corroborating: [{ org: 'northernregistrars.co.uk', post: seedPost().id, quote: MATTHEW_QUOTE, via: 'rule' }],
      first: '2001-09-06T00:02:34+12:00',
      last: '2001-09-06T07:10:23.613+12:00',
    });
    expect(cross.observations).toHaveLength(12);
    expect(cross.summary).toMatch(/common victim/);
    expect(cross.summary).not.toMatch(/attacker/);
    expect(same).toMatchObject({ kind: 'same-traffic', observations: ['obs-a1', 'obs-r1'], reporters: ['auckland.ac.nz'], actorPrefix: '130.67.240.225/32', dport: 80, behaviour: 'midstream' });
  });

  it('ids are stable and differ between findings', () => {
    const { posts, observations } = seedCorpus();
    const joins = joinAlertsToFlows(observations);
    const a = correlate({ posts, observations, statements: [seedStatement()], joins });
    const b = correlate({ posts, observations: [...observations].reverse(), statements: [seedStatement()], joins });
    expect(a.map((f) => f.id).sort()).toEqual(b.map((f) => f.id).sort());
    expect(new Set(a.map((f) => f.id)).size).toBe(a.length);
  });

  it('without the statement the group is a campaign of one reporter', () => {
    const { posts, observations } = seedCorpus();
    const findings = correlate({ posts, observations, statements: [], joins: [] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'campaign', reporters: ['auckland.ac.nz'], corroborating: [] });
  });

  it('a statement from another thread, a not-same statement, or one by a reporter does not corroborate', () => {
    const { posts, observations } = seedCorpus();
    const other: ProseStatement = { ...seedStatement(), thread: 'another thread' };
    const negative: ProseStatement = { ...seedStatement(), polarity: 'not-same' };
    const byReporter: ProseStatement = { ...seedStatement(), org: 'auckland.ac.nz' };
    for (const s of [other, negative, byReporter]) {
      const findings = correlate({ posts, observations, statements: [s], joins: [] });
      expect(findings.map((f) => f.kind)).toEqual(['campaign']);
    }
  });
});

describe('correlate: kinds and rules', () => {
  const post = (id: string, thread: string, from: Party): Post => ({ id, thread, subject: null, date: null, from, observations: [] });
  const CERT: Party = { name: null, address: 'soc@cert.example.org', org: 'example.org' };
  function synObs(id: string, postId: string, reporter: Party, actor: string, target: string, dport = 445): Observation {
    return {
      ...(seedObservations()[2] as Observation),
      id,
      post: postId,
      reporter,
      quoted: false,
      src: actor,
      dst: target,
      dport,
      srcFlags: 'S',
      dstFlags: '',
      state: 'S_',
      class: 'syn-unanswered',
      actor,
      target,
      evidence: 'x',
      time: `2020-01-01T00:00:0${id.length % 10}Z`,
    };
  }

  it('cross-reporter from two orgs with their own records, smallest covering prefix', () => {
    const obs = [synObs('a', 'p1', RUSSELL, '203.0.113.5', '130.216.1.1'), synObs('b', 'p2', CERT, '203.0.113.9', '198.18.0.1')];
    const f = correlate({ posts: [post('p1', 't1', RUSSELL), post('p2', 't2', CERT)], observations: obs, statements: [], joins: [] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ kind: 'cross-reporter', behaviour: 'syn', actorPrefix: '203.0.113.0/24', dport: 445, reporters: ['auckland.ac.nz', 'example.org'] });
    expect(f[0]?.summary).not.toMatch(/common victim/);
  });

  it('one actor is reported as /32', () => {
    const obs = [synObs('a', 'p1', RUSSELL, '203.0.113.5', '130.216.1.1'), synObs('b', 'p2', CERT, '203.0.113.5', '198.18.0.1')];
    const f = correlate({ posts: [post('p1', 't1', RUSSELL), post('p2', 't2', CERT)], observations: obs, statements: [], joins: [] });
    expect(f[0]?.actorPrefix).toBe('203.0.113.5/32');
  });

  it('campaign: one reporter, three targets; two targets is nothing', () => {
    const three = ['130.216.1.1', '130.216.1.2', '130.216.1.3'].map((t, i) => synObs(`s${i}`, 'p1', RUSSELL, '203.0.113.5', t));
    const f = correlate({ posts: [post('p1', 't1', RUSSELL)], observations: three, statements: [], joins: [] });
    expect(f.map((x) => x.kind)).toEqual(['campaign']);
    expect(f[0]?.actorPrefix).toBe('203.0.113.5/32');
    const two = correlate({ posts: [post('p1', 't1', RUSSELL)], observations: three.slice(0, 2), statements: [], joins: [] });
    expect(two).toEqual([]);
  });

  it('duplicates never count: a quoted copy by another org adds no reporter', () => {
    const orig = synObs('a', 'p1', RUSSELL, '203.0.113.5', '130.216.1.1');
    const copy: Observation = { ...orig, id: 'copy', post: 'p2', reporter: CERT, quoted: true, duplicateOf: 'a' };
    const f = correlate({ posts: [post('p1', 't', RUSSELL), post('p2', 't', CERT)], observations: [orig, copy], statements: [], joins: [] });
    expect(f).toEqual([]);
  });

  it('different ports, behaviours or /16s are different groups', () => {
    const a = synObs('a', 'p1', RUSSELL, '203.0.113.5', '130.216.1.1');
    expect(groupKey(a)).not.toBe(groupKey({ ...a, dport: 80 }));
    expect(groupKey(a)).not.toBe(groupKey({ ...a, class: 'backscatter' }));
    expect(groupKey(a)).not.toBe(groupKey({ ...a, actor: '203.1.0.1' }));
    expect(groupKey(a)).toBe(groupKey({ ...a, class: 'syn-rejected', actor: '203.0.200.1' }));
  });

  it('a statement prefers the group whose port it names', () => {
    const g80 = ['1', '2', '3'].map((n) => synObs(`w${n}`, 'p1', RUSSELL, `203.0.113.${n}`, '130.216.1.1', 80));
    const g445 = ['1', '2', '3'].map((n) => synObs(`s${n}`, 'p1', RUSSELL, `198.51.100.${n}`, '130.216.1.1', 445));
    const s: ProseStatement = { post: 'p2', thread: 't1', org: 'example.org', quote: 'We see the same on port 445.', polarity: 'same', details: [], via: 'rule' };
    const f = correlate({ posts: [post('p1', 't1', RUSSELL), post('p2', 't1', CERT)], observations: [...g80, ...g445], statements: [s], joins: [] });
    const byPort = new Map(f.map((x) => [x.dport, x.kind]));
    expect(byPort.get(445)).toBe('cross-reporter');
    expect(byPort.get(80)).toBe('campaign');
  });

  it('100,000 observations correlate (linear)', () => {
    const obs: Observation[] = [];
    const base = synObs('a', 'p1', RUSSELL, '203.0.113.5', '130.216.1.1');
    for (let i = 0; i < 100_000; i++) {
      obs.push({ ...base, id: `o${i}`, actor: `10.${i % 250}.${(i >> 8) % 250}.${i % 200}`, target: `130.216.${i % 250}.1`, dport: i % 7 });
    }
    const f = correlate({ posts: [post('p1', SEED_THREAD, RUSSELL)], observations: obs, statements: [seedStatement()], joins: [] });
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.kind === 'cross-reporter')).toBe(true);
  });
});

describe('correlate: statements that name the network', () => {
  it('a statement naming 130.67/16 corroborates that group, not the other one of its thread', () => {
    const base = seedObservations();
    const other: Observation[] = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((a, i) => ({ ...(base[2] as Observation), id: `o${i}`, src: a, actor: a, target: `130.216.9.${i}` }));
    const s: ProseStatement = { ...seedStatement(), quote: 'We see the same from 130.67/16.', details: [] };
    const f = correlate({ posts: [seedPost()], observations: [...base, ...other], statements: [s], joins: [] });
    const byPrefix = new Map(f.map((x) => [x.actorPrefix, x.kind]));
    expect(byPrefix.get('130.67.0.0/16')).toBe('cross-reporter');
    expect(byPrefix.get('198.51.100.0/24')).toBe('campaign');
  });
});

describe('correlate: firewall SYN lines', () => {
  it('lone SYN log lines (class unknown) group as syn with flow records of another org', () => {
    const CERT = { name: null, address: 'soc@cert.example.org', org: 'example.org' };
    const base = seedObservations()[2] as Observation;
    const fwLine: Observation = { ...base, id: 'fw', post: 'p2', reporter: CERT, quoted: false, source: 'netfilter', format: 'netfilter', dir: null, srcPkts: 1, dstPkts: null, srcBytes: 60, dstBytes: null, srcFlags: 'S', dstFlags: null, state: null, class: 'unknown', actor: '203.0.113.5', src: '203.0.113.5', dport: 445 };
    const flow: Observation = { ...base, id: 'fl', post: 'p1', reporter: RUSSELL, src: '203.0.113.9', actor: '203.0.113.9', dport: 445, srcFlags: 'S', dstFlags: '', state: 'S_', class: 'syn-unanswered' };
    expect(groupKey(fwLine)).toBe(groupKey(flow));
    const posts: Post[] = [
      { id: 'p1', thread: 't1', subject: null, date: null, from: RUSSELL, observations: [] },
      { id: 'p2', thread: 't2', subject: null, date: null, from: CERT, observations: [] },
    ];
    const f = correlate({ posts, observations: [fwLine, flow], statements: [], joins: [] });
    expect(f[0]).toMatchObject({ kind: 'cross-reporter', behaviour: 'syn', reporters: ['auckland.ac.nz', 'example.org'], actorPrefix: '203.0.113.0/24' });
    // a lone ACK line stays unknown: it could belong to a normal connection
    expect(groupKey({ ...fwLine, srcFlags: 'A' })).toMatch(/^unknown\|/);
  });
});
