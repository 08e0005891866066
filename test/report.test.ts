import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../src/analyze/types.js';
import { applyJoin, joinAlertsToFlows } from '../src/classify/join.js';
import { SCHEMA, type Finding, type Observation } from '../src/contract.js';
import { correlate } from '../src/correlate/correlate.js';
import { markDuplicates } from '../src/correlate/duplicates.js';
import type { ProseStatement } from '../src/correlate/types.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { actorRole, assessFinding } from '../src/report/reasoning.js';
import { renderText } from '../src/report/text.js';
import { seedObservations, seedPost, seedQuestion, seedStatement } from './helpers/brains-seed.js';

function analyse(observationsIn: Observation[], statements: ProseStatement[] = [seedStatement()]): AnalysisResult {
  let obs = markDuplicates(observationsIn);
  const joins = joinAlertsToFlows(obs);
  const byId = new Map(obs.map((o) => [o.id, o]));
  for (const j of joins) byId.set(j.alert, applyJoin(byId.get(j.alert) as Observation, byId.get(j.flow) as Observation));
  obs = obs.map((o) => byId.get(o.id) as Observation);
  const post = { ...seedPost(), observations: obs.map((o) => o.id) };
  const findings = correlate({ posts: [post], observations: obs, statements, joins });
  return {
    doc: { schema: SCHEMA, posts: [post], observations: obs, findings, errors: [] },
    statements,
    questions: [seedQuestion()],
  };
}

function crossFinding(result: AnalysisResult): Finding {
  const f = result.doc.findings.find((x) => x.kind === 'cross-reporter' || x.kind === 'campaign');
  if (!f) throw new Error('no group finding');
  return f;
}

