// Cheap tests that let an extractor skip its full parse of a line it provably cannot read (most
// lines of a post are prose, or another extractor's records). Each screen is exact: it only
// rejects lines on which the full parse returns nothing. withoutScreens runs the full parse on
// every line, so a property test can hold the screened extractors to the unscreened ones.

export const screens = { on: true };

/** Runs fn with every extractor's screens off (tests). */
export function withoutScreens<T>(fn: () => T): T {
  const was = screens.on;
  screens.on = false;
  try {
    return fn();
  } finally {
    screens.on = was;
  }
}

/** JavaScript's \s (what trim() strips and /\s/ matches): tab to CR, space, and the Unicode spaces. */
export function isSpaceCode(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Does the line's first character after leading \s (what line.trim() would start with) pass test? false for a blank line. */
export function firstCharIs(line: string, test: (c: number) => boolean): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (!isSpaceCode(c)) return test(c);
  }
  return false;
}

// ---------------------------------------------------------------- whole-block screens
//
// A long block (a pasted log) is screened once as a whole before an extractor reads it line by
// line: most extractors need a literal on some line (snort `[**]`, netfilter `IN=`, ...), and a
// pasted argus or tcpdump log holds none of another's. Native searches over the block's text, a
// few thousand lines joined at a time, cost a fraction of the per-line screens (~0.1 µs a line
// each). Exact like the line screens: an extractor skips a block only when no line of it holds
// anything its records need.

/** blocks shorter than this are read line by line as before (tests lower it to screen every block) */
export const blockScreens = { minLines: 256 };

/** the literals the whole-block screens look for (each without a newline: found in the joined text, it lies within one line) */
const LITERALS = ['[**]', '[\\*\\*]', 'snort', '{', 'ricata', 'IN=', 'Packet', '#', 'IP', '<Argus'];
const BIT_OF = new Map(LITERALS.map((s, k) => [s, 1 << k]));
/** a `>` with nothing or a blank before it on its line (blockLacksPacketArrows) */
const LIVE_ARROW = 1 << LITERALS.length;
const ALL = (LIVE_ARROW << 1) - 1;
/** lines joined at a time: bounds the text held (a 100,000-line paste is ~12 MB joined) */
const CHUNK_LINES = 4096;

// what the block screened last holds: the extractors of one block share one pass
let lastLines: readonly string[] | null = null;
let lastFound = 0;

/** LITERALS' bits (and LIVE_ARROW) for the ones some line of the block holds */
function foundIn(lines: readonly string[]): number {
  if (lines === lastLines) return lastFound;
  let found = 0;
  for (let first = 0; first < lines.length && found !== ALL; first += CHUNK_LINES) {
    const text = lines.slice(first, first + CHUNK_LINES).join('\n');
    for (let k = 0; k < LITERALS.length; k++) if ((found & (1 << k)) === 0 && text.includes(LITERALS[k] as string)) found |= 1 << k;
    if ((found & LIVE_ARROW) === 0 && hasLiveArrow(text)) found |= LIVE_ARROW;
  }
  lastLines = lines;
  lastFound = found;
  return found;
}

/** a `>` that opens the text or a line, or has \s before it (the text is whole lines joined by '\n') */
function hasLiveArrow(text: string): boolean {
  for (let k = text.indexOf('>'); k >= 0; k = text.indexOf('>', k + 1)) {
    if (k === 0 || isSpaceCode(text.charCodeAt(k - 1))) return true;
  }
  return false;
}

/** Lets go of the last block screened (extractRecords calls it when a block is done). */
export function releaseBlockText(): void {
  lastLines = null;
  lastFound = 0;
}

/** Is this a block the whole-block screens read (screens on, long enough, every line a string)? */
function blockScreened(lines: readonly string[]): boolean {
  if (!screens.on || lines.length < blockScreens.minLines) return false;
  for (let k = 0; k < lines.length; k++) if (typeof lines[k] !== 'string') return false;
  return true;
}

/** the bits of these literals (each one of LITERALS), or -1 */
function bitsOf(literals: readonly string[]): number {
  let bits = 0;
  for (const s of literals) {
    const bit = BIT_OF.get(s);
    if (bit === undefined) return -1;
    bits |= bit;
  }
  return bits;
}

/** true: no line of the block holds any of the literals (screened blocks only, literals of LITERALS; false otherwise) */
export function blockLacksAll(lines: readonly string[], literals: readonly string[]): boolean {
  const bits = bitsOf(literals);
  if (bits < 0 || !blockScreened(lines)) return false;
  return (foundIn(lines) & bits) === 0;
}

/**
 * true: no line of the block holds `IP`, and every `>` in it has a character before it on its line
 * that is not \s (an argus `->` or `?>`): then no line has a ` > `, nor an arrow at either trimmed
 * end (`> ...`, `... >`, a lone `>`), which is what every tcpdump record and join needs
 * (mayBePacketLine, hasEdgeArrow, endsWithSpacedArrow). Screened blocks only; false otherwise.
 */
export function blockLacksPacketArrows(lines: readonly string[]): boolean {
  if (!blockScreened(lines)) return false;
  return (foundIn(lines) & (LIVE_ARROW | (BIT_OF.get('IP') as number))) === 0;
}

/**
 * true when the block was screened already (an extractor that ran before on the same block) and no
 * line holds the literal (one of LITERALS): for a screen that costs less than the pass itself.
 */
export function blockKnownToLack(lines: readonly string[], literal: string): boolean {
  const bit = BIT_OF.get(literal);
  return bit !== undefined && screens.on && lines === lastLines && (lastFound & bit) === 0;
}
