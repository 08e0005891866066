import { describe, expect, it } from 'vitest';
import { findQuestions, findStatements, NOT_SAME_PATTERNS, SAME_PATTERNS, splitSentences } from '../src/correlate/corroboration.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';

/** The plain character-by-character definition splitSentences must keep (it searches with indexOf instead). */
function referenceSplit(paragraph: string): string[] {
  const abbreviations = new Set(['e.g', 'i.e', 'etc', 'mr', 'mrs', 'dr', 'vs', 'approx', 'cf', 'fig', 'no']);
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < paragraph.length; i++) {
    const c = paragraph[i];
    if (c !== '.' && c !== '!' && c !== '?') continue;
    const next = paragraph[i + 1];
    if (next !== undefined && next !== ' ' && next !== '\t' && next !== '"' && next !== ')') continue;
    if (c === '.') {
      let w = i - 1;
      while (w >= start && paragraph[w] !== ' ') w--;
      if (abbreviations.has(paragraph.slice(w + 1, i).toLowerCase())) continue;
    }
    let end = i + 1;
    while (end < paragraph.length && '.!?")'.includes(paragraph[end] as string)) end++;
    const s = paragraph.slice(start, end).trim();
    if (s) out.push(s);
    start = end;
    i = end - 1;
  }
  const rest = paragraph.slice(start).trim();
  if (rest) out.push(rest);
  return out.map((s) => (s.length > 1000 ? s.slice(0, 1000) : s));
}

function post(blocks: Array<Pick<BodyBlock, 'kind' | 'lines'> & Partial<BodyBlock>>): MailPost {
  return {
    id: 'p1',
    hasMessageId: true,
    inReplyTo: null,
    references: [],
    subject: null,
    date: null,
    offsetMinutes: 0,
    from: { name: null, address: 'a@example.org', org: 'example.org' },
    text: blocks.flatMap((b) => b.lines).join('\n'),
    blocks: blocks.map((b, i) => ({ startLine: i + 1, depth: b.kind === 'quoted' ? 1 : 0, author: null, ...b })),
    tlp: null,
    headers: { listId: null, autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] },
    input: 'test',
    warnings: [],
  };
}

describe('splitSentences', () => {
  it('agrees with the character-by-character definition on random text', () => {
    const pieces = ['.', '!', '?', ' ', '\t', '"', ')', '(', 'e.g', 'E.G', 'Mr', 'approx', 'approxi', 'No', 'no', 'x', 'word', '130.67.1.2', '...', '?!', '\u0130', 'A'];
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 8) % n;
    };
    for (let k = 0; k < 3000; k++) {
      let p = '';
      const len = rnd(40);
      for (let j = 0; j < len; j++) p += pieces[rnd(pieces.length)];
      expect(splitSentences(p), JSON.stringify(p)).toEqual(referenceSplit(p));
    }
    const long = `${'a'.repeat(1500)}? ${'b '.repeat(700)}end.`;
    expect(splitSentences(long)).toEqual(referenceSplit(long));
  });

  it('keeps abbreviations inside a sentence and ends at the last character', () => {
    expect(splitSentences('We saw it, e.g. on port 80. Mr. Smith too!')).toEqual(['We saw it, e.g. on port 80.', 'Mr. Smith too!']);
    expect(splitSentences('Why?')).toEqual(['Why?']);
    expect(splitSentences('Really?!" he asked. ok')).toEqual(['Really?!"', 'he asked.', 'ok']);
  });
});

describe('paragraphs read for questions and statements', () => {
  it('joins a wrapped question with the prose line before it, not with a data line', () => {
    const q = findQuestions(
      post([{ kind: 'own', lines: ['We looked at the logs and', 'does anyone know what this is?', '06 Sep 01 07:10:23 tcp 130.67.240.225.1450 ?> 130.216.223.150.80', 'is this a worm?'] }]),
      't',
    );
    expect(q.map((x) => x.text)).toEqual(['We looked at the logs and does anyone know what this is?', 'is this a worm?']);
  });

  it('ends a paragraph at a line ending in a colon and at a [**] line', () => {
    const s = findStatements(
      post([{ kind: 'own', lines: ['We see the same thing', 'here:', '[**] WEB-IIS cmd.exe access [**]', 'Not sure why.'] }]),
      't',
    );
    expect(s.map((x) => [x.quote, x.polarity])).toEqual([['We see the same thing here:', 'same']]);
  });

  it('reads the first level of quotation for questions only when the author asks none', () => {
    const m = post([
      { kind: 'own', lines: ['Same here.'] },
      { kind: 'quoted', lines: ['Any idea what is going', 'on with these scans?', 'We are seeing this too.'] },
    ]);
    expect(findQuestions(m, 't').map((x) => x.text)).toEqual(['Any idea what is going on with these scans?']);
    expect(findStatements(m, 't').map((x) => x.quote)).toEqual(['Same here.']);
  });
});

describe('polarity patterns', () => {
  it('every match holds one of the words the pattern is gated on', () => {
    // sentences made of the patterns' own words (and a few traps), in mixed case
    for (const p of [...SAME_PATTERNS, ...NOT_SAME_PATTERNS]) {
      const words = [...new Set(p.re.source.replace(/\\[a-z]/g, ' ').match(/[a-z']+/g) ?? [])].filter((w) => w.length > 1 || w === 'i');
      const vocabulary = [...words, 'not', "n't", 'we', 'the', 'K\u212A', 'si\u0130gn', 'ſame'];
      let seed = 7;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return (seed >>> 8) % n;
      };
      let matched = 0;
      for (let k = 0; k < 40000; k++) {
        const parts: string[] = [];
        if (rnd(2) === 0) {
          const len = 2 + rnd(5);
          for (let j = 0; j < len; j++) parts.push(vocabulary[rnd(vocabulary.length)]!);
        } else {
          // the pattern's words in their order, some left out: follows the pattern's sequence
          const from = rnd(words.length);
          for (let j = from; j < words.length && parts.length < 8; j++) if (rnd(3) !== 0) parts.push(words[j]!);
        }
        for (let j = 0; j < parts.length; j++) if (rnd(3) === 0) parts[j] = parts[j]!.toUpperCase();
        const s = parts.join(rnd(4) === 0 ? '  ' : ' ');
        if (!p.re.test(s)) continue;
        matched++;
        const lower = s.toLowerCase();
        expect(p.needs.some((w) => lower.includes(w)), `${p.re.source} on ${s}`).toBe(true);
      }
      expect(matched, p.re.source).toBeGreaterThan(10);
    }
  });
});
