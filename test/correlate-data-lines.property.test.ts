// The data lines of a long block are settled from its bytes (dataLinesOf) instead of trimming and
// counting each line: the paragraphs, and so the statements and questions, must be the same.
import { describe, expect, it } from 'vitest';
import { dataLinesOf, paragraphsOf } from '../src/correlate/corroboration.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['we', 'see', 'the', 'same', 'here', 'too', 'not', "don't", 'seen', 'this', 'as', 'well', 'never', 'none', 'port', 'scan', 'from', 'host', 'http', 'tcp', 'Any', 'idea', 'firewalled', 'no', 'response'];
// characters next to the digit and letter ranges (a bound off by one counts them), and non-ASCII
// characters whose low byte is a digit or a letter (a Latin-1 copy would count them)
const EDGES = ['/', ':', '@', '[', '`', '{', '0', '9', 'A', 'Z', 'a', 'z', ' ', '\t', '?', '.', '-', '>'];
const UNICODE = ['\u0131', '\u0141', '\u0661', '\uff11', 'é', '\u00a0', '\u3000', '\u2019', '\ud83d\ude00', '\u0139'];
const BLANKS = ['', ' ', '   ', '\t', '\u00a0', '\u3000 ', '\r'];

function lineOf(r: () => number, ascii: boolean): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const pad = (s: string): string => ' '.repeat(Math.floor(r() * 4)) + s + (r() < 0.2 ? pick([' ', '\t', '  ', '\r']) : '');
  const kind = r();
  if (kind < 0.15) {
    const words = Array.from({ length: 1 + Math.floor(r() * 14) }, () => pick(WORDS));
    return pad(words.join(' ') + pick(['.', '?', ':', '', '!', '?"']));
  }
  if (kind < 0.35) {
    // an argus-like record
    const n = () => Math.floor(r() * 256);
    return pad(`${10 + Math.floor(r() * 13)}:4${n() % 10}:05.000000  e ${pick(['s', ' '])}   ${pick(['tcp', 'udp', 'icmp'])}   ${n()}.${n()}.${n()}.${n()}.${pick(['http', '1026', 'cisco*'])}  ${pick(['->', '?>', '<?>'])}  ${n()}.${n()}.${n()}.${n()}.${pick(['http', '31337', 'telnet'])}  ${n()}  ${n() * 7}  ${pick(['ACC', 'RST', 'CON', 'REQ', 'TXD'])}`);
  }
  if (kind < 0.42) return pad(`[**] [1:${Math.floor(r() * 2000)}:1] WEB-IIS ${pick(WORDS)} [**]`);
  if (kind < 0.65) {
    // digits and letters close to even, around the edges: a balance of -2..2 decides
    const len = Math.floor(r() * 60);
    let s = '';
    for (let i = 0; i < len; i++) s += pick(EDGES);
    return pad(s);
  }
  if (kind < 0.75) return pick(ascii ? BLANKS.filter(isAscii) : BLANKS);
  if (kind < 0.82) {
    // long lines: over MAX_LINE (4096) they are read as blank, whatever they hold
    const len = pick([4095, 4096, 4097, 5000]) - Math.floor(r() * 3);
    return (r() < 0.5 ? '1' : 'a').repeat(len);
  }
  if (kind < 0.9 && !ascii) {
    let s = '';
    const len = 1 + Math.floor(r() * 30);
    for (let i = 0; i < len; i++) s += r() < 0.4 ? pick(UNICODE) : pick(EDGES);
    return pad(s);
  }
  // hex dump, and lines of the edge characters under 16 and around 16-character steps
  if (r() < 0.5) return pad(`0x00${Math.floor(r() * 99)}:  4500 003c ${pick(['a1b2', 'ffff', 'dead', 'beef'])} 4000 4006 ${pick(WORDS)}`);
  let s = '';
  const len = pick([15, 16, 17, 31, 32, 33, 48, 64]);
  for (let i = 0; i < len; i++) s += pick(EDGES);
  return s;
}

/** the reading without bytes: a line is settled iff at most 4096 long, ASCII, and more digits than letters */
function digitsOverLetters(line: string): boolean {
  let balance = 0;
  for (const c of line) {
    if (c >= '0' && c <= '9') balance++;
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) balance--;
  }
  return balance > 0;
}

function isAscii(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (line.charCodeAt(i) > 127) return false;
  return true;
}

function mailOf(blocks: Array<Pick<BodyBlock, 'kind' | 'lines'>>): MailPost {
  return {
    id: 'm1',
    hasMessageId: true,
    inReplyTo: null,
    references: [],
    subject: 'paste',
    date: null,
    offsetMinutes: 0,
    from: { name: 'Sigrid', address: 'sigrid@cert.example', org: 'cert.example' },
    text: blocks.flatMap((b) => b.lines).join('\n'),
    blocks: blocks.map((b, i) => ({ startLine: i * 10_000 + 1, depth: b.kind === 'quoted' ? 1 : 0, author: null, ...b })),
    tlp: null,
    headers: { listId: null, autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] },
    input: 'test',
    warnings: [],
  };
}

const isOwn = (b: BodyBlock): boolean => b.kind === 'own';
const isQuoted = (b: BodyBlock): boolean => b.kind === 'quoted';

describe('data lines settled from a block\'s bytes', () => {
  it('settles exactly the ASCII lines of at most 4096 characters with more digits than letters', () => {
    let settled = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const lines = Array.from({ length: 1 + Math.floor(r() * 2500) }, () => lineOf(r, true));
      const got = dataLinesOf(lines);
      for (let k = 0; k < lines.length; k++) {
        const want = lines[k]!.length <= 4096 && digitsOverLetters(lines[k]!) ? 1 : 0;
        if (got[k] !== want) expect({ seed, line: lines[k], got: got[k] }).toEqual({ seed, line: lines[k], got: want });
        settled += got[k]!;
      }
    }
    expect(settled).toBeGreaterThan(10_000);
  });

  it('settles no line that is not ASCII and no line its trimmed text would not make data', () => {
    for (let seed = 100; seed <= 160; seed++) {
      const r = rng(seed);
      const lines = Array.from({ length: 1 + Math.floor(r() * 2500) }, () => lineOf(r, false));
      const got = dataLinesOf(lines);
      for (let k = 0; k < lines.length; k++) {
        if (got[k] !== 1) continue;
        const line = lines[k]!;
        expect({ seed, line, ascii: isAscii(line), data: line.length <= 4096 && digitsOverLetters(line.trim()) }).toEqual({ seed, line, ascii: true, data: true });
      }
    }
  });

  it('gives the same paragraphs (all findStatements and findQuestions read) as trimming every line', () => {
    let paragraphs = 0;
    for (let seed = 200; seed <= 280; seed++) {
      const r = rng(seed);
      const ascii = seed % 3 !== 0;
      const blocks = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
        kind: r() < 0.7 ? ('own' as const) : ('quoted' as const),
        lines: Array.from({ length: Math.floor(r() * 3000) }, () => lineOf(r, ascii)),
      }));
      const mail = mailOf(blocks);
      for (const [take, statements] of [[isOwn, true], [isQuoted, false], [isQuoted, true]] as const) {
        const fast = paragraphsOf(mail, take, statements);
        expect(fast).toEqual(paragraphsOf(mail, take, statements, false));
        paragraphs += fast.length;
      }
    }
    expect(paragraphs).toBeGreaterThan(1_000);
  });
});
