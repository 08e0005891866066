import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deobfuscateAddress, orgOf, parseParty } from '../src/mail/org.js';
import { MailParseError, parseMail } from '../src/mail/parse.js';
import { segmentBody } from '../src/mail/quotes.js';
import { normalizeSubject } from '../src/mail/thread.js';
import { detectTlp } from '../src/mail/tlp.js';

const PIECES = [
  '> ',
  '>>',
  '> > ',
  '>From ',
  '-- ',
  '--',
  'From: Bob <bob@example.org>',
  'Sent: Thursday',
  'To: list',
  'Subject: x',
  '-----Original Message-----',
  '________________________________',
  '****************',
  '----------------',
  'This list is provided by',
  'confidential',
  'Russell Fulton wrote:',
  'On Thu, 6 Sep 2001 10:49:20 +0100, Bob wrote:',
  '    ',
  '\t',
  'Russell Fulton <r.fulton () auckland ac nz> 06/09/01 00:14:18 >>>',
  '>>> Bob <bob@example.org> 9/6/2001 12:14 AM >>>',
  '----- Forwarded message from Bob <b@example.org> -----',
  '----- End forwarded message -----',
  '06 Sep 01 07:10:23  tcp  130.67.240.225.1450   ?>   130.216.223.150.80    1   1   1460   0',
  '       A_RPA',
  '',
];

const line = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 30 })), { maxLength: 4 }).map((p) => p.join(''));
const body = fc.array(line, { maxLength: 60 }).map((ls) => ls.join('\n'));

describe('segmentBody properties', () => {
  it('never throws, covers every line in order, and only removes prefixes', () => {
    fc.assert(
      fc.property(body, (text) => {
        const blocks = segmentBody(text);
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        let next = 1;
        for (const b of blocks) {
          expect(b.startLine).toBe(next);
          b.lines.forEach((l, k) => {
            const original = lines[b.startLine - 1 + k]!.replace(/\r$/, '');
            expect(original.endsWith(l)).toBe(true);
          });
          expect(b.depth).toBeGreaterThanOrEqual(0);
          expect(b.depth).toBeLessThanOrEqual(32);
          if (b.kind === 'own') expect(b.depth).toBe(0);
          next += b.lines.length;
        }
        expect(next - 1).toBe(lines.length);
      }),
      { numRuns: 500 },
    );
  });

  it('stays linear in the size of the input', () => {
    // a large random body must complete and cover every line; a quadratic pass would run into the
    // test timeout (no stopwatch: speed is the benchmarks' job)
    const sample = fc.sample(body, { numRuns: 50, seed: 42 }).join('\n');
    const big = Array.from({ length: 400 }, () => sample).join('\n');
    const blocks = segmentBody(big);
    expect(blocks.reduce((n, b) => n + b.lines.length, 0)).toBe(big.split('\n').length);
  });
});

describe('string helpers never throw', () => {
  it('on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        parseParty(s);
        deobfuscateAddress(s);
        orgOf(s);
        normalizeSubject(s);
        detectTlp(s, s);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseMail properties', () => {
  const seed = readFileSync(new URL('../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url));
  const eml = readFileSync(new URL('../fixtures/mail/quote-gt-nested.eml', import.meta.url));

  it('either parses or throws MailParseError on random and mutated input', async () => {
    const mutated = fc
      .tuple(fc.constantFrom(seed, eml), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), fc.nat())
      .map(([base, edits, cut]) => {
        const b = Buffer.from(base);
        for (const [at, v] of edits) b[at % b.length] = v;
        return b.subarray(0, Math.max(1, cut % (b.length + 1)));
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a))), async (raw) => {
        try {
          const p = await parseMail(raw, 'prop');
          expect(typeof p.id).toBe('string');
          const lines = p.text === '' ? 0 : p.text.split('\n').length - (p.text.endsWith('\n') ? 1 : 0);
          expect(p.blocks.reduce((n, b) => n + b.lines.length, 0)).toBe(lines);
        } catch (err) {
          expect(err).toBeInstanceOf(MailParseError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('segmentBody on hostile repetitions stays linear', () => {
  // No stopwatch here (speed is the benchmarks' job): 100,000 repetitions are instant for a linear
  // pass and would run into the test timeout for a quadratic one (10^10 steps).
  it.each([
    ['indented attributions', '  the sensor wrote:\n'],
    ['attribution + indent', 'x wrote:\n  y\n'],
    ['forward starts', '----- Forwarded message from Bob <b@example.org> -----\n'],
    ['GroupWise headers', 'Bob <b@example.org> 06/09/01 00:14:18 >>>\n'],
    ['Outlook blocks', 'From: a@b.example.org\nSent: x\nTo: y\n'],
    ['rule + disclaimer', '----------\nconfidential\n'],
    ['signature delimiters', '-- \n'],
    ['deep markers', `${'> '.repeat(40)}x\n`],
  ])('%s', (_name, unit) => {
    const reps = 100_000;
    const text = unit.repeat(reps);
    const blocks = segmentBody(text);
    const linesIn = text.split('\n').length - 1; // every unit ends with a newline
    expect(blocks.reduce((n, b) => n + b.lines.length, 0)).toBe(linesIn);
  });
});
