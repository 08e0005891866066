import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import type { AnalysisDocument, Finding } from '../src/contract.js';
import { expectValidAnalysis } from './helpers/schema.js';

const SEED = 'fixtures/seed/incidents-2001-09-06-code-red-variants.txt';
const DEMO = 'fixtures/demo-list';
const run = promisify(execFile);

function findingOf(doc: AnalysisDocument, kind: Finding['kind'], behaviour: Finding['behaviour']): Finding {
  const f = doc.findings.find((x) => x.kind === kind && x.behaviour === behaviour);
  if (!f) throw new Error(`no ${kind} ${behaviour} finding in ${JSON.stringify(doc.findings.map((x) => [x.kind, x.behaviour]))}`);
  return f;
}

describe('the seed post, end to end', () => {
  it('yields what issue 2 §5 asks for', async () => {
    const { result } = await analyzeInputs([SEED]);
    const doc = result.doc;
    expectValidAnalysis(doc);
    expect(doc.errors).toEqual([]);
    expect(doc.posts).toHaveLength(1);
    expect(doc.posts[0]!.from).toEqual({ name: 'Matthew Collins', address: 'Matthew.Collins@northernregistrars.co.uk', org: 'northernregistrars.co.uk' });
    expect(doc.posts[0]!.date).toBe('2001-09-06T10:49:20+01:00');

    const argus = doc.observations.filter((o) => o.source === 'argus');
    const snort = doc.observations.filter((o) => o.source === 'snort');
    expect(argus).toHaveLength(11);
    expect(snort).toHaveLength(1);
    for (const o of doc.observations) {
      expect(o.quoted).toBe(true);
      expect(o.reporter.org).toBe('auckland.ac.nz');
    }
    expect(argus.filter((o) => o.class === 'midstream-unanswered')).toHaveLength(9);
    expect(argus.filter((o) => o.class === 'midstream-reset').map((o) => o.state).sort()).toEqual(['A_R', 'A_RPA']);

    const same = findingOf(doc, 'same-traffic', 'midstream');
    const flow = argus.find((o) => o.state === 'A_RPA')!;
    expect(flow.time).toMatch(/^2001-09-06T07:10:23/);
    expect(same.observations.sort()).toEqual([snort[0]!.id, flow.id].sort());

    const cross = findingOf(doc, 'cross-reporter', 'midstream');
    expect(cross).toMatchObject({ actorPrefix: '130.67.0.0/16', dport: 80, reporters: ['auckland.ac.nz'] });
    expect(cross.observations).toHaveLength(12);
    expect(cross.corroborating).toHaveLength(1);
    expect(cross.corroborating[0]!.org).toBe('northernregistrars.co.uk');
    expect(cross.corroborating[0]!.quote).toContain("I've seen this as well");
    expect(cross.corroborating[0]!.quote).toContain('not currently in use');
  });

  it('is stable: the same input gives the same ids', async () => {
    const a = (await analyzeInputs([SEED])).result.doc;
    const b = (await analyzeInputs([SEED])).result.doc;
    expect(b.observations.map((o) => o.id)).toEqual(a.observations.map((o) => o.id));
    expect(b.findings.map((f) => f.id)).toEqual(a.findings.map((f) => f.id));
  });

  it('the text report answers the open question', async () => {
    const { stdout } = await run('node', ['bin/listwatch.js', 'analyze', SEED]);
    expect(stdout).toContain('cross-reporter');
    expect(stdout).toContain('130.67.0.0/16');
    expect(stdout).toMatch(/Any idea what is going on\?/);
    expect(stdout).toMatch(/RULED OUT asymmetric routing/);
    expect(stdout).toMatch(/common victim/);
    expect(stdout).not.toMatch(/\battacker: 130\.67/);
  });
});

describe('the demo list, end to end', () => {
  it('joins what different organisations saw, counts re-quoted records once', async () => {
    const { result } = await analyzeInputs([DEMO]);
    const doc = result.doc;
    expectValidAnalysis(doc);
    expect(doc.errors).toEqual([]);
    expect(doc.posts).toHaveLength(7);
    // the reply in thread 1 shares its root
    const thread1 = doc.posts.filter((p) => p.thread === '20261124201000.aroha@noc.harbour-uni.example');
    expect(thread1).toHaveLength(3);

    const midstream = findingOf(doc, 'cross-reporter', 'midstream');
    expect(midstream.actorPrefix).toBe('100.64.0.0/16');
    expect(midstream.dport).toBe(80);
    expect(midstream.reporters).toEqual(['fjordnet.example', 'harbour-uni.example']);
    // the six records Sigrid quoted from Aroha count once
    const dups = doc.observations.filter((o) => o.duplicateOf);
    expect(dups.length).toBeGreaterThanOrEqual(6);
    for (const d of dups) expect(midstream.observations).not.toContain(d.id);

    const backscatter = findingOf(doc, 'cross-reporter', 'backscatter');
    expect(backscatter.actorPrefix).toBe('203.0.113.80/32');
    expect(backscatter.reporters).toEqual(['fjordnet.example', 'harbour-uni.example']);

    const sweep = findingOf(doc, 'campaign', 'syn');
    expect(sweep).toMatchObject({ actorPrefix: '198.51.100.66/32', dport: 1433, reporters: ['northwind.example'] });

    const udp = findingOf(doc, 'campaign', 'udp');
    expect(udp).toMatchObject({ family: 'slammer', dport: 1434 });
  });
});

describe('listwatch analyze, the command', () => {
  it('prints valid JSON, also from standard input', async () => {
    const child = execFile('node', ['bin/listwatch.js', 'analyze', '--format', 'json', '-']);
    const out: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(Buffer.from(d)));
    child.stdin!.end(readFileSync(SEED));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const doc = JSON.parse(Buffer.concat(out).toString('utf8')) as AnalysisDocument;
    expectValidAnalysis(doc);
    expect(doc.observations).toHaveLength(12);
  });

  it('exits 1 naming the path that cannot be read, 2 on bad usage', async () => {
    const failed = (args: string[]) =>
      run('node', ['bin/listwatch.js', ...args]).then(
        (ok) => ({ code: 0, stderr: ok.stderr }),
        (e: { code: number; stderr: string }) => e,
      );
    const missing = await failed(['analyze', 'no/such/file.mbox']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no/such/file.mbox');
    const bad = await failed(['analyze', '--format', 'yaml', SEED]);
    expect(bad.code).toBe(2);
    const since = await failed(['analyze', '--since', 'yesterday-ish', SEED]);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('yesterday-ish');
  });

  it('markdown is a ticket-ready report', async () => {
    const { stdout } = await run('node', ['bin/listwatch.js', 'analyze', '--format', 'markdown', SEED]);
    expect(stdout).toMatch(/^#/m);
    expect(stdout).toContain('130.67.0.0/16');
  });
});
