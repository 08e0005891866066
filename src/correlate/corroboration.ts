// The deterministic rule pass over what people say in prose: "I've seen this as well",
// "we don't see any", and the questions they ask the list. Only the author's own text counts:
// quoted text is someone else's voice, signatures and footers are nobody's.

import type { BodyBlock, MailPost } from '../mail/types.js';
import type { ProseStatement, Question } from './types.js';

const MAX_LINE = 4096;
const MAX_PARAGRAPH = 20_000;
const MAX_SENTENCE = 1_000;

const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'mr', 'mrs', 'dr', 'vs', 'approx', 'cf', 'fig', 'no']);

const DIGIT = /[0-9]/;

/** +1 for an ASCII digit, -1 for an ASCII letter, 0 for anything else, by UTF-16 code unit */
const DIGIT_MINUS_LETTER = new Int8Array(65536);
DIGIT_MINUS_LETTER.fill(1, 48, 58);
DIGIT_MINUS_LETTER.fill(-1, 65, 91);
DIGIT_MINUS_LETTER.fill(-1, 97, 123);

/** A (trimmed) line of a pasted record or hex dump, not prose: '[**]' or more ASCII digits than letters. */
function looksLikeData(t: string): boolean {
  const n = t.length;
  if (n === 0) return false;
  if (t.charCodeAt(0) === 91 /* [ */ && t.startsWith('[**]')) return true;
  // most prose lines hold no digit at all, and a native search finds that faster than a count
  if (!DIGIT.test(t)) return false;
  // digits minus letters, 16 characters at a time; stop once the rest cannot change the answer
  let balance = 0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    for (let k = i; k < i + 16; k++) balance += DIGIT_MINUS_LETTER[t.charCodeAt(k)]!;
    const left = n - i - 16;
    if (balance > left) return true;
    if (-balance >= left) return false;
  }
  for (; i < n; i++) balance += DIGIT_MINUS_LETTER[t.charCodeAt(i)]!;
  return balance > 0;
}

/** a block of at least this many lines has its data lines settled from its bytes (dataLinesOf) */
const SETTLE_MIN_LINES = 64;
/** lines joined and copied to bytes at a time: bounds the copy, and a non-ASCII line costs only its chunk */
const SETTLE_CHUNK_LINES = 1024;

/** +1 for an ASCII digit, -1 for an ASCII letter, 0 for any other byte */
const BYTE_DIGIT_MINUS_LETTER = DIGIT_MINUS_LETTER.subarray(0, 256);

/** the high bit of each of a word's bytes that is set in mask, counted */
function highBits(mask: number): number {
  return Math.imul(mask >>> 7, 0x01010101) >>> 24;
}

/**
 * Digits minus letters of bytes[start, end) if that is more than 0, else 0 (the count stops once
 * the rest cannot make it positive). Every byte must be ASCII (< 0x80): four are counted at a time
 * in a 32-bit word, each byte's high bit set by adding the distance to the range's bounds.
 */
function positiveBalance(bytes: Uint8Array, words: Int32Array, start: number, end: number): number {
  const lookup = BYTE_DIGIT_MINUS_LETTER;
  let balance = 0;
  let i = start;
  for (; i < end && (i & 3) !== 0; i++) balance += lookup[bytes[i]!]!;
  while (i + 16 <= end) {
    for (let w = i >> 2, last = w + 4; w < last; w++) {
      const x = words[w]!;
      // digits: 48 <= b < 58; letters: 97 <= (b | 0x20) < 123
      const digits = (x + 0x50505050) & ~(x + 0x46464646) & 0x80808080;
      const folded = x | 0x20202020;
      const letters = (folded + 0x1f1f1f1f) & ~(folded + 0x05050505) & 0x80808080;
      balance += highBits(digits) - highBits(letters);
    }
    i += 16;
    const left = end - i;
    if (balance > left) return balance;
    if (-balance >= left) return 0;
  }
  for (; i < end; i++) balance += lookup[bytes[i]!]!;
  return balance > 0 ? balance : 0;
}

/**
 * 1 for each line settled as data without trimming it: it is at most MAX_LINE long, its chunk of
 * lines is all ASCII and it holds more digits than letters (then so does its trimmed text, which
 * looksLikeData takes for data: trimming drops no digit or letter). 0: not settled, read it as usual.
 */
