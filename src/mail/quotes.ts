import type { Party } from '../contract.js';
import { parseParty } from './org.js';
import type { BodyBlock } from './types.js';

/**
 * Splits a post's text body into blocks of one voice: the author's own text, quoted text attributed
 * to the person quoted (`>` prefixes, GroupWise/Lotus `Name <addr> date >>>`, Outlook
 * `-----Original Message-----` and header blocks, an indented mirror after `X wrote:`), signatures
 * and footers. Line by line; every pattern looks at a bounded prefix of a line; nesting is capped.
 */

/** characters of a line any pattern looks at */
const SCAN = 4096;
/** nesting beyond this is flattened into the deepest level */
const MAX_DEPTH = 32;
/** a signature longer than this many non-blank lines is not a signature any more */
const MAX_SIGNATURE_LINES = 20;
/** after a bare `--` (often just a separator) a signature is shorter still */
const MAX_BARE_SIGNATURE_LINES = 8;
/** a boxed disclaimer (`*****` ... `*****`) is closed within this many lines or not at all */
const MAX_BOX_LINES = 60;

type Kind = BodyBlock['kind'];

interface Item {
  /** 0-based line of the body */
  idx: number;
  /** the line as seen at this nesting level (outer quote markers removed) */
  text: string;
}

interface Label {
  kind: Kind;
  depth: number;
  author: Party | null;
  text: string;
}

interface Voice {
  kind: 'own' | 'quoted';
  depth: number;
  author: Party | null;
}

export function segmentBody(text: string): BodyBlock[] {
  return segment(text, true);
}

/** segmentBody without isOrdinaryLine's shortcut: every line goes through every test (for tests: the same blocks) */
export function segmentBodyUnscreened(text: string): BodyBlock[] {
  return segment(text, false);
}

function segment(text: string, screened: boolean): BodyBlock[] {
  const lines = splitLines(text);
  if (lines.length === 0) return [];
  const labels: (Label | undefined)[] = new Array(lines.length);
  const items: Item[] = new Array(lines.length);
  for (let idx = 0; idx < lines.length; idx++) items[idx] = { idx, text: lines[idx]! };
  try {
    processRegion(items, { kind: 'own', depth: 0, author: null }, labels, screened);
  } catch {
    // never throw on a post: whatever was not labelled stays the author's own text
  }
  return toBlocks(lines, labels);
}

