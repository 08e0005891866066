// Hex dumps as pasted into posts: Snort payload rows, tcpdump -X/-x rows, hexdump -C and
// Wireshark rows. Parsed character by character (no regex backtracking) with hard caps.

const MAX_LINE = 4096;
const MAX_ROW_BYTES = 16;
/** bytes kept in `data`; `bytes` still counts every byte shown */
const MAX_DATA = 65536;

type RowStyle = 'snort' | 'offset';

interface HexRow {
  style: RowStyle;
  bytes: number[];
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

function hexRunLength(s: string, pos: number, max: number): number {
  let n = 0;
  while (n <= max && pos + n < s.length && hexValue(s.charCodeAt(pos + n)) >= 0) n++;
  return n;
}

/**
 * Reads byte tokens separated by single spaces from `pos`: pairs ("4f"), or also quads
 * ("4500") when allowed. Two spaces end the hex part (the ASCII column follows), except the
 * hexdump -C / Wireshark gap after the eighth byte when `midGap`. A token that is not hex after
 * a single space means the line is not a dump row: null.
 */
function readHexTokens(s: string, pos: number, allowQuads: boolean, midGap: boolean): number[] | null {
  const bytes: number[] = [];
  let p = pos;
  while (bytes.length < MAX_ROW_BYTES) {
    const run = hexRunLength(s, p, 4);
    if (run === 2 || (allowQuads && run === 4)) {
      for (let k = 0; k < run; k += 2) {
        bytes.push(hexValue(s.charCodeAt(p + k)) * 16 + hexValue(s.charCodeAt(p + k + 1)));
      }
      p += run;
    } else {
      return null;
    }
    if (p >= s.length) break;
    if (s[p] !== ' ') {
      if (s[p] === '\t') break;
      return null; // e.g. "00FF" glued to other text
    }
    let spaces = 0;
    while (p + spaces < s.length && s[p + spaces] === ' ' && spaces < 3) spaces++;
    if (p + spaces >= s.length) break; // trailing blanks
    if (spaces === 1) {
      p += 1;
      continue;
    }
    if (midGap && spaces === 2 && bytes.length === 8) {
      p += 2;
      continue;
    }
    break; // the ASCII column follows
  }
  return bytes.length > 0 ? bytes : null;
}

function parseHexRow(raw: string, style: RowStyle | null): HexRow | null {
  if (raw.length > MAX_LINE) return null;
  const line = raw.trimEnd(); // a stray CR or trailing blanks end nothing
  let p = 0;
  while (p < line.length && p < 16 && (line[p] === ' ' || line[p] === '\t')) p++;
  if (p >= line.length) return null;

  // Snort: "00 FF 75 FC ...  ..u." (no offset, 2-digit bytes)
  if (style !== 'offset' && hexRunLength(line, p, 3) === 2 && (p + 2 === line.length || line[p + 2] === ' ')) {
    const bytes = readHexTokens(line, p, false, false);
    return bytes ? { style: 'snort', bytes } : null;
  }
  if (style === 'snort') return null;

  // Offset rows: "0x0010:  4500 0028 ...", "00000010  45 00 ...  |E..|", "0010  45 00 ..."
  let hasPrefix = false;
  if (line[p] === '0' && (line[p + 1] === 'x' || line[p + 1] === 'X')) {
    hasPrefix = true;
    p += 2;
  }
  const offsetLen = hexRunLength(line, p, 8);
  if (offsetLen < 4 || offsetLen > 8) return null;
  p += offsetLen;
  const colon = line[p] === ':';
  if (colon) p++;
  let gap = 0;
  while (p < line.length && (line[p] === ' ' || line[p] === '\t') && gap < 5) {
    gap++;
    p++;
  }
  if (gap === 0 || p >= line.length) return null;
  if (hasPrefix || colon) {
    const bytes = readHexTokens(line, p, true, false);
    return bytes ? { style: 'offset', bytes } : null;
  }
  // Without "0x" or ":" only the hexdump -C (8 digits) and Wireshark (4 digits) layouts, pairs only.
  if ((offsetLen === 8 || offsetLen === 4) && gap >= 2) {
    const bytes = readHexTokens(line, p, false, true);
    return bytes ? { style: 'offset', bytes } : null;
  }
  return null;
}

/**
 * Reads consecutive hex-dump rows starting at lines[start]. `end` is the index of the first line
 * after the dump (exclusive), `bytes` the number of bytes shown, `data` those bytes (at most 64 KiB
 * kept). Null when lines[start] is not a dump row. All rows must share the first row's layout.
 */
export function parseHexDump(
  lines: readonly string[],
  start: number,
): { end: number; bytes: number; data: Uint8Array } | null {
  if (!Number.isInteger(start) || start < 0 || start >= lines.length) return null;
  const first = parseHexRow(lines[start] ?? '', null);
  if (!first) return null;
  const style = first.style;
  // grown as rows come (a Snort payload is a few hundred bytes; 64 KiB zeroed per dump was most of the cost)
  let data = new Uint8Array(256);
  let kept = 0;
  let bytes = 0;
  let i = start;
  let row: HexRow | null = first;
  while (row) {
    for (const b of row.bytes) {
      if (kept >= MAX_DATA) break;
      if (kept === data.length) {
        const grown = new Uint8Array(Math.min(MAX_DATA, data.length * 2));
        grown.set(data);
        data = grown;
      }
      data[kept++] = b;
    }
    bytes += row.bytes.length;
    i++;
    row = i < lines.length ? parseHexRow(lines[i] ?? '', style) : null;
  }
  return { end: i, bytes, data: data.slice(0, kept) };
}

function isPrintable(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

/**
 * Runs of at least `min` printable ASCII characters (like strings(1)), trimmed of surrounding
 * blanks, each cut to `maxLen`, distinct, in order of appearance, at most `maxStrings`.
 */
export function printableStrings(data: Uint8Array, min = 4, maxStrings = 32, maxLen = 80): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const minLen = Math.max(1, Math.floor(min));
  let runStart = -1;
  const flush = (endExclusive: number): void => {
    if (runStart < 0) return;
    // read at most maxLen + surrounding blanks worth of characters: long runs stay cheap
    const limit = Math.min(endExclusive, runStart + maxLen + 64);
    let text = '';
    for (let k = runStart; k < limit; k++) text += String.fromCharCode(data[k] as number);
    text = text.trim();
    if (endExclusive - runStart >= minLen && text.length >= minLen) {
      const cut = text.slice(0, Math.max(0, maxLen));
      if (cut.length > 0 && !seen.has(cut)) {
        seen.add(cut);
        out.push(cut);
      }
    }
    runStart = -1;
  };
  for (let k = 0; k < data.length && out.length < maxStrings; k++) {
    if (isPrintable(data[k] as number)) {
      if (runStart < 0) runStart = k;
    } else {
      flush(k);
    }
  }
  if (out.length < maxStrings) flush(data.length);
  return out;
}
