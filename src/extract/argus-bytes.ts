// Byte-level readers for the argus aligned reader (argus.ts readAligned): a block's text as
// Latin-1 bytes, read where each token stands instead of split into token strings. Each reader
// gives exactly what its token-string counterpart in argus-fields.ts gives for the same token
// (test/extract-argus-aligned.property.test.ts), and keeps no state but what it returns.
import type { RecordTime } from './types.js';
import { protoOf, sharedFraction } from './argus-fields.js';
import { shared } from './shared.js';

/** A run of lines as Latin-1 bytes: lines[i] is bytes[starts[i], starts[i] + lines[i].length). */
export interface BlockBytes {
  bytes: Uint8Array;
  starts: Int32Array;
}

const PAST_LATIN1 = /[^\u0000-\u00ff]/;

/** The lines' bytes, or null when a line holds a character past U+00FF (then the lines are read as strings). */
export function blockBytes(lines: readonly string[]): BlockBytes | null {
  const text = lines.join('\n');
  if (PAST_LATIN1.test(text)) return null;
  const starts = new Int32Array(lines.length);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    starts[i] = at;
    at += (lines[i] as string).length + 1;
  }
  return { bytes: Buffer.from(text, 'latin1'), starts };
}

function digitOf(b: Uint8Array, i: number, end: number): number {
  if (i >= end) return -1;
  const c = b[i] as number;
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

function byteOf(b: Uint8Array, i: number, end: number): number {
  return i < end ? (b[i] as number) : -1;
}

/**
 * parseTimeAt's clock (`h:mm:ss[.fffffffff]`) on the token b[start, end) of line (which begins at
 * lineStart in b), or null.
 */
export function clockBytes(b: Uint8Array, start: number, end: number, line: string, lineStart: number): RecordTime | null {
  if (end - start > 20) return null;
  let hour = digitOf(b, start, end);
  if (hour < 0) return null;
  let i = start + 1;
  const h1 = digitOf(b, start + 1, end);
  if (h1 >= 0) {
    hour = hour * 10 + h1;
    i = start + 2;
  }
  if (byteOf(b, i, end) !== 58) return null;
  const m0 = digitOf(b, i + 1, end);
  const m1 = digitOf(b, i + 2, end);
  if (m0 < 0 || m1 < 0 || byteOf(b, i + 3, end) !== 58) return null;
  const s0 = digitOf(b, i + 4, end);
  const s1 = digitOf(b, i + 5, end);
  if (s0 < 0 || s1 < 0) return null;
  const stop = i + 6;
  let fraction: string | undefined;
  if (stop < end) {
    if (b[stop] !== 46 || end - stop - 1 < 1 || end - stop - 1 > 9) return null;
    let value = 0;
    for (let k = stop + 1; k < end; k++) {
      const d = digitOf(b, k, end);
      if (d < 0) return null;
      value = value * 10 + d;
    }
    fraction = fractionOf(value, end - stop - 1, line, stop + 1 - lineStart, end - lineStart);
  }
  const minute = m0 * 10 + m1;
  const second = s0 * 10 + s1;
  if (hour > 23 || minute > 59 || second > 60) return null;
  // the fraction in the literal: added afterwards it goes to a second, out-of-object store (one
  // more object per record, kept as long as the record)
  return fraction !== undefined ? { hour, minute, second, fraction } : { hour, minute, second };
}

// the fractions and states a block prints (`.000000` on every line, a dozen states), found by
// their bytes: no slice of the line and no string hash per record. Each maps to what
// sharedFraction / shared give for the text (the same characters).
const fractionTexts = new Map<number, string>();
const stateTexts = new Map<number, string>();
const MAX_TEXTS = 1024;

/** sharedFraction(line.slice(from, to)) for the 1-9 digits of that value and count */
function fractionOf(value: number, digits: number, line: string, from: number, to: number): string {
  // a digit string is its value and its length (leading zeros)
  const key = value * 16 + digits;
  let text = fractionTexts.get(key);
  if (text === undefined) {
    text = sharedFraction(line.slice(from, to));
    if (fractionTexts.size < MAX_TEXTS) fractionTexts.set(key, text);
  }
  return text;
}

/** shared(line.slice(...)) of the token b[start, end) of line (which begins at lineStart in b): the state column's text */
export function stateBytes(b: Uint8Array, start: number, end: number, line: string, lineStart: number): string {
  const n = end - start;
  if (n < 1 || n > 6) return shared(line.slice(start - lineStart, end - lineStart));
  // up to six Latin-1 bytes and their count: one number each
  let key = n;
  for (let k = start; k < end; k++) key = key * 256 + (b[k] as number);
  let text = stateTexts.get(key);
  if (text === undefined) {
    text = shared(line.slice(start - lineStart, end - lineStart));
    if (stateTexts.size < MAX_TEXTS) stateTexts.set(key, text);
  }
  return text;
}

function isPortStart(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isPortChar(c: number): boolean {
  return isPortStart(c) || c === 95 || c === 45;
}

/**
 * parseAddr's dotted-quad reading (v4WithPort) on the token b[start, end): where the address ends
 * (a port text, if any, runs from one past it to the token's end), or -1 where v4WithPort gives null.
 */
export function v4AddrEnd(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let valid = true;
  for (let part = 0; part < 4; part++) {
    const from = i;
    let value = 0;
    for (let d = digitOf(b, i, end); i < end && i - from < 4 && d >= 0; d = digitOf(b, ++i, end)) value = value * 10 + d;
    if (i === from || i - from > 3) return -1;
    if (value > 255 || (i - from > 1 && b[from] === 48)) valid = false;
    if (part < 3) {
      if (byteOf(b, i, end) !== 46) return -1;
      i++;
    }
  }
  const addrEnd = i;
  if (i < end) {
    if (b[i] !== 46 || !isPortStart(byteOf(b, i + 1, end))) return -1;
    let stop = end;
    if (b[end - 1] === 42) stop = end - 1;
    if (stop - (i + 1) > 16 || stop <= i + 1) return -1;
    for (let k = i + 2; k < stop; k++) if (!isPortChar(b[k] as number)) return -1;
  }
  return valid ? addrEnd : -1;
}

// protoOf of one- and two-byte tokens, asked once per token (a flags column's `e`, `s`, `M` are
// asked whether they name a protocol on every line): protoOf is a function of the token alone
const ONE_BYTE_PROTO: Array<string | null | undefined> = new Array<string | null | undefined>(256).fill(undefined);
const TWO_BYTE_PROTO = new Map<number, string | null>();

/** protoOf on the token b[start, end): tcp, udp and icmp read from the bytes, the rest from the token's text. */
export function protoBytes(b: Uint8Array, start: number, end: number, line: string, lineStart: number): string | null {
  const n = end - start;
  if (n === 1) {
    const c = b[start] as number;
    let known = ONE_BYTE_PROTO[c];
    if (known === undefined) {
      known = protoOf(String.fromCharCode(c));
      ONE_BYTE_PROTO[c] = known;
    }
    return known;
  }
  if (n === 2) {
    const key = ((b[start] as number) << 8) | (b[start + 1] as number);
    let known = TWO_BYTE_PROTO.get(key);
    if (known === undefined) {
      known = protoOf(String.fromCharCode(b[start] as number, b[start + 1] as number));
      TWO_BYTE_PROTO.set(key, known);
    }
    return known;
  }
  if (n === 3) {
    const c0 = b[start];
    if (c0 === 116 && b[start + 1] === 99 && b[start + 2] === 112) return 'tcp';
    if (c0 === 117 && b[start + 1] === 100 && b[start + 2] === 112) return 'udp';
  } else if (n === 4 && b[start] === 105 && b[start + 1] === 99 && b[start + 2] === 109 && b[start + 3] === 112) {
    return 'icmp';
  }
  if (n > 12) return null;
  return protoOf(line.slice(start - lineStart, end - lineStart));
}

/** Every token isDir accepts (DIR has no repetition: these are all of them). */
const DIR_MARKS: readonly string[] = [
  '<-', '<?', '<|', '<o', '<->', '<?>', '<|>', '<o>', '->', '?>', '|>', 'o>', 'who', 'tel', 'who-has', 'is-at',
];
const DIR_MARK_OF = new Map(DIR_MARKS.map((d) => [d, d]));

/** isDir(token) ? token : null on the token b[start, end), one shared string per mark. */
export function dirBytes(b: Uint8Array, start: number, end: number, line: string, lineStart: number): string | null {
  const n = end - start;
  if (n < 2 || n > 7) return null;
  if (n === 2 && b[start + 1] === 62) {
    switch (b[start]) {
      case 45: return '->';
      case 63: return '?>';
      case 124: return '|>';
      case 111: return 'o>';
      default: return null;
    }
  }
  return DIR_MARK_OF.get(line.slice(start - lineStart, end - lineStart)) ?? null;
}

function isFlagsByte(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 42 || c === 38 || c === 43 || c === 64 || c === 37 || c === 126 || c === 94 || c === 45;
}

/** FLGS_TOKEN on a (blank-free) token b[start, end): 1-12 flag characters. */
export function isFlagsBytes(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 1 || end - start > 12) return false;
  for (let k = start; k < end; k++) if (!isFlagsByte(b[k] as number)) return false;
  return true;
}

/** A count of 1-15 digits on b[start, end) as its value, -1 for anything else. */
export function digitsBytes(b: Uint8Array, start: number, end: number): number {
  if (end - start < 1 || end - start > 15) return -1;
  let v = 0;
  for (let k = start; k < end; k++) {
    const c = b[k] as number;
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