function splitLines(text: string): string[] {
  if (!text) return [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (!text.includes('\r')) return lines;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

function toBlocks(lines: string[], labels: (Label | undefined)[]): BodyBlock[] {
  const blocks: BodyBlock[] = [];
  let cur: BodyBlock | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l: Label = labels[i] ?? { kind: 'own', depth: 0, author: null, text: lines[i]! };
    if (cur && cur.kind === l.kind && cur.depth === l.depth && samePartyOrNull(cur.author, l.author)) {
      cur.lines.push(l.text);
      continue;
    }
    cur = { startLine: i + 1, lines: [l.text], kind: l.kind, depth: l.depth, author: l.author };
    blocks.push(cur);
  }
  inheritAuthors(blocks);
  return blocks;
}

/**
 * An interleaved reply attributes the quotation once (`On ..., X wrote:`) and then answers it
 * piece by piece: later quoted pieces at the same depth, with no attribution of their own, are X's.
 */
function inheritAuthors(blocks: BodyBlock[]): void {
  const lastAt: Array<Party | null> = [];
  for (const b of blocks) {
    if (b.kind !== 'quoted') continue;
    if (b.author) {
      lastAt[b.depth] = b.author;
      lastAt.length = b.depth + 1;
    } else {
      b.author = lastAt[b.depth] ?? null;
    }
  }
}

function samePartyOrNull(a: Party | null, b: Party | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.name === b.name && a.address === b.address;
}

function head(s: string): string {
  return s.length > SCAN ? s.slice(0, SCAN) : s;
}

/** What String.prototype.trim removes: ECMAScript WhiteSpace and LineTerminator code units. */
export function isTrimmedSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** head(s).trim() === '', without making the trimmed copy */
function isBlank(s: string): boolean {
  const n = s.length > SCAN ? SCAN : s.length;
  for (let k = 0; k < n; k++) if (!isTrimmedSpace(s.charCodeAt(k))) return false;
  return true;
}

/** A set of character codes below 256, looked up in a table (cheaper than a Set on every line); NaN (past the end) is in none. */
class CodeSet {
  private readonly table = new Uint8Array(256);
  constructor(codes: Iterable<number>) {
    for (const c of codes) {
      if (!(c >= 0 && c < 256)) throw new RangeError(`CodeSet holds codes below 256, not ${c}`);
      this.table[c] = 1;
    }
  }
  has(c: number): boolean {
    return c < 256 && this.table[c] === 1;
  }
}

/** index of the first character s.trim() keeps (s.length for a blank line) */
function trimStartAt(s: string): number {
  let k = 0;
  while (k < s.length && isTrimmedSpace(s.charCodeAt(k))) k++;
  return k;
}

/** index after the last character s.trim() keeps (0 for a blank line) */
function trimEndAt(s: string): number {
  let k = s.length;
  while (k > 0 && isTrimmedSpace(s.charCodeAt(k - 1))) k--;
  return k;
}

function processRegion(items: Item[], voice: Voice, labels: (Label | undefined)[], screened: boolean): void {
  const top = voice.depth === 0 && voice.kind === 'own';
  const canNest = voice.depth < MAX_DEPTH;
  // the voice of the last labelled line: a blank line stays with it
  let last: Label | null = null;
  let sawContent = false;

  let i = 0;
  while (i < items.length) {
    const it = items[i]!;
    const s = head(it.text);

    if (top && s.startsWith('>From ')) {
      // mbox escape of a body line starting with "From ", not a quotation
      last = put(labels, it, 'own', 0, null, it.text.slice(1));
      i++;
      continue;
    }

    if (screened && isOrdinaryLine(items, i, s, canNest)) {
      last = put(labels, it, voice.kind, voice.depth, voice.author, it.text);
      sawContent = true;
      i++;
      continue;
    }

    if (isMarked(s, top)) {
      let j = i;
      while (j < items.length && isMarked(head(items[j]!.text), top)) j++;
      const run = items.slice(i, j);
      if (canNest) {
        const author = attributionBefore(items, i);
        processRegion(
          run.map((x) => ({ idx: x.idx, text: stripOneLevel(x.text) })),
          { kind: 'quoted', depth: voice.depth + 1, author },
          labels,
          screened,
        );
      } else {
        for (const x of run) put(labels, x, 'quoted', voice.depth, voice.author, stripAllLevels(x.text));
      }
      last = labels[run[run.length - 1]!.idx] ?? null;
      sawContent = true;
      i = j;
      continue;
    }

    if (isBlank(s)) {
      const p = last;
      last = p ? put(labels, it, p.kind, p.depth, p.author, it.text) : put(labels, it, voice.kind, voice.depth, voice.author, it.text);
      i++;
      continue;
    }

    if (isSignatureDelimiter(s)) {
      const end = signatureEnd(items, i, top, s === '-- ' ? MAX_SIGNATURE_LINES : MAX_BARE_SIGNATURE_LINES);
      const author = voice.kind === 'quoted' ? voice.author : null;
      for (let k = i; k < end; k++) last = put(labels, items[k]!, 'signature', voice.depth, author, items[k]!.text);
      sawContent = true;
      i = end;
      continue;
    }

    const rule = ruleChar(s);
    const footerEnd = footerEndAt(items, i, rule);
    if (footerEnd > i) {
      for (let k = i; k < footerEnd; k++) last = put(labels, items[k]!, 'footer', voice.depth, null, items[k]!.text);
      sawContent = true;
      i = footerEnd;
      continue;
    }

    if (canNest) {
      // a `>` quotation that opens with another post's header is that post, not one level deeper
      const innerDepth = voice.kind === 'quoted' && voice.author === null && !sawContent ? voice.depth : voice.depth + 1;
      const gw = groupWiseAuthor(s);
      if (gw) {
        // everything from the header line on is the quoted post, unprefixed
        const inner: Voice = { kind: 'quoted', depth: innerDepth, author: gw };
        put(labels, it, 'quoted', inner.depth, gw, it.text);
        processRegion(items.slice(i + 1), inner, labels, screened);
        return;
      }

      // Outlook 2010+ puts a rule of underscores above the header block
      const ruled = rule !== null && i + 1 < items.length ? outlookHeaderAt(items, i + 1) : null;
      const outlook = ruled && !isOriginalMessageLine(head(items[i + 1]!.text)) ? ruled : outlookHeaderAt(items, i);
      if (outlook) {
        const inner: Voice = { kind: 'quoted', depth: innerDepth, author: outlook.author };
        for (let k = i; k < outlook.end; k++) last = put(labels, items[k]!, 'quoted', inner.depth, outlook.author, items[k]!.text);
        const close = forwardEnd(items, i, outlook.end);
        if (close < 0) {
          processRegion(items.slice(outlook.end), inner, labels, screened);
          return;
        }
        // mutt: the forwarded post ends at "----- End forwarded message -----"
        processRegion(items.slice(outlook.end, close + 1), inner, labels, screened);
        i = close + 1;
        sawContent = true;
        continue;
      }

      const mirror = indentedMirrorAt(items, i);
      if (mirror) {
        for (let k = i; k < mirror.start; k++) {
          last = put(labels, items[k]!, voice.kind, voice.depth, voice.author, items[k]!.text);
          if (!isBlank(items[k]!.text)) sawContent = true;
        }
        const run = items.slice(mirror.start, mirror.end);
        processRegion(
          run.map((x) => ({ idx: x.idx, text: dedent(x.text, mirror.indent) })),
          { kind: 'quoted', depth: voice.depth + 1, author: mirror.author },
          labels,
          screened,
        );
        last = labels[run[run.length - 1]!.idx] ?? null;
        i = mirror.end;
        continue;
      }
    }

    last = put(labels, it, voice.kind, voice.depth, voice.author, it.text);
    sawContent = true; // (a blank line was taken above)
    i++;
  }
}

/**
 * First trimmed characters with which a line can be more than the voice's own text: a `>` marker
 * (also `>From `), `--` (signature), a rule's character, '-' '_' 'b' 'B' (isOriginalMessageLine),
 * the keys of an Outlook sender line.
 */
const SPECIAL_STARTS = new CodeSet(
  [62, 45, ...Array.from('-_=*~#bB', (c) => c.charCodeAt(0)), ...Array.from('fFvVdD*', (c) => c.charCodeAt(0))],
);

/**
 * A line that processRegion would label as the voice's own text after trying every test: decided
 * on its first and last characters (each test needs one of them), the next line's first character
 * (a Lotus header) and, after a blank line, the footer openers. `s` is head(items[i].text).
 */
function isOrdinaryLine(items: Item[], i: number, s: string, canNest: boolean): boolean {
  const a = trimStartAt(s);
  if (a === s.length) return false; // blank
  if (SPECIAL_STARTS.has(s.charCodeAt(a)) || s.charCodeAt(0) === 62) return false;
  if (canNest) {
    const z = s.charCodeAt(trimEndAt(s) - 1);
    // groupWiseAuthor ends in '>>>', every attribution of indentedMirrorAt in ':'
    if (z === 62 || z === 58) return false;
    // lotusHeaderAt (outlookHeaderAt's fallback) reads on only if the next line opens a To:/Subject: block
    if (i + 1 < items.length) {
      const next = head(items[i + 1]!.text);
      if (LOTUS_NEXT_STARTS.has(next.charCodeAt(trimStartAt(next))) && LOTUS_FIELD.test(next)) return false;
    }
  }
  // footerEndAt without a rule: a footer opener right after a blank line
  return !((i === 0 || isBlank(items[i - 1]!.text)) && hasPhrase(s, FOOTER_OPENER));
}

function put(labels: (Label | undefined)[], it: Item, kind: Kind, depth: number, author: Party | null, text: string): Label {
  const l: Label = { kind, depth, author, text };
  labels[it.idx] = l;
  return l;
}

// ---------------------------------------------------------------- `>` markers

function isMarked(s: string, top: boolean): boolean {
  if (s.charCodeAt(0) !== 62 /* > */) return false;
  if (top && s.startsWith('>From ')) return false;
  // `>>> Name <addr> 06/09/01 00:14:18 >>>` is a GroupWise header, not three levels of quoting
  if (s.startsWith('>>>') && groupWiseAuthor(s)) return false;
  return true;
}

/** Removes one `>` and the single space after it (or the space between `> >` markers). */
function stripOneLevel(t: string): string {
  if (t.charCodeAt(0) !== 62) return t;
  let rest = t.slice(1);
  if (rest.charCodeAt(0) === 32) rest = rest.charCodeAt(1) === 62 ? rest.slice(1) : rest.slice(1);
  return rest;
}

/** Every marker level at once (as stripOneLevel repeated), in one pass. */
function stripAllLevels(t: string): string {
  let i = 0;
  while (t.charCodeAt(i) === 62) {
    i++;
    if (t.charCodeAt(i) === 32) i++;
  }
  return t.slice(i);
}

// ---------------------------------------------------------------- attributions

const ATTRIBUTION_VERBS = [
  'wrote:',
  'wrote :',
  'writes:',
  'said:',
  'a écrit :',
  'a écrit:',
  'schrieb:',
  'skrev:',
  'escribió:',
  'ha scritto:',
  'schreef:',
  'napisał:',
  'kirjoitti:',
];

function attributionVerbEnd(line: string): number {
  if (line.length > 1000) return -1;
  const t = line.trimEnd();
  if (t.length > 400 || t.charCodeAt(t.length - 1) !== 58 /* : */) return -1;
  const lower = t.toLowerCase();
  for (const v of ATTRIBUTION_VERBS) if (lower.endsWith(v)) return t.length - v.length;
  return -1;
}

/**
 * Attributions with the name last: `Quoting Russell Fulton <r.fulton@auckland.ac.nz>:` (Horde) and
 * `Am 06.09.2001 um 00:14 schrieb Russell Fulton:` (German clients). Returns the name part.
 */
function prefixedAttribution(line: string): string | null {
  const t = head(line).trim();
  if (t.length > 300 || !t.endsWith(':')) return null;
  const lower = t.toLowerCase();
  if (lower.startsWith('quoting ')) return t.slice(8, -1).trim() || null;
  if (lower.startsWith('am ')) {
    const at = lower.indexOf(' schrieb ');
    if (at > 0) return t.slice(at + 9, -1).trim() || null;
  }
  return null;
}

/** mutt: `* Russell Fulton <r.fulton@auckland.ac.nz> [2001-09-06 00:14]:` */
function isMuttAttribution(line: string): boolean {
  const t = head(line).trim();
  return t.length < 300 && t.startsWith('* ') && t.endsWith(']:') && t.includes('[');
}

/** The person named by an attribution ending at line `k`, joining lines wrapped by the client. */
function attributionAt(items: Item[], k: number): Party | null {
  const line = items[k]!.text;
  if (isMuttAttribution(line)) {
    const t = head(line).trim();
    return plausibleAuthor(parseParty(t.slice(2, t.lastIndexOf('[')).trim()));
  }
  const prefixed = prefixedAttribution(line);
  if (prefixed) return plausibleAuthor(parseParty(prefixed));
  if (attributionVerbEnd(line) < 0) return null;
  // "On Thu, 6 Sep 2001 10:49:20 +0100, Russell Fulton\n<r.fulton@...> wrote:" may span 2-3 lines
  let joined = head(line).trim();
  let candidate = joined;
  for (let back = 1; back <= 2 && !startsLikeIntro(joined); back++) {
    const p = items[k - back];
    if (!p || isBlank(p.text) || isMarked(head(p.text), false)) break;
    candidate = `${head(p.text).trim()} ${candidate}`;
    if (candidate.length > 600) break;
    if (startsLikeIntro(candidate)) {
      joined = candidate;
      break;
    }
  }
  return plausibleAuthor(parseAttribution(joined));
}

const INTRO = /^(On|Le|Am|El|Il|Den|Op|At|Quoting|In article)\b/i;

function startsLikeIntro(s: string): boolean {
  return INTRO.test(s);
}

/** words that end "X said:" when X is a program or a pronoun, not a person */
const NOT_PEOPLE = new Set([
  'argus', 'ra', 'snort', 'tcpdump', 'suricata', 'zeek', 'bro', 'iptables', 'ipfw', 'pf', 'syslog',
  'log', 'logs', 'output', 'sensor', 'it', 'he', 'she', 'they', 'we', 'i', 'someone', 'somebody',
  'this', 'that', 'which', 'firewall', 'router', 'ids', 'kernel', 'console',
]);

/** An attribution names someone: an address, or a short name that is not a sentence or a program. */
function plausibleAuthor(p: Party): Party | null {
  if (p.address) return p;
  const name = p.name;
  if (!name || name.length > 60) return null;
  const words = name.split(' ');
  if (words.length > 5) return null;
  if (/[.:;!?]\s|[.:;!?]$/.test(name)) return null;
  if (NOT_PEOPLE.has(words[words.length - 1]!.toLowerCase())) return null;
  if (!/^["'(\p{Lu}]/u.test(name)) return null;
  return p;
}

function partyOrNull(p: Party): Party | null {
  return p.name === null && p.address === null ? null : p;
}

// mutt writes `at 08:00:31PM -0800`
const TIME_TOKEN = /^\d{1,2}:\d{2}(:\d{2})?(?:[AaPp]\.?[Mm]\.?)?,?$/;
const DATE_TOKEN = /^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?$/;
const YEAR_TOKEN = /^(19|20)\d{2},?$/;
const ZONE_TOKEN = /^\(?([+-]\d{2}:?\d{2}|[A-Z]{1,4}T|UTC?|Z|(GMT|UTC)[+-]\d{1,2}(:?\d{2})?)\)?,?$/;
const SKIP_AFTER_DATE = new Set(['am', 'pm', 'a.m.', 'p.m.', 'am,', 'pm,', 'at', 'um', 'à', 'a', 'las', 'alle', 'kl.', 'o', '-']);

function parseAttribution(joined: string): Party {
  let s = joined;
  const verbAt = attributionVerbEnd(s);
  if (verbAt >= 0) s = s.slice(0, verbAt);
  s = s.trim().replace(/,$/, '').trim();
  const lower = s.toLowerCase();
  if (lower.startsWith('in article')) {
    const gt = s.indexOf('>');
    const comma = s.indexOf(',', gt >= 0 ? gt : 0);
    return parseParty(comma >= 0 ? s.slice(comma + 1) : '');
  }
  if (lower.startsWith('quoting ')) return parseParty(s.slice(8));
  if (/^(on|le|am|el|il|den|op|at)\s/i.test(s)) {
    const tokens = s.split(/\s+/).slice(0, 80);
    let k = -1;
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t]!;
      // an address or a bracketed name ends the date part
      if (tok.includes('@') || tok.startsWith('<') || tok.startsWith('"')) break;
      if (TIME_TOKEN.test(tok) || DATE_TOKEN.test(tok) || YEAR_TOKEN.test(tok)) k = t;
    }
    let rest: string[];
    if (k >= 0) {
      let j = k + 1;
      while (j < tokens.length && (ZONE_TOKEN.test(tokens[j]!) || SKIP_AFTER_DATE.has(tokens[j]!.toLowerCase()))) j++;
      rest = tokens.slice(j);
    } else {
      const comma = s.indexOf(',');
      rest = comma >= 0 ? s.slice(comma + 1).split(/\s+/) : tokens.slice(1);
    }
    return parseParty(rest.join(' ').replace(/^[\s,-]+/, ''));
  }
  return parseParty(s);
}

/** The attribution for a `>` run starting at `i`: the line before it, or before one blank line. */
function attributionBefore(items: Item[], i: number): Party | null {
  let k = i - 1;
  if (k >= 0 && isBlank(items[k]!.text)) k--;
  if (k < 0) return null;
  return attributionAt(items, k);
}

// ---------------------------------------------------------------- GroupWise / Lotus

/**
 * `Russell Fulton <r.fulton () auckland ac nz> 06/09/01 00:14:18 >>>`, or the same between `>>>`,
 * or `>>> Name 9/6/2001 12:14 AM >>>`: the author of the unprefixed text below.
 */
function groupWiseAuthor(s: string): Party | null {
  // (a cheap test first: most lines do not end in '>')
  const e = trimEndAt(s);
  if (e < 3 || s.charCodeAt(e - 1) !== 62 || s.charCodeAt(e - 2) !== 62 || s.charCodeAt(e - 3) !== 62) return null;
  const t = s.trim();
  if (t.length > 300 || !t.endsWith('>>>')) return null;
  let body = t.slice(0, -3).trim();
  const leading = body.startsWith('>>>');
  if (leading) body = body.slice(3).trim();
  const tokens = body.split(/\s+/).filter(nonEmpty);
  let dated = false;
  if (lastToken(tokens) === 'am' || lastToken(tokens) === 'pm') tokens.pop();
  if (tokens.length && TIME_TOKEN.test(lastToken(tokens))) {
    tokens.pop();
    dated = true;
  }
  if (tokens.length && DATE_TOKEN.test(lastToken(tokens))) {
    tokens.pop();
    dated = true;
  }
  if (tokens.length === 0 || tokens.length > 20) return null;
  const who = parseParty(tokens.join(' '));
  if (!dated && !(leading && who.address)) return null;
  if (!who.name && !who.address) return null;
  if (who.name && /[>]/.test(who.name)) return null;
  return who;
}

function nonEmpty(x: string): boolean {
  return x.length > 0;
}

function lastToken(tokens: string[]): string {
  return tokens.length ? tokens[tokens.length - 1]!.toLowerCase() : '';
}

// ---------------------------------------------------------------- Outlook and forwards

const SEPARATOR_WORDS = [
  'original message',
  'ursprüngliche nachricht',
  'message d\'origine',
  'mensaje original',
  'messaggio originale',
  'oorspronkelijk bericht',
  'forwarded message',
  'weitergeleitete nachricht',
];

function isOriginalMessageLine(s: string): boolean {
  // the trimmed line's bounds and first characters decide most lines without copying them
  const a = trimStartAt(s);
  const c = s.charCodeAt(a);
  // only '-', '_' (a separator) and 'b'/'B' (lower-cased to "begin forwarded message:") can start one
  if (c !== 45 /* - */ && c !== 95 /* _ */ && c !== 98 /* b */ && c !== 66 /* B */) return false;
  const e = trimEndAt(s);
  if (e - a > 120) return false;
  // (only a 24-character line ending in ':' can lower-case to the 24 ASCII characters of this one)
  if (e - a === 24 && s.charCodeAt(e - 1) === 58 && s.slice(a, e).toLowerCase() === 'begin forwarded message:') return true;
  if ((c !== 45 && c !== 95) || s.charCodeAt(a + 1) !== c) return false;
  const lower = s.slice(a, e).toLowerCase();
  const core = lower.replace(/^[-_ ]+/, '').replace(/[-_ ]+$/, '');
  for (const w of SEPARATOR_WORDS) if (core === w || core.startsWith(`${w} from `)) return true;
  return false;
}

const HEADER_KEYS: Record<string, 'from' | 'other'> = {
  from: 'from',
  von: 'from',
  de: 'from',
  van: 'from',
  da: 'from',
  sent: 'other',
  date: 'other',
  to: 'other',
  cc: 'other',
  subject: 'other',
  gesendet: 'other',
  datum: 'other',
  an: 'other',
  betreff: 'other',
  envoyé: 'other',
  'à': 'other',
  objet: 'other',
  enviado: 'other',
  para: 'other',
  asunto: 'other',
  'reply-to': 'other',
  importance: 'other',
};

/** The first characters of HEADER_KEYS' keys in either case and of '*' (a bold key). */
const HEADER_KEY_STARTS = new CodeSet(
  [...Object.keys(HEADER_KEYS), '*'].flatMap((k) => [k.charCodeAt(0), k.toUpperCase().charCodeAt(0)]),
);

/** The first characters, in either case, of the keys that name the sender, and '*' (a bold key). */
const FROM_KEY_STARTS = new CodeSet(
  [...Object.keys(HEADER_KEYS).filter((k) => HEADER_KEYS[k] === 'from'), '*'].flatMap((k) => [k.charCodeAt(0), k.toUpperCase().charCodeAt(0)]),
);

/** `From: X` / `*Sent:* ...`: the key (lower-case) and value of a quoted header line. */
function headerLine(s: string): { key: string; value: string } | null {
  const early = s.indexOf(':');
  if (early < 0 || early > 40) return null;
  // only a line whose first character can start a key (after the `*` of a bold key) is one
  if (!HEADER_KEY_STARTS.has(s.charCodeAt(trimStartAt(s)))) return null;
  let t = head(s).trim();
  if (t.charCodeAt(0) === 42 /* * */) t = t.replace(/^\*([^*]{1,20}):\*/, '$1:');
  const colon = t.indexOf(':');
  if (colon <= 0 || colon > 20) return null;
  const key = t.slice(0, colon).trim().toLowerCase();
  // own keys only: `constructor:` or `__proto__:` at the start of a quoted line is no header
  if (!Object.hasOwn(HEADER_KEYS, key)) return null;
  return { key, value: t.slice(colon + 1).trim() };
}

/**
 * An Outlook-style quoted header: `-----Original Message-----` followed by `From:`/`Sent:`/... lines,
 * or such a block without the dashed line (From: plus two of Sent/Date/To/Subject/Cc).
 */
function outlookHeaderAt(items: Item[], i: number): { end: number; author: Party | null } | null {
  const s = head(items[i]!.text);
  const dashed = isOriginalMessageLine(s);
  // without the dashed line the block must open with From: (most lines are no header at all);
  // a line that is a header of another key holds a ':', which no Lotus sender line does
  let first: { key: string; value: string } | null = null;
  if (!dashed) {
    if (!FROM_KEY_STARTS.has(s.charCodeAt(trimStartAt(s)))) return lotusHeaderAt(items, i);
    first = headerLine(s);
    if (!first) return lotusHeaderAt(items, i);
    if (HEADER_KEYS[first.key] !== 'from') return null;
  }
  let j = dashed ? i + 1 : i;
  if (dashed) {
    let skipped = 0;
    while (j < items.length && skipped < 2 && isBlank(items[j]!.text)) {
      j++;
      skipped++;
    }
  }
  let author: Party | null = null;
  let others = 0;
  let sawFrom = false;
  const start = j;
  while (j < items.length && j - start < 15) {
    const h = j === i && first ? first : headerLine(items[j]!.text);
    if (h) {
      if (HEADER_KEYS[h.key] === 'from' && !sawFrom) {
        sawFrom = true;
        author = partyOrNull(parseParty(h.value));
      } else if (HEADER_KEYS[h.key] === 'other') others++;
      j++;
      continue;
    }
    // a long To:/Cc: list wrapped onto an indented line
    if (j > start && /^[ \t]/.test(items[j]!.text) && !isBlank(items[j]!.text)) {
      j++;
      continue;
    }
    break;
  }
  if (dashed) {
    if (!sawFrom) {
      // mutt: "----- Forwarded message from Name <addr> -----"
      const lower = s.toLowerCase();
      const from = lower.indexOf(' from ');
      if (from >= 0) author = partyOrNull(parseParty(s.trim().slice(from + 6).replace(/[-_ ]+$/, '')));
      return { end: i + 1, author };
    }
    return { end: j, author };
  }
  if (others < 2) return null;
  return { end: j, author };
}

/**
 * Lotus Notes: the sender alone on a line, then `Sent by:`, a date line, `To:`, `cc:`, `Subject:`.
 * The sender line must hold an address; To: and Subject: must follow within a few lines.
 */
/** s.includes(' () ') (an address written `name () example com`); a search for '(' is much cheaper in V8 */
function hasSpacedParens(s: string): boolean {
  for (let k = s.indexOf('('); k >= 0; k = s.indexOf('(', k + 1)) {
    if (s.charCodeAt(k + 1) === 41 && s.charCodeAt(k - 1) === 32 && s.charCodeAt(k + 2) === 32) return true;
  }
  return false;
}

/** first characters of the lines lotusHeaderAt reads under the sender: to:, subject:, sent by:, cc:, bcc:, a date */
const LOTUS_NEXT_STARTS = new CodeSet(Array.from('tTsScCbB0123456789', (c) => c.charCodeAt(0)));

/**
 * A line the loop below reads on (trimmed, lower-cased: to:, subject:, sent by:, cc:, bcc:, or a
 * date); \s is what trim() removes, and /i folds these ASCII words as toLowerCase does.
 */
const LOTUS_FIELD = /^\s*(?:to:|subject:|sent by:|cc:|bcc:|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4})/i;

