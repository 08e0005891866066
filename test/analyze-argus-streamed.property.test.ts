// analyzePost turns argus's records into observations as they are read (extractRecordsArgusTo),
// instead of asking extractRecords for the block's records first; when the block also holds other
// extractors' records, or argus's are out of order, it starts over with extractRecords. Held here to
// the general path (withoutArgusStreaming) on blocks cut from every record fixture, mixed, and to
// extractRecords at the extract level (the records handed over, the others, the problems).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureLines, textFiles } from './helpers/fixture-files.js';
import { analyzePost, withoutArgusStreaming } from '../src/analyze/post.js';
import { acceptedInLineOrder, extractRecords, extractRecordsArgusTo } from '../src/extract/index.js';
import type { ExtractedRecord } from '../src/extract/types.js';
import { parseMail } from '../src/mail/parse.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';


const FILES = fixtureLines('extract', 'argus');
const ARGUS = textFiles(fileURLToPath(new URL('../fixtures/argus/', import.meta.url)))
  .map((f) => readFileSync(f, 'latin1').split('\n').map((l) => l.replace(/\r$/, '')));

// a few consecutive lines of a fixture (multi-line records stay whole sometimes), or a whole argus fixture
const run = fc.oneof(
  fc.tuple(fc.nat(FILES.length - 1), fc.nat(10_000), fc.integer({ min: 1, max: 12 })).map(([f, at, len]) => {
    const lines = FILES[f] as string[];
    const start = at % Math.max(1, lines.length);
    return lines.slice(start, start + len);
  }),
  fc.nat(ARGUS.length - 1).map((f) => ARGUS[f] as string[]),
);
const blockLines = fc.array(run, { minLength: 1, maxLength: 8 }).map((runs) => runs.flat());

const byLine = (a: ExtractedRecord, b: ExtractedRecord): number => a.line - b.line;

describe('extractRecordsArgusTo', () => {
  it("hands over argus's records and returns the others as extractRecords has them", () => {
    const seen = { argusOnly: 0, othersOnly: 0, both: 0 };
    fc.assert(
      fc.property(blockLines, (lines) => {
        const handed: ExtractedRecord[] = [];
        const ex = extractRecordsArgusTo(lines, (rec) => handed.push(rec));
        const full = extractRecords(lines);
        expect(ex.argusFailed).toBe(false);
        expect(ex.argusCount).toBe(handed.length);
        expect(ex.problems).toEqual(full.problems);
        // every accepted record, argus's and the others', each start line once
        expect([...handed, ...ex.others].sort(byLine)).toEqual(full.records);
        for (let i = 1; i < handed.length; i++) expect(handed[i]!.line).toBeGreaterThan(handed[i - 1]!.line);
        expect(ex.argusInOrder).toBe(true);
        if (handed.length === 0) {
          seen.othersOnly++;
          expect(acceptedInLineOrder(ex.others, lines.length)).toEqual(full.records);
        } else if (ex.others.length === 0) {
          seen.argusOnly++;
          expect(handed).toEqual(full.records);
        } else {
          seen.both++;
        }
      }),
      { numRuns: 600 },
    );
    // each kind of block reached (per 600 runs: ~340, ~31 and ~230; othersOnly was 17-45 over 200
    // seeds, so a bound of 20 failed ~2.5% of runs, e.g. seed 190)
    expect(seen.argusOnly).toBeGreaterThan(20);
    expect(seen.othersOnly).toBeGreaterThan(5);
    expect(seen.both).toBeGreaterThan(20);
  });

  it('on every whole fixture', () => {
    for (const lines of FILES) {
      const handed: ExtractedRecord[] = [];
      const ex = extractRecordsArgusTo(lines, (rec) => handed.push(rec));
      expect([...handed, ...ex.others].sort(byLine)).toEqual(extractRecords(lines).records);
    }
  });
});

describe('analyzePost with argus records made observations as read', () => {
  it('gives what the general path gives, on posts of blocks cut from every record fixture', async () => {
    const base = await parseMail(
      Buffer.from('From: Sigrid Holm <sigrid@cert.fjordnet.example>\nTo: incidents@lists.example\nSubject: logs\nDate: Tue, 24 Nov 2026 23:41:00 +0100\nMessage-ID: <p1@cert.fjordnet.example>\n\nHi\n'),
      'p.eml',
    );
    const author = { name: 'Ola', address: 'ola@cert.example', org: 'cert.example' };
    const block = fc.tuple(blockLines, fc.constantFrom<BodyBlock['kind']>('own', 'quoted', 'signature'), fc.nat(40)).map(([lines, kind, gap]): Omit<BodyBlock, 'startLine'> & { gap: number } => ({
      lines, kind, depth: kind === 'quoted' ? 1 : 0, author: kind === 'quoted' ? author : null, gap,
    }));
    let observations = 0;
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 4 }), fc.boolean(), (blocks, repeat) => {
        let line = 1;
        const placed: BodyBlock[] = blocks.map(({ gap, ...b }) => {
          const startLine = line + gap;
          line = startLine + b.lines.length;
          return { ...b, startLine };
        });
        // the same block again (ids repeat: the dedupe after the streamed observations)
        if (repeat) placed.push(placed[0]!);
        const post = (): MailPost => ({ ...base, blocks: placed, warnings: [] });
        const streamed = analyzePost(post(), 'p1@cert.fjordnet.example');
        const general = withoutArgusStreaming(() => analyzePost(post(), 'p1@cert.fjordnet.example'));
        observations += general.observations.length;
        expect(JSON.stringify(streamed.observations)).toBe(JSON.stringify(general.observations));
        expect(streamed.post).toEqual(general.post);
        expect(streamed.mail.warnings).toEqual(general.mail.warnings);
      }),
      { numRuns: 300 },
    );
    expect(observations).toBeGreaterThan(1000);
  });
});
