// An extractor that throws (a bug: they are meant not to) costs only its own records, and the post
// says so: the failure is a warning of the post and an error of the document, never a silent loss.
// The faults are injected: the real extractors run, and throw when a block holds a marker line
// (argus: its two entry points without a safety net, as if its reader threw; before, extractRecords
// called argus through a catch that answered [] and told no one).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';

const hasMarker = (lines: readonly string[], marker: string): boolean => lines.some((l) => l.includes(marker));

vi.mock('../src/extract/tcpdump.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/extract/tcpdump.js')>();
  return {
    ...real,
    extractTcpdump: (lines: readonly string[]) => {
      if (hasMarker(lines, 'FAULT-IN-TCPDUMP')) throw new Error('injected tcpdump fault');
      return real.extractTcpdump(lines);
    },
  };
});

vi.mock('../src/extract/argus.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/extract/argus.js')>();
  const fault = (lines: readonly string[]): void => {
    if (hasMarker(lines, 'FAULT-IN-ARGUS')) throw new Error('injected argus fault');
  };
  return {
    ...real,
    extractArgusTo: (lines: readonly string[], emit: Parameters<typeof real.extractArgusTo>[1]) => {
      fault(lines);
      real.extractArgusTo(lines, emit);
    },
    extractArgusUnguarded: (lines: readonly string[]) => {
      fault(lines);
      return real.extractArgusUnguarded(lines);
    },
  };
});

const ARGUS = [
  'StartTime      Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State',
  '19:02:34.000000  e           tcp     100.64.10.20.3300      ?>         192.0.2.40.80            1       1514    A_',
  '19:07:34.000000  e           tcp     100.64.17.23.3301      ?>         192.0.2.41.80            1       1514    A_',
];
const TCPDUMP = [
  '2026-11-25 09:00:00.000000 IP 203.0.113.80.80 > 192.0.2.60.1024: Flags [S.], seq 9100, ack 1, win 8760, length 0',
  '2026-11-25 09:00:01.000000 IP 203.0.113.80.80 > 192.0.2.61.1024: Flags [S.], seq 9101, ack 1, win 8760, length 0',
];

async function analyzeBody(blocks: string[][]): Promise<{ sources: string[]; warnings: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'listwatch-faults-'));
  const body = blocks.map((b) => b.join('\n')).join('\n\nAnd then:\n\n');
  writeFileSync(
    join(dir, 'post.eml'),
    `From: Aroha Ngata <aroha@harbour.example>\nTo: incidents@lists.example\nSubject: what we see\nDate: Wed, 25 Nov 2026 09:10:00 +0000\nMessage-ID: <faults@harbour.example>\n\nOur sensors:\n\n${body}\n\nAny idea?\n`,
  );
  const { result } = await analyzeInputs([join(dir, 'post.eml')]);
  return { sources: result.doc.observations.map((o) => o.source).sort(), warnings: result.doc.errors.map((e) => e.message) };
}

describe('an extractor that throws', () => {
  it('without a fault, both blocks give their records and no warning', async () => {
    expect(await analyzeBody([ARGUS, TCPDUMP])).toEqual({ sources: ['argus', 'argus', 'tcpdump', 'tcpdump'], warnings: [] });
  });

  it('tcpdump: its block loses only its records, and the post says which lines and why', async () => {
    const r = await analyzeBody([ARGUS, [...TCPDUMP, 'FAULT-IN-TCPDUMP']]);
    expect(r.sources).toEqual(['argus', 'argus']);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^extractor tcpdump failed on lines \d+-\d+: injected tcpdump fault$/);
  });

  it('argus, streamed: its block loses only its records, and the post says so', async () => {
    const r = await analyzeBody([[...ARGUS, 'FAULT-IN-ARGUS'], TCPDUMP]);
    expect(r.sources).toEqual(['tcpdump', 'tcpdump']);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^extractor argus failed on lines \d+-\d+: injected argus fault$/);
  });

  it('argus and tcpdump in one block: the other extractor keeps its records', async () => {
    const r = await analyzeBody([[...ARGUS, ...TCPDUMP, 'FAULT-IN-ARGUS']]);
    expect(r.sources).toEqual(['tcpdump', 'tcpdump']);
    expect(r.warnings).toEqual([expect.stringMatching(/^extractor argus failed on lines \d+-\d+: injected argus fault$/)]);
  });
});