function lotusHeaderAt(items: Item[], i: number): { end: number; author: Party | null } | null {
  // cheap tests first, as the ones below: the next line must open the To:/Subject: lines
  if (i + 1 >= items.length) return null;
  const next = head(items[i + 1]!.text);
  if (!LOTUS_NEXT_STARTS.has(next.charCodeAt(trimStartAt(next))) || !LOTUS_FIELD.test(next)) return null;
  const line = head(items[i]!.text);
  if (trimEndAt(line) - trimStartAt(line) > 200) return null;
  if (line.includes(':') || (!line.includes('@') && !hasSpacedParens(line))) return null;
  const s = line.trim();
  if (s.length > 200 || !(s.includes('@') || s.includes(' () ')) || s.includes(':')) return null;
  const who = parseParty(s);
  if (!who.address) return null;
  let sawTo = false;
  let sawSubject = false;
  let j = i + 1;
  for (; j < items.length && j <= i + 8; j++) {
    const t = head(items[j]!.text).trim();
    if (!t) break;
    const lower = t.toLowerCase();
    if (lower.startsWith('to:')) sawTo = true;
    else if (lower.startsWith('subject:')) sawSubject = true;
    else if (!(lower.startsWith('sent by:') || lower.startsWith('cc:') || lower.startsWith('bcc:') || /^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}/.test(t))) {
      break;
    }
  }
  return sawTo && sawSubject ? { end: j, author: who } : null;
}

