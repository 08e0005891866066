// Second read of the late speed/memory commits (9d8da54, 8b90042, 0486d28, 5595ae8, 97ab108,
// f1ab2eb): the cases their own tests did not reach. Join ends hashed late (8b90042) when the
// alerts and the flows that join are in different posts, the last post holding only one kind;
// data lines settled from bytes (9d8da54) on blocks of exactly 64 lines with CRs, tabs, NBSPs and
// 4,096-character lines. No source change: nothing found wrong (the join cases fail when finish
// does not hash the last post's ends before the joins; the block cases when a line over 4,096
// characters or a chunk with non-ASCII whitespace is settled).

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJsonDocument } from '../src/analyze/json-out.js';
import { analyzeInputs, analyzeInputsToJson } from '../src/analyze/run.js';
import { dataLinesOf, paragraphsOf } from '../src/correlate/corroboration.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';
import { Collect } from './helpers/collect.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-second-read-late-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SEED = readFileSync('fixtures/seed/incidents-2001-09-06-code-red-variants.txt', 'utf8').split('\n');
// the seed's Snort alert (its header lines, no hex dump) and the argus record it joins
const ALERT = SEED.slice(SEED.findIndex((l) => l.startsWith('[**] WEB-IIS cmd.exe')), SEED.findIndex((l) => l.startsWith('***A**** Seq')) + 1);
const FLOW = SEED.slice(SEED.findIndex((l) => l.startsWith('06 Sep 01 07:10:23')), SEED.findIndex((l) => l.startsWith('06 Sep 01 07:10:23')) + 2);
// other argus records of the seed (no alert of theirs)
const OTHER_FLOWS = SEED.slice(SEED.findIndex((l) => l.startsWith('06 Sep 01 00:02:34')), SEED.findIndex((l) => l.startsWith('06 Sep 01 00:02:34')) + 8);

let made = 0;
function post(body: string[], from = 'Russell Fulton <r.fulton@auckland.ac.nz>'): string {
  const name = `p${made++}`;
  const file = join(work, `${name}.eml`);
  const head = [
    `From: ${from}`,
    'To: incidents@lists.example',
    'Subject: Re: Code red variants?',
    'Date: Thu, 06 Sep 2001 10:49:20 +0100',
    `Message-ID: <${name}@auckland.ac.nz>`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
  ];
  writeFileSync(file, [...head, ...body, ''].join('\n'));
  return file;
}

async function memoryAndSpill(paths: string[]): Promise<{ memory: string; spilled: string }> {
  const { result } = await analyzeInputs(paths, { keepQuestions: false });
  const a = new Collect();
  await writeJsonDocument(result.doc, a);
  const spillDir = mkdtempSync(join(work, 'spill-'));
  const b = new Collect();
  await analyzeInputsToJson(paths, b, { tmpDir: spillDir });
  expect(readdirSync(spillDir)).toEqual([]);
  return { memory: a.text(), spilled: b.text() };
}

interface Doc {
  observations: Array<{ id: string; source: string; duplicateOf?: string }>;
  findings: Array<{ kind: string; observations: string[] }>;
}

describe('join ends hashed late (8b90042)', () => {
  const alertPost = (): string => post(['Snort logged this:', '', ...ALERT, '', 'Any idea what is going on?']);
  const flowPost = (): string => post(['I then looked at the argus logs:', '', ...FLOW, '', ...OTHER_FLOWS, '', 'Odd.']);
  const prosePost = (): string => post(['We see the same here.']);
  const otherReporterFlows = (): string => post(['Ours:', '', ...OTHER_FLOWS], 'Sigrid Holm <sigrid@cert.fjordnet.example>');

  const arrangements: Array<[string, () => string[]]> = [
    ['flows first, the last post only alerts', () => [flowPost(), alertPost()]],
    ['alerts first, the last post only flows', () => [alertPost(), flowPost()]],
    ['flows, then alerts, then a post of prose alone', () => [flowPost(), alertPost(), prosePost()]],
    ['alerts, then flows, then another reporter\'s flows last', () => [alertPost(), flowPost(), otherReporterFlows()]],
    ['flows of another reporter, flows, alerts last', () => [otherReporterFlows(), flowPost(), alertPost()]],
    ['the alert post twice (copies), flows last', () => [alertPost(), alertPost(), flowPost()]],
  ];

  for (const [name, make] of arrangements) {
    it(`writes the in-memory bytes and joins across posts: ${name}`, async () => {
      const { memory, spilled } = await memoryAndSpill(make());
      const doc = JSON.parse(memory) as Doc;
      // the join happened (across two posts) in the reference document
      expect(doc.findings.filter((f) => f.kind === 'same-traffic').length).toBeGreaterThan(0);
      expect(doc.observations.some((o) => o.source === 'snort')).toBe(true);
      expect(spilled.length).toBe(memory.length);
      expect(spilled === memory).toBe(true);
    }, 60_000);
  }

  it('a corpus of flows alone and one of alerts alone are written the same (no ends needed)', async () => {
    for (const paths of [[flowPost(), otherReporterFlows()], [alertPost(), alertPost()]]) {
      const { memory, spilled } = await memoryAndSpill(paths);
      expect(spilled === memory).toBe(true);
    }
  }, 60_000);
});

