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