/** For a mutt `----- Forwarded message from X -----`, the index of its `----- End forwarded message -----`, else -1. */
function forwardEnd(items: Item[], start: number, from: number): number {
  const lower = head(items[start]!.text).trim().toLowerCase();
  if (!lower.startsWith('--') || !lower.includes('forwarded message')) return -1;
  for (let k = from; k < items.length; k++) {
    const t = head(items[k]!.text).trim().toLowerCase();
    if (t.length < 80 && t.startsWith('--') && t.includes('end forwarded message')) return k;
  }
  return -1;
}

// ---------------------------------------------------------------- indented mirror

function indentOf(s: string): number {
  let n = 0;
  while (n < s.length && n < SCAN && (s.charCodeAt(n) === 32 || s.charCodeAt(n) === 9)) n++;
  return n;
}

function isIndented(s: string): boolean {
  return s.charCodeAt(0) === 9 || (s.charCodeAt(0) === 32 && s.charCodeAt(1) === 32) || (s.charCodeAt(0) === 32 && s.charCodeAt(1) === 9);
}

/** `X wrote:` followed (after at most one blank line) by lines all indented by >= 2 spaces or a tab. */
function indentedMirrorAt(
  items: Item[],
  i: number,
): { start: number; end: number; indent: number; author: Party | null } | null {
  const line = items[i]!.text;
  // all three attributions end in ':' (a cheap test first: most lines do not)
  const h = head(line);
  const e = trimEndAt(h);
  if (e === 0 || h.charCodeAt(e - 1) !== 58) return null;
  if (attributionVerbEnd(line) < 0 && !isMuttAttribution(line) && !prefixedAttribution(line)) return null;
  let start = i + 1;
  if (start < items.length && isBlank(items[start]!.text)) start++;
  if (start >= items.length) return null;
  const first = head(items[start]!.text);
  if (isBlank(first) || !isIndented(first)) return null;
  // indented log output after "argus said:" is the author's own paste, not a mirror
  // (checked before scanning the run, so a run of such lines is not rescanned from each)
  const author = attributionAt(items, i);
  if (!author) return null;
  let end = start;
  let lastNonBlank = start;
  let indent = Number.POSITIVE_INFINITY;
  while (end < items.length) {
    const t = head(items[end]!.text);
    if (isBlank(t)) {
      end++;
      continue;
    }
    if (!isIndented(t)) break;
    if (t.charCodeAt(0) !== 9) indent = Math.min(indent, indentOf(t));
    lastNonBlank = end;
    end++;
  }
  return { start, end: lastNonBlank + 1, indent: Number.isFinite(indent) ? indent : 1, author };
}