export function dataLinesOf(lines: readonly string[]): Uint8Array {
  const settled = new Uint8Array(lines.length);
  for (let first = 0; first < lines.length; first += SETTLE_CHUNK_LINES) {
    const last = Math.min(lines.length, first + SETTLE_CHUNK_LINES);
    const text = lines.slice(first, last).join('\n');
    // only ASCII keeps a line's offset (one byte a character) and the word counts' bounds
    if (Buffer.byteLength(text, 'utf8') !== text.length) continue;
    let bytes: Uint8Array = Buffer.from(text, 'latin1');
    if ((bytes.byteOffset & 3) !== 0) bytes = new Uint8Array(bytes);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    for (let k = first, offset = 0; k < last; k++) {
      const n = lines[k]!.length;
      if (n <= MAX_LINE && positiveBalance(bytes, words, offset, offset + n) > 0) settled[k] = 1;
      offset += n + 1;
    }
  }
  return settled;
}

/** A paragraph's sentences, and whether any holds a polarity hint (else none can be a statement). */
export interface Paragraph {
  sentences: string[];
  hinted: boolean;
}

/**
 * Paragraphs of the blocks that pass the filter, each joined into one line (mail clients wrap
 * mid-sentence) and split into sentences. Only those that can hold what is looked for are kept
 * and split: a question needs a '?' in the paragraph, a statement a polarity hint (no hint spans
 * a line break, so testing the lines is testing the paragraph).
 */
export function paragraphsOf(mail: MailPost, take: (b: BodyBlock) => boolean, statements: boolean, settle = true): Paragraph[] {
  const out: Paragraph[] = [];
  for (const block of mail.blocks) {
    if (!take(block)) continue;
    const lines = block.lines;
    // for questions alone, a block without a '?' has nothing to read (a native search per line)
    if (!statements && !lines.some(hasQuestionMark)) continue;
    // a pasted log's lines, settled from the block's bytes (~4x cheaper than trimming and counting each)
    const data = settle && lines.length >= SETTLE_MIN_LINES ? dataLinesOf(lines) : null;
    let current = '';
    let asks = false;
    let hinted = false;
    for (let k = 0; k < lines.length; k++) {
      const raw = lines[k]!;
      const line = raw.length > MAX_LINE || (data !== null && data[k] === 1) ? '' : raw.trim();
      if (!line || looksLikeData(line)) {
        if (asks || hinted) out.push({ sentences: splitSentences(current), hinted });
        current = '';
        asks = hinted = false;
        continue;
      }
      if (current.length + line.length < MAX_PARAGRAPH) {
        current = current ? `${current} ${line}` : line;
        if (!asks) asks = line.includes('?');
        if (statements && !hinted) hinted = POLARITY_HINT.test(line);
      }
      // "I then looked at the argus logs:" introduces pasted data: the sentence ends there
      if (line.endsWith(':')) {
        if (asks || hinted) out.push({ sentences: splitSentences(current), hinted });
        current = '';
        asks = hinted = false;
      }
    }
    if (asks || hinted) out.push({ sentences: splitSentences(current), hinted });
  }
  return out;
}

function hasQuestionMark(line: string): boolean {
  return line.includes('?');
}

function isOwn(b: BodyBlock): boolean {
  return b.kind === 'own';
}

function isFirstQuoted(b: BodyBlock): boolean {
  return b.kind === 'quoted' && b.depth <= 1;
}

// findStatements and findQuestions both read the same post's own sentences: split them once.
let lastMail: MailPost | null = null;
let lastBlocks: MailPost['blocks'] | null = null;
let lastOwnParagraphs: Paragraph[] = [];

/** The author's own paragraphs that can hold a question or a statement. */
function ownParagraphs(mail: MailPost): Paragraph[] {
  if (mail === lastMail && mail.blocks === lastBlocks) return lastOwnParagraphs;
  const paragraphs = paragraphsOf(mail, isOwn, true);
  lastMail = mail;
  lastBlocks = mail.blocks;
  lastOwnParagraphs = paragraphs;
  return paragraphs;
}

/** the characters a sentence's terminator run swallows: . ! ? " ) */
function isTerminatorRun(c: number): boolean {
  return c === 46 || c === 33 || c === 63 || c === 34 || c === 41;
}

/** the longest of ABBREVIATIONS; a longer word (lower-casing never shortens one) is none of them */
const MAX_ABBREVIATION = Math.max(...Array.from(ABBREVIATIONS, (a) => a.length));

