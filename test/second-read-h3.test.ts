// A second read of the session's speed commits (d8c93dd ids as bytes, 5367ed7 argus streamed into
// observations). Two paths their own tests did not reach:
// - an argus record whose lines another extractor (Snort) claimed first: a cut-column ICMP record
//   (`addr -> addr ECO`) right under a Snort full alert, with no blank line between, is a body line
//   of the alert (it starts with an address) and an argus record too. extractRecordsArgusTo must
//   leave it out exactly as extractRecords does, and analyzePost give what the general path gives;
// - observation ids whose text overflows the byte buffer through the record's fields (not only the
//   post id), with the post id's bytes kept at the buffer's start between calls.
import fc from 'fast-check';
import { fixtureLines } from './helpers/fixture-files.js';
import { describe, expect, it } from 'vitest';
import { analyzePost, observationId, observationIdOfText, withoutArgusStreaming } from '../src/analyze/post.js';
import { extractArgus } from '../src/extract/argus.js';
import { acceptedInLineOrder, extractRecords, extractRecordsArgusTo } from '../src/extract/index.js';
import type { ExtractedRecord, RecordTime } from '../src/extract/types.js';
import { parseMail } from '../src/mail/parse.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';

const SNORT_FULL = [
  '[**] [1:1256:7] WEB-IIS CodeRed v2 root.exe access [**]',
  '[Classification: Web Application Attack] [Priority: 1]',
  '10/20-20:15:02.442001 198.51.100.77:3340 -> 192.0.2.44:80',
  'TCP TTL:111 TOS:0x0 ID:60212 IpLen:20 DgmLen:112 DF',
];
const CUT_COLUMNS = [
  '  198.51.100.9   ->   192.0.2.5    ECO',
  '  198.51.100.9       <->   192.0.2.5    ECR',
  '  130.67.216.237.3339   ?>    130.216.246.91.80      A_',
  '  tcp  203.0.113.5.1025  ->  192.0.2.30.80  S_',
  '  tcp  203.0.113.5.1025  ->  192.0.2.30.80  sSE',
  '  tcp  203.0.113.5.1025  ->  192.0.2.30.80  S',
];


// every non-blank line of the record fixtures: pieces cut from it are put together with no blank
// line between, so records of different extractors touch
const POOL: string[] = fixtureLines('extract', 'argus').flat().filter((l) => l.trim() !== '');
const piece = fc.oneof(
  { arbitrary: fc.constantFrom(SNORT_FULL, SNORT_FULL.slice(0, 3)), weight: 2 },
  // an alert with an ICMP cut-column record as its last body line: argus reads it too
  { arbitrary: fc.constantFrom(CUT_COLUMNS[0]!, CUT_COLUMNS[1]!).map((l) => [...SNORT_FULL, l]), weight: 2 },
  { arbitrary: fc.constantFrom(...CUT_COLUMNS).map((l) => [l]), weight: 3 },
  { arbitrary: fc.tuple(fc.nat(POOL.length - 1), fc.integer({ min: 1, max: 6 })).map(([i, n]) => POOL.slice(i, i + n)), weight: 3 },
  { arbitrary: fc.constant(['']), weight: 1 },
);
const blockLines = fc.array(piece, { minLength: 1, maxLength: 10 }).map((p) => p.flat());

const byLine = (a: ExtractedRecord, b: ExtractedRecord): number => a.line - b.line;

async function basePost(): Promise<MailPost> {
  return parseMail(
    Buffer.from('From: Sigrid Holm <sigrid@cert.fjordnet.example>\nTo: incidents@lists.example\nSubject: logs\nDate: Tue, 24 Nov 2026 23:41:00 +0100\nMessage-ID: <p1@cert.fjordnet.example>\n\nHi\n'),
    'p.eml',
  );
}

function bothPaths(base: MailPost, blocks: readonly (readonly string[])[]): void {
  let line = 1;
  const placed: BodyBlock[] = blocks.map((lines, k) => {
    const b: BodyBlock = { lines: [...lines], kind: k % 2 === 0 ? 'own' : 'quoted', depth: k % 2, author: null, startLine: line };
    line += lines.length + 1;
    return b;
  });
  const post = (): MailPost => ({ ...base, blocks: placed, warnings: [] });
  const streamed = analyzePost(post(), 'p1@cert.fjordnet.example');
  const general = withoutArgusStreaming(() => analyzePost(post(), 'p1@cert.fjordnet.example'));
  expect(JSON.stringify(streamed.observations)).toBe(JSON.stringify(general.observations));
  expect(streamed.post).toEqual(general.post);
  expect(streamed.mail.warnings).toEqual(general.mail.warnings);
}