/** Removes the mirror's common indentation (a leading tab counts as one level), keeping inner columns. */
function dedent(t: string, indent: number): string {
  if (t.charCodeAt(0) === 9) return t.slice(1);
  let n = 0;
  while (n < indent && n < t.length && t.charCodeAt(n) === 32) n++;
  return t.slice(n);
}

// ---------------------------------------------------------------- signatures and footers

function isSignatureDelimiter(s: string): boolean {
  return s === '-- ' || s === '--' || s === '--  ' || s === '-- \t';
}

/**
 * A signature runs until a quotation, a footer or another post's header starts, a log record shows
 * up (a `--` used as a separator before pasted logs), or it gets too long.
 */
function signatureEnd(items: Item[], i: number, top: boolean, maxLines: number): number {
  let j = i + 1;
  let nonBlank = 0;
  while (j < items.length) {
    const s = head(items[j]!.text);
    if (isMarked(s, top)) break;
    if (!isBlank(s)) {
      if (footerEndAt(items, j, ruleChar(s)) > j || groupWiseAuthor(s) || outlookHeaderAt(items, j)) break;
      if (looksLikeRecord(s)) break;
      if (++nonBlank > maxLines) break;
    }
    j++;
  }
  // trailing blank lines stay with whatever follows
  while (j > i + 1 && isBlank(items[j - 1]!.text)) j--;
  return j;
}