/** Sentences of a paragraph, with their terminating punctuation. Linear scan, no regex. */
export function splitSentences(paragraph: string): string[] {
  const out: string[] = [];
  const n = paragraph.length;
  let start = 0;
  // the next '.', '!' and '?' at or after the scan position (-1: none left); found by native search
  let dot = paragraph.indexOf('.');
  let bang = paragraph.indexOf('!');
  let ask = paragraph.indexOf('?');
  let i = -1;
  for (;;) {
    if (dot >= 0 && dot <= i) dot = paragraph.indexOf('.', i + 1);
    if (bang >= 0 && bang <= i) bang = paragraph.indexOf('!', i + 1);
    if (ask >= 0 && ask <= i) ask = paragraph.indexOf('?', i + 1);
    i = earliest(dot, earliest(bang, ask));
    if (i < 0) break;
    if (i + 1 < n) {
      const next = paragraph.charCodeAt(i + 1);
      if (next !== 32 && next !== 9 && next !== 34 && next !== 41) continue;
    }
    if (i === dot) {
      let w = paragraph.lastIndexOf(' ', i - 1);
      if (w < start) w = start - 1;
      if (i - w - 1 <= MAX_ABBREVIATION && ABBREVIATIONS.has(paragraph.slice(w + 1, i).toLowerCase())) continue;
    }
    // swallow runs like "?!" or "..."
    let end = i + 1;
    while (end < n && isTerminatorRun(paragraph.charCodeAt(end))) end++;
    pushSentence(out, paragraph.slice(start, end));
    start = end;
    i = end - 1;
  }
  pushSentence(out, paragraph.slice(start));
  return out;
}

function earliest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return a < b ? a : b;
}

function pushSentence(out: string[], raw: string): void {
  const s = raw.trim();
  if (s) out.push(s.length > MAX_SENTENCE ? s.slice(0, MAX_SENTENCE) : s);
}

/** A polarity pattern and the words (lower case) of which every match holds one: without any, the regex is not run. */
export interface PolarityPattern {
  readonly re: RegExp;
  readonly needs: readonly string[];
}