describe('an argus record on lines Snort claimed first', () => {
  it('is left out by extractRecordsArgusTo as by extractRecords (a known block)', async () => {
    const lines = [...SNORT_FULL, CUT_COLUMNS[0]!, '', ...SNORT_FULL, CUT_COLUMNS[1]!, CUT_COLUMNS[3]!, '', CUT_COLUMNS[2]!];
    // the premise: argus reads lines 4 and 10, which the alerts above them take as body lines
    const argusLines = extractArgus(lines).map((r) => r.line);
    expect(argusLines).toEqual([4, 10, 11, 13]);
    const full = extractRecords(lines);
    expect(full.records.map((r) => [r.source, r.line, r.lineCount])).toEqual([['snort', 0, 5], ['snort', 6, 5], ['argus', 11, 1], ['argus', 13, 1]]);
    const handed: ExtractedRecord[] = [];
    const ex = extractRecordsArgusTo(lines, (rec) => handed.push(rec));
    expect(handed.map((r) => r.line)).toEqual([11, 13]);
    expect(ex.argusCount).toBe(2);
    expect([...handed, ...ex.others].sort(byLine)).toEqual(full.records);
    // only the rejected one: the block's records are the alert's alone
    const one = [...SNORT_FULL, CUT_COLUMNS[0]!];
    const oneHanded: ExtractedRecord[] = [];
    const oneEx = extractRecordsArgusTo(one, (rec) => oneHanded.push(rec));
    expect(oneHanded).toEqual([]);
    expect(oneEx.argusCount).toBe(0);
    expect(acceptedInLineOrder(oneEx.others, one.length)).toEqual(extractRecords(one).records);
    bothPaths(await basePost(), [lines, one, lines]);
  });

  it('hands over what extractRecords accepts, and analyzePost gives the general path, on touching records of every extractor', async () => {
    const base = await basePost();
    const reached = { rejected: 0, rejectedAlone: 0 };
    fc.assert(
      fc.property(fc.array(blockLines, { minLength: 1, maxLength: 3 }), (blocks) => {
        for (const lines of blocks) {
          const handed: ExtractedRecord[] = [];
          const ex = extractRecordsArgusTo(lines, (rec) => handed.push(rec));
          const full = extractRecords(lines);
          expect(ex.argusFailed).toBe(false);
          expect(ex.problems).toEqual(full.problems);
          expect(handed).toEqual(full.records.filter((r) => r.source === 'argus'));
          expect([...handed, ...ex.others].sort(byLine)).toEqual(full.records);
          if (handed.length === 0) expect(acceptedInLineOrder(ex.others, lines.length)).toEqual(full.records);
          if (extractArgus(lines).length > handed.length) {
            reached.rejected++;
            if (handed.length === 0) reached.rejectedAlone++;
          }
        }
        bothPaths(base, blocks);
      }),
      { numRuns: 400 },
    );
    // the claim check turned argus records away, in blocks with and without other argus records
    expect(reached.rejected).toBeGreaterThan(200);
    expect(reached.rejectedAlone).toBeGreaterThan(30);
    expect(reached.rejected - reached.rejectedAlone).toBeGreaterThan(100);
  });
});

describe('observationId past the byte buffer', () => {
  // fields long enough to overflow the 4,096-byte buffer on their own, post ids of about that length
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer({ min: 0, max: 4200 }).map((n) => 'x'.repeat(n)),
    fc.constantFrom('caf\u00e9', '\u00e9'.repeat(3), '\ud800'),
  );
  const num = fc.oneof(fc.nat(), fc.double(), fc.constantFrom(-0, NaN, 1e21, 999_999_999_999_999, 1e15, -5, 0.5));
  const post = fc.oneof(
    fc.integer({ min: 0, max: 4200 }).map((n) => 'p'.repeat(n)),
    fc.constantFrom('a', '', 'r\u00e9sum\u00e9@x', 'x'.repeat(4094), 'x'.repeat(4095), 'x'.repeat(4096)),
  );
  const time: fc.Arbitrary<RecordTime | null> = fc.option(
    fc.record({ hour: num, minute: num, second: num, fraction: fc.option(text, { nil: undefined }) }) as fc.Arbitrary<RecordTime>,
  );
  const record = fc.record({
    source: text, format: text, line: fc.nat(), lineCount: fc.nat(), time,
    proto: fc.option(text), state: fc.option(text), sport: fc.option(num), srcFlags: fc.option(text),
  }) as unknown as fc.Arbitrary<ExtractedRecord>;

  it('gives the id of the text built as a string, posts alternating', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(post, num, record), { minLength: 1, maxLength: 10 }), (items) => {
        for (const [p, line, rec] of items) expect(observationId(p, line, rec)).toBe(observationIdOfText(p, line, rec));
      }),
      { numRuns: 1500 },
    );
  });
});