const DOTTED_QUAD = /(^|[^\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d])/;

/** a line of pasted log output (an IPv4 address in a long line), which no signature holds */
function looksLikeRecord(s: string): boolean {
  return s.length >= 30 && DOTTED_QUAD.test(s.length > 400 ? s.slice(0, 400) : s);
}

const RULE_CHAR_CODES = new CodeSet(Array.from('-_=*~#', (c) => c.charCodeAt(0)));

/** The character of a rule line (`--------`, `________`, `*****`...: 8-300 of one of RULE_CHARS), else null. */
function ruleChar(s: string): string | null {
  const a = trimStartAt(s);
  const c = s.charCodeAt(a);
  if (!RULE_CHAR_CODES.has(c)) return null;
  const e = trimEndAt(s);
  if (e - a < 8 || e - a > 300) return null;
  for (let k = a + 1; k < e; k++) if (s.charCodeAt(k) !== c) return null;
  return s.charAt(a);
}

/** phrases that make the paragraph under a rule a list footer or a disclaimer */
const FOOTER_PHRASES = [
  'this list is provided by',
  'mailing list',
  'unsubscribe',
  'listinfo',
  'list archive',
  'list charter',
  'securityfocus',
  'hosted and sponsored',
  'sponsored by',
  'confidential',
  'privileged',
  'intended recipient',
  'addressee',
  'disclaimer',
  'scanned by',
  'virus checked',
  'this message and any attachment',
  'this e-mail and any',
  'this email and any',
];