describe('data lines settled from bytes (9d8da54) at the edges', () => {
  function mailOf(lines: string[]): MailPost {
    const block = { kind: 'own', lines, startLine: 1 } as unknown as BodyBlock;
    return { blocks: [block] } as unknown as MailPost;
  }
  const take = (): boolean => true;
  const prose = ['we see the same here from 130.67/16 too', 'Any idea what is going on?', 'not seen this:', 'I agree. Does anyone else see port 80?'];
  const data = ['06 Sep 01 00:02:34    tcp  130.67.216.237.3339   ?>    130.216.246.91.80    1        0         1460         0', '00 FF 75 FC FF 55 F8 89 45 D4 E8 0C 00 00 00 43  ..u..U..E......C', '[**] WEB-IIS cmd.exe access [**]', '12345678901234567890abcdefghijklmnopqrs', 'abc 1234'];
  // ASCII dress only (variants 0-2), or non-ASCII whitespace among them (3-5): those chunks are read as before
  const dress = (s: string, k: number, ascii: boolean): string => [s, `${s}\r`, `\t${s}`, `  ${s}  \r`, `\u00a0${s}`, `${s}\u3000`][k % (ascii ? 4 : 6)] as string;

  it('gives the paragraphs of trimming every line on 63, 64, 65 and 1,024 + 1 line blocks', () => {
    for (const count of [63, 64, 65, 1025]) {
      for (let variant = 0; variant < 6; variant++) {
        const lines: string[] = [];
        for (let k = 0; k < count; k++) {
          const pick = (k * 7 + variant) % 11;
          if (pick < 4) lines.push(dress(prose[pick] as string, k + variant, variant < 3));
          else if (pick < 9) lines.push(dress(data[pick - 4] as string, k + variant, variant < 3));
          else if (pick === 9) lines.push(variant % 2 === 0 ? '' : '\r');
          // lines of exactly 4,096 and 4,097 characters: data the first, over the cap (read as blank) the second
          else lines.push(k % 3 === 0 ? '7'.repeat(4096) : k % 3 === 1 ? '7'.repeat(4097) : 'x'.repeat(4096 + (variant % 2)));
        }
        const mail = mailOf(lines);
        for (const statements of [true, false]) {
          expect(paragraphsOf(mail, take, statements, true)).toEqual(paragraphsOf(mail, take, statements, false));
        }
        const settled = dataLinesOf(lines);
        for (let k = 0; k < count; k++) {
          const line = lines[k] as string;
          // a settled line is ASCII, at most 4,096 long and has more digits than letters
          if (settled[k] === 1) {
            expect(line.length).toBeLessThanOrEqual(4096);
            expect(/^[\x00-\x7f]*$/.test(line)).toBe(true);
            expect((line.match(/[0-9]/g)?.length ?? 0) > (line.match(/[A-Za-z]/g)?.length ?? 0)).toBe(true);
          }
        }
        // an all-ASCII block settles its data lines (the lines of 4,096 sevens among them); one with non-ASCII whitespace in every chunk settles none
        const sevens = lines.flatMap((l, k) => (l.length === 4096 && l.startsWith('7') ? [k] : []));
        if (variant < 3) {
          expect(sevens.length).toBeGreaterThan(0);
          for (const k of sevens) expect(settled[k]).toBe(1);
          for (let k = 0; k < count; k++) if ((lines[k] as string).length > 4096) expect(settled[k]).toBe(0);
        } else expect(settled.subarray(0, 1024).every((x) => x === 0)).toBe(true);
      }
    }
  });
});
