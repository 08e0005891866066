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
// pasted argus or tcpdump log holds none of another's. One native search over the block's text
// costs a fraction of the per-line screens (~0.1 µs a line each). Exact like the line screens:
// an extractor skips a block only when no line of it holds anything its records need.

/** blocks shorter than this are read line by line as before (tests lower it to screen every block) */
export const blockScreens = { minLines: 256 };

// the text of the block screened last: the extractors of one block share one join
let lastLines: readonly string[] | null = null;
let lastText = '';

/** The block's lines joined by '\n' (every line is a substring of it, and a literal without '\n' found in it lies within one line). */
function blockTextOf(lines: readonly string[]): string {
  if (lines !== lastLines) {
    lastText = lines.join('\n');
    lastLines = lines;
  }
  return lastText;
}

/**
 * The block's text when a whole-block screen already joined it (an extractor that ran before on the
 * same block), else null: for a screen that costs less than the join.
 */
export function knownBlockText(lines: readonly string[]): string | null {
  return screens.on && lines === lastLines ? lastText : null;
}

/** Lets go of the last block's text (extractRecords calls it when a block is done). */
export function releaseBlockText(): void {
  lastLines = null;
  lastText = '';
}

/** Is this a block the whole-block screens read (screens on, long enough, every line a string)? */
function blockScreened(lines: readonly string[]): boolean {
  if (!screens.on || lines.length < blockScreens.minLines) return false;
  for (let k = 0; k < lines.length; k++) if (typeof lines[k] !== 'string') return false;
  return true;
}

/** true: no line of the block holds any of the literals (screened blocks only; false otherwise) */
export function blockLacksAll(lines: readonly string[], literals: readonly string[]): boolean {
  if (!blockScreened(lines)) return false;
  const text = blockTextOf(lines);
  for (const s of literals) if (text.includes(s)) return false;
  return true;
}

/**
 * true: no line of the block holds `IP`, and every `>` in it has a character before it on its line
 * that is not \s (an argus `->` or `?>`): then no line has a ` > `, nor an arrow at either trimmed
 * end (`> ...`, `... >`, a lone `>`), which is what every tcpdump record and join needs
 * (mayBePacketLine, hasEdgeArrow, endsWithSpacedArrow). Screened blocks only; false otherwise.
 */
export function blockLacksPacketArrows(lines: readonly string[]): boolean {
  if (!blockScreened(lines)) return false;
  const text = blockTextOf(lines);
  if (text.includes('IP')) return false;
  for (let k = text.indexOf('>'); k >= 0; k = text.indexOf('>', k + 1)) {
    // (a '>' that opens the text, or a line: its line has nothing before it)
    if (k === 0 || isSpaceCode(text.charCodeAt(k - 1))) return false;
  }
  return true;
}