/** phrases that open a footer or disclaimer paragraph even without a rule above it */
const FOOTER_OPENERS = [
  'this list is provided by',
  'to unsubscribe',
  'this message and any attachments are confidential',
  'this e-mail and any files transmitted',
  'this email and any files transmitted',
  'confidentiality notice',
  'disclaimer:',
  'the information contained in this e-mail',
  'the information contained in this email',
  'the information contained in this message',
];

/**
 * A test equal to `head(s).toLowerCase().includes(p)` for any of the (ASCII) phrases, without the
 * lower-cased copy of every line. toLowerCase maps two non-ASCII characters into ASCII: U+212A
 * (Kelvin sign) to 'k', spelled out here, and U+0130 to 'i' + U+0307, which no phrase can match.
 */
export function phraseTest(phrases: readonly string[]): RegExp {
  const alternatives = phrases.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/k/g, '[k\\u212A]'));
  return new RegExp(alternatives.join('|'), 'i');
}

const FOOTER_PHRASE = phraseTest(FOOTER_PHRASES);
const FOOTER_OPENER = phraseTest(FOOTER_OPENERS);

function hasPhrase(s: string, phrases: RegExp): boolean {
  return phrases.test(head(s));
}

/** If a footer or disclaimer starts at `i`, the index after it (never past a log record); else `i`. */
function footerEndAt(items: Item[], i: number, rule: string | null): number {
  const end = footerExtent(items, i, rule);
  for (let k = i + 1; k < end; k++) if (looksLikeRecord(head(items[k]!.text))) return k;
  return end;
}

