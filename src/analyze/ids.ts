import { hash } from 'node:crypto';

/** A short stable id: the same parts always give the same id. */
export function stableId(prefix: string, ...parts: Array<string | number | null | undefined>): string {
  // One-shot hash of the joined parts: the same bytes as hashing each `${part}\0` in turn (each ends
  // in NUL, so no surrogate pair spans two parts), without a Hash object per id.
  let text = '';
  for (const p of parts) text += `${p ?? ''}\u0000`;
  return stableIdOfText(prefix, text);
}

/** stableId when the caller has built the hashed text itself: each part followed by NUL. */
export function stableIdOfText(prefix: string, text: string): string {
  // joined, not a template literal: one flat string instead of pieces keeping the whole digest alive
  return [prefix, '-', hash('sha256', text, 'hex').slice(0, 16)].join('');
}

// ---------------------------------------------------------------- hashed text written as bytes
//
// An id's text built with + is a tree of ~45 pieces (a record key), which the hash first flattens
// and encodes: that cost as much as the sha256 itself. The put* functions write the same UTF-8
// bytes straight into one buffer, ASCII only: a piece with any other character, or a value that
// is neither a string nor a number, makes the position FAILED (and it stays negative), and the
// caller builds the text as a string instead: the same id either way.
// Each put takes the position to write at and returns the one after; writes past the buffer's
// end are dropped by the typed array, and idOfText then sees a position past TEXT_BYTES. A text
// starts with putStart (which may leave the buffer's start as the previous text left it).

export const TEXT_BYTES = 4096;
/** the buffer the put* functions write to */
export const textBuffer = new Uint8Array(TEXT_BYTES);
/** a position no later writing brings back to 0 or above */
export const FAILED = -(2 ** 40);
/** views[n]: the first n bytes of textBuffer (a view per hash cost as much as writing the text) */
const views: Uint8Array[] = [];

// the text textBuffer starts with (the post id of the last record: written once per post, not per record)
let startText: string | null = null;
let startEnd = 0;

/** Starts a text with s (at 0): returns the position after it, or FAILED. Every text starts here. */
export function putStart(s: string): number {
  if (s === startText) return startEnd;
  startText = null;
  const at = putString(s, 0);
  if (at >= 0) {
    startText = s;
    startEnd = at;
  }
  return at;
}

/** s's characters at `at` when all are ASCII, else FAILED */
export function putString(s: string, at: number): number {
  const n = s.length;
  if (at < 0 || at + n > TEXT_BYTES) return FAILED;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return FAILED;
    textBuffer[at + i] = c;
  }
  return at + n;
}

/** `${n}` at `at` */
export function putNumber(n: number, at: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n <= 999_999_999_999_999)) return putString(String(n), at);
  if (n < 10) {
    textBuffer[at] = 48 + n;
    return at + 1;
  }
  if (n < 100) {
    const t = Math.floor(n / 10);
    textBuffer[at] = 48 + t;
    textBuffer[at + 1] = 48 + (n - t * 10);
    return at + 2;
  }
  let digits = 3;
  for (let p = 1000; p <= n; p *= 10) digits++;
  const end = at + digits;
  for (let k = end - 1; k >= at; k--) {
    const q = Math.floor(n / 10);
    textBuffer[k] = 48 + (n - q * 10);
    n = q;
  }
  return end;
}

/** `${v ?? ''}` at `at` for a string or number; FAILED for anything else */
export function putOptional(v: unknown, at: number): number {
  if (v === null || v === undefined) return at;
  if (typeof v === 'string') return putString(v, at);
  if (typeof v === 'number') return putNumber(v, at);
  return FAILED;
}

/** `${v}` at `at` for a string or number; FAILED for anything else */
export function putValue(v: unknown, at: number): number {
  if (typeof v === 'string') return putString(v, at);
  if (typeof v === 'number') return putNumber(v, at);
  return FAILED;
}

/** stableIdOfText(prefix, text) for the text in textBuffer[0, end); null when it was not written (FAILED or past the buffer) */
export function idOfText(prefix: string, end: number): string | null {
  if (!(end >= 0 && end <= TEXT_BYTES)) return null;
  let v = views[end];
  if (v === undefined) {
    v = textBuffer.subarray(0, end);
    views[end] = v;
  }
  const h = hash('sha256', v, 'hex');
  // the id's 20 characters made as one flat string (a join cost ~2x as much; a + leaves a tree
  // of pieces that keeps the 64-character digest alive)
  if (prefix === 'obs') {
    return String.fromCharCode(
      111, 98, 115, 45, h.charCodeAt(0), h.charCodeAt(1), h.charCodeAt(2), h.charCodeAt(3), h.charCodeAt(4), h.charCodeAt(5),
      h.charCodeAt(6), h.charCodeAt(7), h.charCodeAt(8), h.charCodeAt(9), h.charCodeAt(10), h.charCodeAt(11), h.charCodeAt(12),
      h.charCodeAt(13), h.charCodeAt(14), h.charCodeAt(15),
    );
  }
  return [prefix, '-', h.slice(0, 16)].join('');
}