// A sentence in which the author says they see the same. Bounded alternations, no nesting.
export const SAME_PATTERNS: readonly PolarityPattern[] = [
  {
    needs: ['well', 'too'],
    re: /\b(?:seen|seeing|see|saw|noticed|observed|observing|logged|logging|getting|got|had|have)\s+(?:this|that|these|those|it|them)\s+(?:as\s+well|too)\b/i,
  },
  {
    needs: ['also', 'too'],
    re: /\b(?:we|i|us)\s*(?:'re|'m|'ve|are|am|have|were|was|had)?\s*(?:also|too)\s+(?:seeing|see|seen|saw|getting|got|logging|logged|noticed|noticing|observing|observed|had|have)\b/i,
  },
  {
    needs: ['same'],
    re: /\b(?:see|seeing|seen|saw|getting|got|noticed|noticing|observed|observing|logged|logging|have|had)\s+(?:exactly\s+|precisely\s+)?(?:the\s+)?same\b/i,
  },
  {
    needs: ['similar'],
    re: /\b(?:see|seeing|seen|saw|noticed|noticing|observed|observing|logged|logging|getting|got)\s+(?:something\s+|much\s+|very\s+)?similar\b/i,
  },
  { needs: ['same'], re: /\bsame\s+(?:here|for\s+us|at\s+our\s+site|on\s+our\s+(?:network|side|end))\b/i },
  { needs: ['too'], re: /\bme\s+too\b/i },
  { needs: ['too'], re: /\b(?:here|us)\s+too\b/i },
];

// The author says they do not see it.
export const NOT_SAME_PATTERNS: readonly PolarityPattern[] = [
  {
    needs: ["n't", 'not', 'dont', 'didnt', 'havent', 'never'],
    re: /\b(?:don't|dont|do\s+not|didn't|didnt|did\s+not|haven't|havent|have\s+not|hasn't|has\s+not|am\s+not|are\s+not|aren't|not|never)\s+(?:yet\s+|actually\s+|ever\s+)?(?:seen|see|seeing|saw|noticed|observed|logged|getting|got|had)\b/i,
  },
  { needs: ['nothing'], re: /\bnothing\s+(?:like\s+(?:that|this|it)|similar)\b/i },
  { needs: ['sign'], re: /\bno\s+sign\s+of\s+(?:it|this|that|them)\b/i },
  { needs: ['none'], re: /\bnone\s+(?:here|at\s+all|of\s+(?:it|these|those|this|that))\b/i },
];

const DETAIL_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  [
    'unused-addresses',
    /\b(?:not\s+(?:currently\s+|presently\s+|yet\s+)?(?:in\s+use|used|assigned|allocated)|unused|unassigned|unallocated|darknet|dark\s+(?:space|addresses|ips?|net)|no\s+hosts?\s+(?:there|on\s+them)|empty\s+(?:addresses|address\s+space))\b/i,
  ],
  ['no-handshake', /\b(?:handshake|no\s+syn|without\s+(?:a\s+)?syn|bare\s+acks?|ack[- ]only)\b/i],
  ['firewalled', /\b(?:firewall(?:ed)?|blocked|filtered)\b/i],
  ['no-response', /\b(?:no\s+(?:response|reply|replies|answer)|never\s+(?:answer|respond|repl)\w*|nothing\s+(?:came\s+)?back|did\s*n[o']t\s+(?:answer|respond|reply))\b/i],
];

/** Words that open a sentence that goes on about the previous one. */
const ELABORATION_START = /^(?:i|we|it|they|this|these|that|those|the|our|all|only|mostly|also|because|again|here|there|on|in|most|some|each|every)\b/i;

function detailsOf(text: string): string[] {
  const out: string[] = [];
  for (const [tag, re] of DETAIL_PATTERNS) if (re.test(text)) out.push(tag);
  return out;
}

function isQuestion(s: string): boolean {
  return s.endsWith('?') || s.endsWith('?"') || s.endsWith('?)');
}

/**
 * Every pattern above needs one of these words (the same case folding as theirs): a sentence
 * without any can have no polarity, and most sentences have none.
 */
const POLARITY_HINT = /too|well|same|similar|also|not|n['\u2018\u2019]t|dont|didnt|havent|never|sign|none/i;

const REQUEST = /^\s*(?:if|please|let\s+(?:me|us)\s+know|anyone|does|has|have\s+you)\b/i;
const BUT = /\bbut\b/i;

/**
 * The words the patterns are gated on (`needs`) and POLARITY_HINT's words, one bit each. 'nothing'
 * holds 'not' and is the only such word that starts with another, so it is tried first and sets
 * both bits; every other pair of words differs before either ends, so at a given position at most
 * one can occur.
 */
const HINT_WORD_BITS: ReadonlyMap<string, number> = new Map(
  ['nothing', 'too', 'well', 'same', 'similar', 'also', 'not', "n't", 'dont', 'didnt', 'havent', 'never', 'sign', 'none'].map((w, i) => [w, 1 << i]),
);
const NOTHING_BITS = HINT_WORD_BITS.get('nothing')! | HINT_WORD_BITS.get('not')!;

/** Every occurrence of a word above (the same case folding as the patterns'); lastIndex is moved one past each match's start. */
const HINT_WORDS = /nothing|too|well|same|similar|also|not|n['\u2018\u2019]t|dont|didnt|havent|never|sign|none/gi;

function bitOfHintWord(w: string): number {
  // the word as matched: ASCII letters in any case, and for n't one of three apostrophes
  if (w.length === 3 && w.charCodeAt(1) !== 111 && w.charCodeAt(1) !== 79 /* o */) {
    const a = w.charCodeAt(1);
    if (a === 39 || a === 0x2018 || a === 0x2019) return HINT_WORD_BITS.get("n't")!;
  }
  const lower = w.toLowerCase();
  if (lower === 'nothing') return NOTHING_BITS;
  return HINT_WORD_BITS.get(lower) ?? 0;
}

/**
 * The set of HINT_WORD_BITS' words found in `s`, each word found where s.toLowerCase() (with
 * U+2018/U+2019 read as an apostrophe) includes it: /i without u folds ASCII letters only, and the
 * two non-ASCII characters toLowerCase maps into ASCII (U+0130 to 'i' + U+0307, U+212A to 'k')
 * can complete none of the words. 0: no POLARITY_HINT either. Linear: one search per occurrence.
 */
export function hintWordsIn(s: string): number {
  let mask = 0;
  HINT_WORDS.lastIndex = 0;
  for (let m = HINT_WORDS.exec(s); m !== null; m = HINT_WORDS.exec(s)) {
    mask |= bitOfHintWord(m[0]);
    HINT_WORDS.lastIndex = m.index + 1;
  }
  return mask;
}

/** a pattern's needs as bits of HINT_WORD_BITS */
function needsMask(p: PolarityPattern): number {
  let mask = 0;
  for (const w of p.needs) {
    const bit = HINT_WORD_BITS.get(w);
    if (bit === undefined) throw new Error(`polarity pattern needs ${w}, which hintWordsIn does not look for`);
    mask |= bit;
  }
  return mask;
}

const SAME_NEEDS = SAME_PATTERNS.map(needsMask);
const NOT_SAME_NEEDS = NOT_SAME_PATTERNS.map(needsMask);

/**
 * Whether any pattern matches `s`; `words` is hintWordsIn(s). A pattern none of whose needs the
 * sentence holds cannot match (the polarity patterns test holds every match to its needs).
 */
function anyMatches(patterns: readonly PolarityPattern[], needs: readonly number[], s: string, words: number): boolean {
  for (let i = 0; i < patterns.length; i++) {
    if ((needs[i]! & words) !== 0 && patterns[i]!.re.test(s)) return true;
  }
  return false;
}

function polarityOf(raw: string): 'same' | 'not-same' | null {
  if (isQuestion(raw)) return null;
  const words = hintWordsIn(raw);
  if (words === 0) return null;
  const sentence = raw.includes('\u2018') || raw.includes('\u2019') ? raw.replace(/[\u2018\u2019]/g, "'") : raw;
  // "If you see the same ..." is a request, not a report
  if (REQUEST.test(sentence)) return null;
  if (anyMatches(NOT_SAME_PATTERNS, NOT_SAME_NEEDS, sentence, words)) {
    // "I haven't seen this before, but we see the same now" still reports the traffic
    return anyMatches(SAME_PATTERNS, SAME_NEEDS, sentence, words) && BUT.test(sentence) ? 'same' : 'not-same';
  }
  if (anyMatches(SAME_PATTERNS, SAME_NEEDS, sentence, words)) return 'same';
  return null;
}

export function findStatements(mail: MailPost, thread: string): ProseStatement[] {
  const out: ProseStatement[] = [];
  try {
    for (const paragraph of ownParagraphs(mail)) {
      if (!paragraph.hinted) continue;
      const sentences = paragraph.sentences;
      const polarities = sentences.map(polarityOf);
      for (let i = 0; i < sentences.length; i++) {
        const sentence = sentences[i] as string;
        const polarity = polarities[i];
        if (!polarity) continue;
        let quote = sentence;
        const next = sentences[i + 1];
        if (next !== undefined && !isQuestion(next) && polarities[i + 1] === null && (ELABORATION_START.test(next) || detailsOf(next).length > 0)) {
          quote += ' ' + next;
        }
        // details may come from the next couple of sentences that go on about it
        let detailText = quote;
        for (let j = i + 2; j < Math.min(sentences.length, i + 4); j++) {
          const s = sentences[j] as string;
          if (polarities[j] !== null || isQuestion(s)) break;
          detailText += ' ' + s;
        }
        out.push({
          post: mail.id,
          thread,
          org: mail.from.org,
          quote,
          polarity,
          details: detailsOf(detailText),
          via: 'rule',
        });
      }
    }
  } catch {
    // bounded best effort: a post we cannot read yields no statements
  }
  return out;
}

/** at least three words (runs of non-space), as `s.split(/\s+/).filter(Boolean).length >= 3`; bounded: no run is rescanned more than once */
const THREE_WORDS = /\S\s+\S+\s+\S/;

function questionsIn(paragraphs: readonly Paragraph[], mail: MailPost, thread: string): Question[] {
  const out: Question[] = [];
  const seen = new Set<string>();
  for (const { sentences } of paragraphs) {
    for (const sentence of sentences) {
      if (!isQuestion(sentence) || seen.has(sentence)) continue;
      if (!THREE_WORDS.test(sentence)) continue;
      seen.add(sentence);
      out.push({ post: mail.id, thread, text: sentence });
    }
  }
  return out;
}

/**
 * Questions the post asks the list, from the author's own text. A reply that asks nothing itself
 * but quotes the post it answers carries that post's open question (the seed: the question stands
 * only in the quoted original), so then the first level of quotation is read instead.
 */
export function findQuestions(mail: MailPost, thread: string): Question[] {
  try {
    const own = questionsIn(ownParagraphs(mail), mail, thread);
    if (own.length > 0) return own;
    return questionsIn(paragraphsOf(mail, isFirstQuoted, false), mail, thread);
  } catch {
    return [];
  }
}