/** `rule` is ruleChar of line i */
function footerExtent(items: Item[], i: number, rule: string | null): number {
  const s = head(items[i]!.text);
  const rc = rule;
  if (rc) {
    // the rule must be followed closely by footer wording
    let seen = 0;
    let found = false;
    for (let j = i + 1; j < items.length && j <= i + 5 && seen < 3; j++) {
      const t = items[j]!.text;
      if (isBlank(t)) continue;
      seen++;
      if (hasPhrase(t, FOOTER_PHRASE)) {
        found = true;
        break;
      }
    }
    if (!found) return i;
    if (rc !== '-' && rc !== '_') {
      // boxed: up to the closing rule of the same character
      for (let j = i + 1; j < items.length && j <= i + MAX_BOX_LINES; j++) {
        if (ruleChar(head(items[j]!.text)) === rc) return j + 1;
      }
    }
    return paragraphEnd(items, i + 1);
  }
  const prevBlank = i === 0 || isBlank(items[i - 1]!.text);
  if (prevBlank && hasPhrase(s, FOOTER_OPENER)) return paragraphEnd(items, i);
  return i;
}

/** The index of the first blank line at or after the first non-blank line from `j`. */
function paragraphEnd(items: Item[], j: number): number {
  let k = j;
  let skipped = 0;
  while (k < items.length && skipped < 2 && isBlank(items[k]!.text)) {
    k++;
    skipped++;
  }
  while (k < items.length && !isBlank(items[k]!.text)) k++;
  return k;
}