describe('renderText on the seed', () => {
  const result = analyse(seedObservations());
  const text = renderText(result);

  it('shows each finding with kind, behaviour, prefix, port, reporters, corroboration with the quote, first/last and evidence', () => {
    expect(text).toContain('[1] cross-reporter: midstream from 130.67.0.0/16 to port 80');
    expect(text).toContain('[2] same-traffic: midstream from 130.67.240.225/32 to port 80');
    expect(text).toContain('reporters:     auckland.ac.nz');
    expect(text.replace(/\s+/g, ' ')).toMatch(/corroborating: northernregistrars\.co\.uk .*"I've seen this as well\./);
    expect(text.replace(/\s+/g, ' ')).toContain('that are not currently in use."');
    expect(text).toContain('first/last:    2001-09-06T00:02:34+12:00  …  2001-09-06T07:10:23.613+12:00');
    expect(text.replace(/\s+/g, ' ')).toContain('obs-r2 (midstream-unanswered, like 8 more): ?> with flags A_ and 1 packet/1460 bytes from 130.67.216.237, nothing back');
    expect(text).toMatch(/obs-r1 \(midstream-reset, like 2 more\)/);
    // one compact line per record
    expect(text).toMatch(/2001-09-06 00:17:00\+12:00 {2}midstream-unanswered {2}tcp 130\.67\.114\.61:2124 \?> 130\.216\.213\.0\/24:80 {2}A_ {2}\[obs-r5, quoted\]/);
  });

  it('answers the open question: asymmetric routing and lost state ruled out by the unused addresses, a sender not waiting supported', () => {
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('THE OPEN QUESTION: "Any idea what is going on?"');
    expect(flat).toMatch(/RULED OUT asymmetric routing \(the monitor sees one direction only\): northernregistrars\.co\.uk says "I've seen this as well\..*not currently in use\.": on addresses that are not in use nothing could complete a handshake/);
    expect(flat).toMatch(/RULED OUT state lost mid-connection[^:]*: northernregistrars\.co\.uk sees the same on unused addresses/);
    expect(flat).toMatch(/SUPPORTED a stateless or spoofing sender not waiting for a handshake: all 11 flow records \(obs-r1, obs-r2, obs-r3, obs-r4 and 7 more\) are marked "\?>"/);
    expect(flat).toMatch(/POSSIBLE reflection through a middlebox/);
  });

  it('says "common victim", never "attacker", for the likely spoofed sources', () => {
    expect(text).toContain('common victim');
    expect(text).not.toMatch(/attacker/i);
  });

  it('shows the reporters\' own addresses only as /24 unless asked', () => {
    expect(text).not.toContain('130.216.246.91');
    expect(text).not.toContain('130.216.223.150');
    expect(text).toContain('130.216.246.0/24');
    const shown = renderText(result, { showTargets: true });
    expect(shown).toContain('130.216.246.91');
  });

  it('colour only when asked', () => {
    expect(text).not.toContain('\u001b[');
    expect(renderText(result, { color: true })).toContain('\u001b[');
  });
});

describe('assessFinding', () => {
  it('without the unused-addresses statement and without resets, asymmetric routing and lost state stay possible', () => {
    const onlyUnanswered = seedObservations().filter((o) => o.class === 'midstream-unanswered');
    const result = analyse(onlyUnanswered, []);
    const f = crossFinding(result);
    expect(f.kind).toBe('campaign');
    const h = new Map(assessFinding(f, result).map((x) => [x.name.split(' (')[0], x]));
    expect(h.get('asymmetric routing')?.verdict).toBe('possible');
    expect(h.get('state lost mid-connection')?.verdict).toBe('possible');
    expect(h.get('a stateless or spoofing sender not waiting for a handshake')?.verdict).toBe('supported');
  });

  it('resets from the targets alone rule out a one-way view', () => {
    const result = analyse(seedObservations(), []);
    const h = assessFinding(crossFinding(result), result).find((x) => x.name.startsWith('asymmetric'));
    expect(h?.verdict).toBe('ruled-out');
    expect(h?.why).toMatch(/obs-r1, obs-r7 show the targets' resets/);
  });

  it('a SYN from one of the hosts elsewhere weakens "not waiting for a handshake"', () => {
    const obs = seedObservations();
    const base = obs[2] as Observation;
    const syn: Observation = { ...base, id: 'syn1', dport: 443, srcFlags: 'S', state: 'S_', dir: '->', class: 'syn-unanswered' };
    const result = analyse([...obs, syn]);
    const h = assessFinding(crossFinding(result), result).find((x) => x.name.startsWith('a stateless'));
    expect(h?.verdict).toBe('possible');
    expect(h?.why).toContain('syn1');
  });

  it('an HTTP request in the payload supports middlebox reflection', () => {
    const obs = seedObservations().map((o) => (o.id === 'obs-r2' ? { ...o, payload: { bytes: 1460, strings: ['GET / HTTP/1.1', 'Host: blocked.example'] } } : o));
    const result = analyse(obs);
    const h = assessFinding(crossFinding(result), result).find((x) => x.name.startsWith('reflection'));
    expect(h?.verdict).toBe('supported');
    expect(h?.why).toContain('obs-r2');
  });

  it('actorRole: spoofing-aware', () => {
    const f = crossFinding(analyse(seedObservations()));
    expect(actorRole(f)).toBe('common-victim');
    expect(actorRole({ ...f, behaviour: 'backscatter' })).toBe('common-victim');
    expect(actorRole({ ...f, behaviour: 'syn' })).toBe('attacker');
    expect(actorRole({ ...f, behaviour: 'alert' })).toBe('unknown');
  });
});

describe('renderMarkdown', () => {
  it('is the same content as a ticket-ready report', () => {
    const md = renderMarkdown(analyse(seedObservations()));
    expect(md).toMatch(/^# listwatch report/);
    expect(md).toContain('### 1. cross-reporter: midstream from 130.67.0.0/16 to port 80');
    expect(md).toContain("> I've seen this as well.");
    expect(md).toContain('> — northernregistrars.co.uk');
    expect(md).toContain('## The open question: “Any idea what is going on?”');
    expect(md).toMatch(/- \*\*Ruled out:\*\* asymmetric routing/);
    expect(md).toMatch(/- \*\*Supported:\*\* a stateless or spoofing sender/);
    expect(md).toContain('| 2001-09-06 00:17:00+12:00 | midstream-unanswered | `tcp 130.67.114.61:2124 ?> 130.216.213.0/24:80` | `A_` |');
    expect(md).not.toContain('130.216.246.91');
    expect(md).toContain('common victim');
  });

  it('keeps untrusted prose from becoming markup', () => {
    const evil: ProseStatement = { ...seedStatement(), quote: 'Same here <script>alert(1)</script> | [click](http://x) **bold**' };
    const md = renderMarkdown(analyse(seedObservations(), [evil]));
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script>');
    expect(md).toContain('\\[click\\]');
  });

  it('renders an empty corpus', () => {
    const empty: AnalysisResult = { doc: { schema: SCHEMA, posts: [], observations: [], findings: [], errors: [{ input: 'x.eml', message: 'unreadable' }] }, statements: [], questions: [] };
    expect(renderMarkdown(empty)).toContain('No findings.');
    expect(renderText(empty)).toContain('x.eml: unreadable');
  });
});

describe('backscatter wording', () => {
  it('names the SYN-ACK sender the target of someone else\'s flood, a common victim, never an attacker', () => {
    const base = seedObservations()[2] as Observation;
    const obs: Observation[] = ['130.216.1.1', '130.216.1.2', '130.216.1.3'].map((t, i) => ({
      ...base,
      id: `b${i}`,
      src: '203.0.113.80',
      sport: 80,
      dst: t,
      dport: 1024,
      dir: '->',
      srcFlags: 'SA',
      state: 'SA_',
      class: 'backscatter',
      actor: '203.0.113.80',
      target: t,
    }));
    const result = analyse(obs, []);
    const text = renderText(result).replace(/\s+/g, ' ');
    expect(text).toContain('campaign: backscatter from 203.0.113.80/32 port 80 to port 1024');
    expect(text).toContain("203.0.113.80/32 is answering traffic that forged the reporters' addresses");
    expect(text).toContain('common victim');
    expect(text).not.toMatch(/attacker|likely spoofed/i);
    expect(text).toMatch(/SUPPORTED backscatter from a spoofed flood.*the replies arrive on port 1024, a source port juno\.c SYN floods use/);
  });
});

describe('large corpora stay readable', () => {
  it('cuts long record lists and says how many more there are', () => {
    const base = seedObservations()[2] as Observation;
    const many: Observation[] = [];
    for (let i = 0; i < 5000; i++) {
      many.push({ ...base, id: `m${i}`, src: `130.67.${i % 250}.${(i >> 8) % 250}`, actor: `130.67.${i % 250}.${(i >> 8) % 250}`, sport: 1024 + i, dst: `130.216.1.${i % 250}`, target: `130.216.1.${i % 250}` });
      many.push({ ...base, id: `u${i}`, class: 'unknown', src: `10.${i % 250}.${(i >> 8) % 250}.1`, actor: null, dport: i, sport: 1 });
    }
    const result = analyse(many);
    const text = renderText(result);
    expect(text).toMatch(/… and 4960 more \(all listed in --format json\)/);
    expect(text).toMatch(/OTHER OBSERVATIONS[\s\S]*… and 4900 more/);
    expect(text.split('\n').length).toBeLessThan(400);
    expect(renderMarkdown(result)).toContain('… and 4960 more records');
  });
});

describe('syn reasoning', () => {
  it('one source to many addresses is a sweep, not a flood', () => {
    const base = seedObservations()[2] as Observation;
    const obs: Observation[] = [1, 2, 3, 4].map((n) => ({ ...base, id: `s${n}`, src: '198.51.100.66', actor: '198.51.100.66', dst: `130.216.5.${n}`, target: `130.216.5.${n}`, dport: 1433, dir: '->', srcFlags: 'S', state: 'S_', class: 'syn-unanswered' }));
    const result = analyse(obs, []);
    const h = new Map(assessFinding(crossFinding(result), result).map((x) => [x.name, x.verdict]));
    expect(h.get('a sweep from one source')).toBe('supported');
    expect(h.get('a SYN flood with spoofed sources')).toBe('ruled-out');
    expect(h.get('worm propagation')).toBe('possible');
  });
});

describe('the actors line', () => {
  it('names the role without repeating the summary it stands under', async () => {
    const { analyzeInputs } = await import('../src/analyze/run.js');
    const { renderText } = await import('../src/report/text.js');
    const { result } = await analyzeInputs(['fixtures/seed/incidents-2001-09-06-code-red-variants.txt']);
    const actorsLine = renderText(result).split('\n').find((l) => l.trimStart().startsWith('actors:'))!;
    expect(actorsLine).toContain('common victim: 130.67.0.0/16');
    const summary = result.doc.findings.find((f) => f.kind === 'cross-reporter')!.summary;
    const roleSentence = summary.slice(summary.indexOf('The source addresses'));
    expect(roleSentence.length).toBeGreaterThan(20);
    expect(actorsLine).not.toContain(roleSentence);
  });
});
