import { describe, expect, it } from 'vitest';
import { isTrimmedSpace, phraseTest, segmentBody } from '../src/mail/quotes.js';

// segmentBody's cheap per-line tests stand in for trim() and toLowerCase().includes(): they must agree exactly.

describe('segmentBody line tests', () => {
  it('isTrimmedSpace is what String.prototype.trim removes, for every UTF-16 code unit', () => {
    const differ: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const trims = String.fromCharCode(c).trim() === '';
      if (trims !== isTrimmedSpace(c)) differ.push(c);
    }
    expect(differ).toEqual([]);
  });

  it('phraseTest matches exactly where lower-casing and includes() would', () => {
    const phrases = ['this list is provided by', 'virus checked', 'e-mail and any', 'disclaimer:', 'list (archive)'];
    const test = phraseTest(phrases);
    const lines = [
      'THIS LIST IS PROVIDED BY the SecurityFocus ARIS analyzer service.',
      'This list is provided by',
      'this list is  provided by',
      'Virus Checked by X',
      'virus chec\u212Aed', // Kelvin sign: toLowerCase makes it 'k'
      'v\u0130rus checked', // dotted capital I: lower-cases to 'i' + U+0307
      'viruS cheCKed!',
      'the E-MAIL AND ANY files',
      'the email and any files',
      'Disclaimer: none',
      'disclaimer - none',
      'see the LIST (ARCHIVE)',
      'list archive',
      'vırus checked', // dotless i stays itself under toLowerCase
      'ſ virus checked', // long s stays itself too
      '',
    ];
    for (const l of lines) {
      const lower = l.toLowerCase();
      expect(test.test(l), l).toBe(phrases.some((p) => lower.includes(p)));
    }
  });

  it('reads lines with unusual whitespace as trim() would', () => {
    // a no-break space line is blank; an ideographic-space-indented header still opens an Outlook block
    const text = [
      'We see it too.',
      '\u00a0\u3000',
      '\u3000From: Bob Jones <bob@example.com>',
      'Sent: Thursday, September 06, 2001 10:00 AM',
      'To: incidents@example.org',
      'Subject: scans',
      '',
      'original text',
    ].join('\n');
    const blocks = segmentBody(text);
    expect(blocks.map((b) => [b.kind, b.depth, b.startLine])).toEqual([
      ['own', 0, 1],
      ['quoted', 1, 3],
    ]);
    expect(blocks[1]!.author).toMatchObject({ address: 'bob@example.com' });
  });

  it('finds a Lotus Notes header with an obfuscated address only when To: and Subject: follow', () => {
    const header = ['Russell Fulton <r.fulton () auckland ac nz>', 'Sent by: owner', 'To: incidents', 'Subject: x', '', 'the quoted post'];
    const blocks = segmentBody(['own words', ...header].join('\n'));
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'quoted']);
    expect(blocks[1]!.author).toMatchObject({ name: 'Russell Fulton' });
    const notHeader = segmentBody(['own words', header[0], 'Then we saw it.', 'To: incidents', 'Subject: x'].join('\n'));
    expect(notHeader.map((b) => b.kind)).toEqual(['own']);
  });
});
