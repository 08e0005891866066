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
