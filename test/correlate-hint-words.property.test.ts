import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintWordsIn, NOT_SAME_PATTERNS, SAME_PATTERNS } from '../src/correlate/corroboration.js';

// hintWordsIn replaces POLARITY_HINT.test and the patterns' gate (s.toLowerCase().includes(word) per
// needed word) with one scan: its bits must be exactly the words those found, or a sentence's
// polarity changes. The words in bit order, as corroboration.ts numbers them.
const WORDS = ['nothing', 'too', 'well', 'same', 'similar', 'also', 'not', "n't", 'dont', 'didnt', 'havent', 'never', 'sign', 'none'];
const POLARITY_HINT = /too|well|same|similar|also|not|n['\u2018\u2019]t|dont|didnt|havent|never|sign|none/i;

/** the old definition: the words a lower-cased copy (curly apostrophes made straight) includes */
function referenceWords(s: string): number {
  const lower = s.replace(/[\u2018\u2019]/g, "'").toLowerCase();
  let mask = 0;
  WORDS.forEach((w, i) => {
    if (lower.includes(w)) mask |= 1 << i;
  });
  return mask;
}

// pieces that make words overlap, cut or touch, in every case, next to the characters toLowerCase
// maps into ASCII (U+0130, U+212A) and those /i does not fold (long s, dotless i)
const PIECES = [
  ...WORDS, ...WORDS.map((w) => w.toUpperCase()), 'No', 'nOt', 'NoThInG', 'n\u2018t', 'N\u2019T', "n'", 't', 'oo', 'o', 'n', 's', 'ign',
  'one', 'ever', 'imilar', 'lso', 'ell', 'ame', 'avent', 'idnt', 'ont', ' ', '  ', '.', '?', "'", '\u2018', '\u2019', '\u0130', '\u212A',
  '\u017F', '\u0131', 'x', '1', 'we', 'see', 'the', 'seen', 'here', 'us', 'me', 'no', 'sig', 'h', 'd', 'a', 'w',
];
const sentence = fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((p) => p.join(''));

describe('hintWordsIn', () => {
  it('finds exactly the words a lower-cased copy includes, and none where POLARITY_HINT finds none', () => {
    fc.assert(
      fc.property(fc.oneof(sentence, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 })), (s) => {
        const words = hintWordsIn(s);
        expect(words, JSON.stringify(s)).toBe(referenceWords(s));
        expect(words !== 0, JSON.stringify(s)).toBe(POLARITY_HINT.test(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('holds on overlapping and adjacent words', () => {
    for (const s of ['notoo', 'signone', 'NOTHING', 'nothingnot', 'donot', "didn't", 'havenT', 'n\u2019t', 'si\u0130gn', 'K\u212Aa', 'samesimilar', 'alsoo', 'wellwell', '']) {
      expect(hintWordsIn(s), s).toBe(referenceWords(s));
    }
  });

  it('looks for every word a polarity pattern is gated on', () => {
    for (const p of [...SAME_PATTERNS, ...NOT_SAME_PATTERNS]) for (const w of p.needs) expect(WORDS, w).toContain(w);
  });
});
