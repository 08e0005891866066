// Argus `ra` records out of (de-quoted) post text, in any column layout ra prints: whitespace
// columns with or without the header line, `-c ,` CSV, argus 2.x `addr.port` and 3.x separate
// port columns, wrapped by mail clients (state, counts or half an address on the next line).
// Line-by-line, bounded: lines over MAX_LINE are skipped, a record joins at most MAX_CONT
// following lines, so the work is linear in the input.
import type { ExtractedRecord, Extractor, RecordTime } from './types.js';
import {
  commandHints,
  completeProto,
  flagsFromState,
  isDir,
  isPartialV4,
  isPortText,
  isStateLike,
  isStateToken,
  mayOpenTime,
  parseAddr,
  parseTimeAt,
  portValue,
  protoOf,
  type AddrMatch,
  type FlagHints,
} from './argus-fields.js';
import { readXmlRecord } from './argus-xml.js';
import {
  blockBytes,
  clockBytes,
  digitsBytes,
  dirBytes,
  isFlagsBytes,
  protoBytes,
  stateBytes,
  v4AddrEnd,
  type BlockBytes,
} from './argus-bytes.js';
import { shared } from './shared.js';
import { blockKnownToLack, firstCharIs, isSpaceCode, screens } from './screen.js';

const MAX_LINE = 4096;
const MAX_TOKENS = 80;
const MAX_CONT = 3;
/** consecutive non-record lines after which a header line no longer applies */
const HEADER_TTL = 6;

type Kind =
  | 'time' | 'ltime' | 'flgs' | 'proto' | 'saddr' | 'sport' | 'dir' | 'daddr' | 'dport'
  | 'pkts' | 'bytes' | 'spkts' | 'dpkts' | 'sbytes' | 'dbytes' | 'state' | 'suser' | 'duser' | 'other';

/** ra column labels (3.x, and the 2.x names) → what the column holds. */
const LABELS: Readonly<Record<string, Kind>> = {
  starttime: 'time', stime: 'time', time: 'time', lasttime: 'ltime', ltime: 'ltime',
  flgs: 'flgs', flags: 'flgs', proto: 'proto', type: 'proto',
  srcaddr: 'saddr', saddr: 'saddr', sport: 'sport', dir: 'dir', dstaddr: 'daddr', daddr: 'daddr', dport: 'dport',
  totpkts: 'pkts', pkts: 'pkts', totpkt: 'pkts', totbytes: 'bytes', bytes: 'bytes', totbyte: 'bytes',
  srcpkts: 'spkts', srcpkt: 'spkts', spkts: 'spkts', dstpkts: 'dpkts', dstpkt: 'dpkts', dpkts: 'dpkts',
  srcbytes: 'sbytes', srcbyte: 'sbytes', sbytes: 'sbytes', dstbytes: 'dbytes', dstbyte: 'dbytes', dbytes: 'dbytes',
  state: 'state', status: 'state', srcudata: 'suser', dstudata: 'duser', suser: 'suser', duser: 'duser',
};
/** Other column labels ra prints: one token each. */
const OTHER_LABELS = new Set([
  'dur', 'avgdur', 'stddev', 'mindur', 'maxdur', 'runtime', 'trans', 'seq', 'srcid', 'stos', 'dtos', 'sdsb', 'ddsb',
  'sco', 'dco', 'sttl', 'dttl', 'sipid', 'dipid', 'smpls', 'dmpls', 'svlan', 'dvlan', 'svid', 'dvid', 'svpri',
  'dvpri', 'srcmac', 'dstmac', 'smac', 'dmac', 'sappbytes', 'dappbytes', 'totappbyte', 'load', 'srcload',
  'dstload', 'loss', 'srcloss', 'dstloss', 'ploss', 'psrcloss', 'pdstloss', 'rate', 'srcrate', 'dstrate',
  'srcwin', 'dstwin', 'tcprtt', 'synack', 'ackdat', 'srcintpkt', 'dstintpkt', 'srcjitter', 'dstjitter',
  'smaxsz', 'dmaxsz', 'sminsz', 'dminsz', 'inode', 'offset', 'stcpb', 'dtcpb', 'mean', 'sum', 'min', 'max',
  'shops', 'dhops', 'cause', 'srcgap', 'dstgap', 'count', 'spktsz', 'dpktsz', 'smeansz', 'dmeansz', 'trans',
]);
const CORE = new Set<Kind>(['time', 'proto', 'saddr', 'daddr', 'sport', 'dport', 'dir', 'state', 'pkts', 'bytes', 'spkts', 'dpkts', 'sbytes', 'dbytes', 'flgs']);

const INT = /^\d{1,15}$/;
const NUMBER = /^\d{1,15}(?:\.\d{1,9})?$/;
const FLGS_TOKEN = /^[A-Za-z*&+@%~^-](?:[A-Za-z*&+@%~^ -]{0,10}[A-Za-z*&+@%~^-])?$/;
const MAC = /^[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}$/;
const USER_KINDS = new Set<Kind>(['suser', 'duser']);
const USER_DATA = /^[sd]\[\d{1,5}\]=/;
const LABEL_TOKEN = /^[A-Za-z][A-Za-z0-9]{0,15}$/;

interface Header {
  kinds: Kind[];
  /** null: whitespace columns */
  delim: string | null;
  /** can readAligned read its lines (worked out on first use) */
  aligned?: boolean;
}

/** What one attempt at reading a record produced. */
interface Parsed {
  kind: 'record' | 'man' | 'masked';
  time: RecordTime | null;
  proto: string | null;
  src: string | null;
  sportText: string | null;
  dir: string | null;
  dst: string | null;
  dportText: string | null;
  pkts: number | null;
  bytes: number | null;
  spkts: number | null;
  dpkts: number | null;
  sbytes: number | null;
  dbytes: number | null;
  state: string | null;
  detail: string | null;
  /** every column the layout promises is there */
  complete: boolean;
  /** how much was filled: compares a line with the same line joined to the next */
  score: number;
}

function emptyParsed(): Parsed {
  return {
    kind: 'record', time: null, proto: null, src: null, sportText: null, dir: null, dst: null, dportText: null,
    pkts: null, bytes: null, spkts: null, dpkts: null, sbytes: null, dbytes: null, state: null, detail: null,
    complete: false, score: 0,
  };
}

function scoreOf(p: Parsed): number {
  // counted field by field: no array per call (this runs for every record line)
  let s = 0;
  if (p.time !== null) s += 1;
  if (p.proto !== null) s += 1;
  if (p.src !== null) s += 1;
  if (p.dir !== null) s += 1;
  if (p.state !== null) s += 1;
  if (p.pkts !== null) s += 1;
  if (p.bytes !== null) s += 1;
  if (p.spkts !== null) s += 1;
  if (p.dpkts !== null) s += 1;
  if (p.sbytes !== null) s += 1;
  if (p.dbytes !== null) s += 1;
  if (p.dst !== null) s += 10;
  return s;
}

/** line.trim().split(/\s+/) ([] for a blank line), null past MAX_TOKENS tokens. */
function tokenize(line: string): string[] | null {
  // a regex split measured faster than a hand-written scan (V8 splits natively); the untrimmed
  // line splits the same but for an empty first and last piece, which come off (no trimmed copy)
  const tokens = line.split(WHITESPACE_RUN);
  if (tokens.length > 0 && tokens[0] === '') tokens.shift();
  if (tokens.length > 0 && tokens[tokens.length - 1] === '') tokens.pop();
  return tokens.length > MAX_TOKENS ? null : tokens;
}

const WHITESPACE_RUN = /\s+/;

// ---------------------------------------------------------------- headers

// a Map: a lookup in LABELS (an object) with a fresh string from toLowerCase costs an internalization
const LABEL_KINDS = new Map(Object.entries(LABELS));

function labelKind(label: string): Kind | null {
  const l = label.toLowerCase();
  const k = LABEL_KINDS.get(l);
  if (k !== undefined) return k;
  return OTHER_LABELS.has(l) ? 'other' : null;
}

/** A header line: every field a column label, at least two of them core ones. */
function readHeaderFields(fields: readonly string[]): Kind[] | null {
  if (fields.length < 2 || fields.length > MAX_TOKENS) return null;
  const kinds: Kind[] = [];
  let core = 0;
  let known = 0;
  let unknown = 0;
  for (const f of fields) {
    if (!LABEL_TOKEN.test(f)) return null;
    const k = labelKind(f);
    if (k !== null) known += 1;
    // more than half unknown already: the known * 2 < length test below must fail
    else if (++unknown * 2 > fields.length) return null;
    if (k !== null && CORE.has(k)) core += 1;
    kinds.push(k ?? 'other');
  }
  if (core < 2 || known * 2 < fields.length) return null;
  return kinds;
}

const DELIMS = [',', ';', '|', '\t'];

function isAsciiDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function headerAt(lines: readonly string[], i: number): { header: Header; lineCount: number } | null {
  const line = lines[i] as string;
  if (line.length > MAX_LINE) return null;
  // a header starts with a label: record lines (digits), alerts and dumps are let go before trimming
  if (screens.on && !firstCharIs(line, isAsciiLetter)) return null;
  const trimmed = line.trim();
  if (trimmed === '' || !/^[A-Za-z][A-Za-z0-9\s,;|]*$/.test(trimmed)) return null;
  for (const d of DELIMS) {
    const cut = trimmed.indexOf(d);
    if (cut < 0) continue;
    // every field must be a label, and continuation lines only add to the end: a first field that
    // is none (prose with a comma: `Hi all, ...`) rules this delimiter out before any splitting
    if (screens.on && !LABEL_TOKEN.test(trimmed.slice(0, cut).trim())) continue;
    // a CSV header hard-wrapped at 80 columns (even inside a label) continues on lines of labels and commas
    let text = trimmed;
    let count = 1;
    while (count <= MAX_CONT && i + count < lines.length) {
      const next = (lines[i + count] as string).trim();
      if (next === '' || next.length > MAX_LINE || !/^[A-Za-z0-9,;|\t]+$/.test(next) || /^\d/.test(next)) break;
      const joined = text + withoutCR(next);
      if (!readHeaderFields(joined.split(d).map((f) => f.trim()))) break;
      text = joined;
      count += 1;
    }
    const kinds = readHeaderFields(text.split(d).map((f) => f.trim()));
    if (kinds) return { header: { kinds, delim: d }, lineCount: count };
  }
  const tokens = tokenize(trimmed);
  if (!tokens) return null;
  let kinds = readHeaderFields(tokens);
  if (!kinds) return null;
  // a whitespace header re-wrapped by a mail client continues on lines of known labels
  let count = 1;
  while (count <= MAX_CONT && i + count < lines.length) {
    const next = lines[i + count] as string;
    if (next.length > MAX_LINE) break;
    const more = tokenize(next);
    if (!more || more.length === 0 || !more.every((t) => LABEL_TOKEN.test(t) && labelKind(t) !== null)) break;
    kinds = kinds.concat(more.map((t) => labelKind(t) as Kind));
    count += 1;
  }
  return { header: { kinds, delim: null }, lineCount: count };
}

// ---------------------------------------------------------------- reading one record

function setAddr(p: Parsed, side: 'src' | 'dst', m: AddrMatch): boolean {
  if (m.kind === 'masked') {
    p.kind = 'masked';
    return false;
  }
  if (side === 'src') {
    p.src = m.addr;
    if (m.portText !== null) p.sportText = m.portText;
  } else {
    p.dst = m.addr;
    if (m.portText !== null) p.dportText = m.portText;
  }
  return true;
}

function fitsKind(kind: Kind | undefined, tokens: readonly string[], at: number): boolean {
  const t = tokens[at];
  if (kind === undefined || t === undefined) return false;
  switch (kind) {
    case 'proto': return protoOf(t) !== null;
    case 'time': case 'ltime': return parseTimeAt(tokens, at) !== null;
    case 'saddr': case 'daddr': return parseAddr(t) !== null;
    case 'dir': return isDir(t);
    case 'sport': case 'dport': return isPortText(t);
    case 'flgs': return FLGS_TOKEN.test(t);
    case 'state': return true;
    default: return NUMBER.test(t);
  }
}

const SCALED = /^(\d{1,12})\.(\d{3})([KMGT]?)$/;
const SCALE: Readonly<Record<string, number>> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A count as printed: `1460`, or ra -H's `9.000` / `1.514K` (rounded to a whole number). */
function countOf(token: string): number | null {
  // INT by hand: a count is on every record line
  const len = token.length;
  if (len >= 1 && len <= 15) {
    let v = 0;
    let k = 0;
    for (; k < len; k++) {
      const c = token.charCodeAt(k);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (k === len) return v;
  }
  const m = SCALED.exec(token);
  if (!m) return null;
  const n = Math.round(Number(`${m[1]}.${m[2]}`) * (SCALE[m[3] as string] as number));
  return Number.isSafeInteger(n) ? n : null;
}

function setNumber(p: Parsed, kind: Kind, token: string): boolean {
  const n = countOf(token);
  if (n === null) return false;
  setCount(p, kind, n);
  return true;
}

/** The count n in its column's field (columns of other numbers are read but not kept). */
function setCount(p: Parsed, kind: Kind, n: number): void {
  switch (kind) {
    case 'pkts': p.pkts = n; break;
    case 'bytes': p.bytes = n; break;
    case 'spkts': p.spkts = n; break;
    case 'dpkts': p.dpkts = n; break;
    case 'sbytes': p.sbytes = n; break;
    case 'dbytes': p.dbytes = n; break;
    default: break;
  }
}

/**
 * Walk the header's columns over the fields of a line. Whitespace output merges `addr` and
 * `port` into `addr.port`, leaves an empty Flgs or Dir column out, and prints a date time as
 * several tokens; the walk allows for each. Returns null when the line does not fit.
 */
function alignToHeader(fields: readonly string[], header: Header): Parsed | null {
  const kinds = header.kinds;
  const p = emptyParsed();
  const csv = header.delim !== null;
  let at = 0;
  let skipPort = false;
  let k = 0;
  for (; k < kinds.length; k++) {
    const kind = kinds[k] as Kind;
    if (at >= fields.length) break;
    const tok = fields[at] as string;
    switch (kind) {
      case 'time':
      case 'ltime': {
        if (csv && tok === '') { at += 1; break; }
        const tm = csv ? parseTimeAt(tok.split(/\s+/), 0) : parseTimeAt(fields, at);
        if (!tm) return null;
        if (kind === 'time') p.time = tm.time;
        at += csv ? 1 : tm.consumed;
        break;
      }
      case 'flgs': {
        if (csv) { at += 1; break; }
        let n = 0;
        while (at < fields.length && n < 5 && !fitsKind(kinds[k + 1], fields, at)) {
          if (!FLGS_TOKEN.test(fields[at] as string)) return null;
          at += 1;
          n += 1;
        }
        break;
      }
      case 'proto': {
        const proto = protoOf(tok);
        if (proto === null) return null;
        if (proto === 'man') { p.kind = 'man'; return p; }
        p.proto = proto;
        at += 1;
        break;
      }
      case 'saddr':
      case 'daddr': {
        const side = kind === 'saddr' ? 'src' : 'dst';
        if (csv && tok === '') { at += 1; break; }
        const m = parseAddr(tok);
        if (m === null) return null;
        if (!setAddr(p, side, m)) return p;
        // whitespace output prints `addr.port` for an Sport/Dport column right after the address
        skipPort = !csv && m.kind === 'addr' && m.portText !== null
          && kinds[k + 1] === (kind === 'saddr' ? 'sport' : 'dport');
        at += 1;
        break;
      }
      case 'sport':
      case 'dport': {
        if (skipPort) { skipPort = false; break; }
        if (csv && tok === '') { at += 1; break; }
        if (!isPortText(tok)) return null;
        if (kind === 'sport') p.sportText = tok; else p.dportText = tok;
        at += 1;
        break;
      }
      case 'dir': {
        const d = csv ? tok.trim() : tok;
        if (csv) { if (d !== '') { if (!isDir(d)) return null; p.dir = d; } at += 1; break; }
        if (isDir(d)) { p.dir = d; at += 1; }
        break;
      }
      case 'state': {
        if (tok !== '') p.state = tok;
        at += 1;
        break;
      }
      case 'suser':
      case 'duser': {
        // user data may hold blanks: at the end of a whitespace line it takes the rest, up to `d[`
        const atEnd = kinds.slice(k + 1).every((kd) => kd === 'duser');
        if (csv || !atEnd) {
          if (tok !== '') p.detail = p.detail === null ? tok : `${p.detail} ${tok}`;
          at += 1;
          break;
        }
        const parts: string[] = [];
        if (kind === 'suser' && tok.startsWith('d[')) break;
        while (at < fields.length && !(kind === 'suser' && parts.length > 0 && (fields[at] as string).startsWith('d['))) {
          parts.push(fields[at] as string);
          at += 1;
        }
        const text = parts.join(' ');
        if (text !== '') p.detail = p.detail === null ? text : `${p.detail} ${text}`;
        break;
      }
      case 'other': {
        at += 1;
        break;
      }
      default: {
        if (csv && tok === '') { at += 1; break; }
        if (!setNumber(p, kind, tok)) return null;
        at += 1;
      }
    }
  }
  if (at < fields.length) {
    // whitespace: trailing tokens the header does not explain; CSV: delimiters inside a field
    if (!csv) return null;
  }
  p.complete = k >= kinds.length || kinds.slice(k).every((kd) => kd === 'suser' || kd === 'duser');
  p.score = scoreOf(p);
  return p;
}

// ---------------------------------------------------------------- the aligned reader

/** false while withGeneralReader runs */
let alignedReaderOn = true;

/** Runs fn with the aligned reader off: every line goes through tokenize and alignToHeader (its tests compare the two). */
export function withGeneralReader<T>(fn: () => T): T {
  const was = alignedReaderOn;
  alignedReaderOn = false;
  try {
    return fn();
  } finally {
    alignedReaderOn = was;
  }
}

/** The lines extract reads, and their bytes once readAligned asks (undefined: not yet made; null: not Latin-1). */
interface Block {
  lines: readonly string[];
  bytes: BlockBytes | null | undefined;
}

/**
 * Can readAligned take the lines under these whitespace columns? Not with user data (it may hold
 * blanks) nor with a Flgs column that is not followed by Proto (the column after the flags
 * decides where they end).
 */
function alignedReadable(kinds: readonly Kind[]): boolean {
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k] as Kind;
    if (kind === 'suser' || kind === 'duser') return false;
    if (kind === 'flgs' && kinds[k + 1] !== 'proto') return false;
  }
  return kinds.length > 0;
}

function skipSpaces(b: Uint8Array, pos: number, end: number): number {
  while (pos < end && isSpaceCode(b[pos] as number)) pos++;
  return pos;
}

function tokenEnd(b: Uint8Array, pos: number, end: number): number {
  while (pos < end && !isSpaceCode(b[pos] as number)) pos++;
  return pos;
}

/**
 * alignToHeader(tokenize(line), header) read from the block's bytes where each token stands, for
 * the lines of whitespace columns (alignedReadable) in their usual shape: a bare clock time,
 * dotted-quad addresses, whole counts, every column filled and nothing after the last. It gives
 * the same complete Parsed that alignToHeader would, or null whenever anything is otherwise
 * (another time or address form, a scaled count, a short or long line, a line that does not fit):
 * then the general reader reads the line from the start. No token strings and no token array, only
 * the fields kept. The line is bytes[lineStart, lineStart + line.length).
 */
function readAligned(bb: BlockBytes, line: string, lineStart: number, kinds: readonly Kind[]): Parsed | null {
  const b = bb.bytes;
  const end = lineStart + line.length;
  let pos = skipSpaces(b, lineStart, end);
  let used = 0;
  const p = emptyParsed();
  let skipPort = false;
  let k = 0;
  for (; k < kinds.length; k++) {
    if (pos >= end) break;
    const kind = kinds[k] as Kind;
    let e = tokenEnd(b, pos, end);
    switch (kind) {
      case 'time':
      case 'ltime': {
        const t = clockBytes(b, pos, e, line, lineStart);
        if (t === null) return null;
        if (kind === 'time') p.time = t;
        break;
      }
      case 'flgs': {
        // alignedReadable: Proto comes next, and the flags end where a protocol name stands
        let n = 0;
        while (n < 5 && protoBytes(b, pos, e, line, lineStart) === null) {
          if (!isFlagsBytes(b, pos, e)) return null;
          used++;
          pos = skipSpaces(b, e, end);
          n += 1;
          if (pos >= end) break;
          e = tokenEnd(b, pos, end);
        }
        continue;
      }
      case 'proto': {
        const proto = protoBytes(b, pos, e, line, lineStart);
        if (proto === null || proto === 'man') return null;
        p.proto = proto;
        break;
      }
      case 'saddr':
      case 'daddr': {
        const addrEnd = e - pos > 64 ? -1 : v4AddrEnd(b, pos, e);
        if (addrEnd < 0) return null;
        const addr = line.slice(pos - lineStart, addrEnd - lineStart);
        const portText = addrEnd < e ? line.slice(addrEnd + 1 - lineStart, e - lineStart) : null;
        if (kind === 'saddr') {
          p.src = addr;
          if (portText !== null) p.sportText = portText;
        } else {
          p.dst = addr;
          if (portText !== null) p.dportText = portText;
        }
        skipPort = portText !== null && kinds[k + 1] === (kind === 'saddr' ? 'sport' : 'dport');
        break;
      }
      case 'sport':
      case 'dport': {
        if (skipPort) {
          skipPort = false;
          continue;
        }
        const text = line.slice(pos - lineStart, e - lineStart);
        if (!isPortText(text)) return null;
        if (kind === 'sport') p.sportText = text; else p.dportText = text;
        break;
      }
      case 'dir': {
        const d = dirBytes(b, pos, e, line, lineStart);
        if (d === null) continue;
        p.dir = d;
        break;
      }
      case 'state':
        p.state = stateBytes(b, pos, e, line, lineStart);
        break;
      case 'other':
        break;
      case 'suser':
      case 'duser':
        return null;
      default: {
        const v = digitsBytes(b, pos, e);
        if (v < 0) return null;
        setCount(p, kind, v);
      }
    }
    // the column took its token: on to the next
    used++;
    pos = skipSpaces(b, e, end);
  }
  // tokens left over, columns left unfilled (a wrapped record) or more tokens than tokenize takes
  if (pos < end || k < kinds.length || used > MAX_TOKENS) return null;
  p.complete = true;
  p.score = scoreOf(p);
  return p;
}

/**
 * Without a header: time, [flags], [proto], saddr[.sport] [sport], [dir], daddr[.dport] [dport],
 * counts, extras, state, by the shape of each token. Anything else on the line (prose) → null.
 */
/** The last token is the start of an address cut by the wrap, after a time or protocol. */
function cutAt(tokens: readonly string[], k: number, p: Parsed): boolean {
  return k === tokens.length - 1 && isPartialV4(tokens[k]) && (p.time !== null || p.proto !== null);
}

function parseByShape(tokens: readonly string[], csv = false): Parsed | null {
  const p = emptyParsed();
  let at = 0;
  const tm = parseTimeAt(tokens, 0);
  if (tm) {
    p.time = tm.time;
    at = tm.consumed;
    let n = 0;
    while (at < tokens.length && n < 5 && parseAddr(tokens[at]) === null
      && (protoOf(tokens[at]) === null || (/^\d$/.test(tokens[at] as string) && protoOf(tokens[at + 1]) !== null))
      && (FLGS_TOKEN.test(tokens[at] as string) || /^\d$/.test(tokens[at] as string))) {
      at += 1;
      n += 1;
    }
  }
  const proto = protoOf(tokens[at]);
  if (proto !== null) {
    if (proto === 'man') { p.kind = 'man'; return p; }
    p.proto = proto;
    at += 1;
  }
  if (at >= tokens.length) {
    if (p.time === null || p.proto === null) return null;
    p.score = scoreOf(p);
    return p; // a record start whose addresses fell onto the next line
  }
  const srcM = parseAddr(tokens[at]);
  if (srcM === null) {
    if (!cutAt(tokens, at, p)) return null;
    p.score = scoreOf(p);
    return p; // the source address is cut by the wrap
  }
  if (!setAddr(p, 'src', srcM)) return p;
  at += 1;
  let separatePorts = false;
  if (srcM.kind === 'addr' && srcM.portText === null && isPortText(tokens[at]) && !isDir(tokens[at])
    && parseAddr(tokens[at]) === null && (isDir(tokens[at + 1]) || parseAddr(tokens[at + 1]) !== null)) {
    p.sportText = tokens[at] as string;
    separatePorts = true;
    at += 1;
  }
  if (isDir(tokens[at])) {
    p.dir = tokens[at] as string;
    at += 1;
  }
  if (at >= tokens.length) {
    if (p.time === null && p.proto === null) return null;
    p.score = scoreOf(p);
    return p;
  }
  const dstM = parseAddr(tokens[at]);
  if (dstM === null) {
    if (!cutAt(tokens, at, p)) return null;
    p.score = scoreOf(p);
    return p; // the destination address is cut by the wrap
  }
  if (!setAddr(p, 'dst', dstM)) return p;
  at += 1;
  if (separatePorts && isPortText(tokens[at])) {
    p.dportText = tokens[at] as string;
    at += 1;
  }
  // the rest: counts, other metrics, 2.x extras such as `udp_port 16556`, then the state
  const counts: number[] = [];
  let countsDone = false;
  const extras: string[] = [];
  for (; at < tokens.length; at++) {
    const t = tokens[at] as string;
    const isLast = at === tokens.length - 1;
    const n = countOf(t);
    if (n !== null) {
      if (!countsDone) counts.push(n);
      continue;
    }
    if (counts.length > 0) countsDone = true;
    if (NUMBER.test(t) || MAC.test(t) || /^0x[0-9a-fA-F]{1,8}$/.test(t)) continue;
    if (/^[a-z]{2,8}_port$/.test(t) && INT.test(tokens[at + 1] ?? '')) {
      extras.push(`${t} ${tokens[at + 1] as string}`);
      at += 1;
      continue;
    }
    // user data ends the line (it may hold blanks): take the rest as detail
    if (USER_DATA.test(t)) { extras.push(tokens.slice(at).join(' ')); break; }
    if ((isLast || USER_DATA.test(tokens[at + 1] ?? '')) && isStateLike(t)) { p.state = t; continue; }
    // CSV fields keep their order: more columns (MACs, TTLs, user data) may follow the state
    if (csv && p.state === null && isStateLike(t)) { p.state = t; continue; }
    // a poster's note after an unmistakable state (`A_RPA  <== this one`) on a full record
    if (isStateToken(t) && t.length >= 2 && p.time !== null && p.proto !== null) {
      p.state = t;
      p.detail = null;
      extras.length = 0;
      break;
    }
    return null;
  }
  if (counts.length === 4) {
    [p.spkts, p.dpkts, p.sbytes, p.dbytes] = counts as [number, number, number, number];
  } else if (counts.length === 2) {
    [p.pkts, p.bytes] = counts as [number, number];
  }
  if (extras.length > 0) p.detail = extras.join(' ');
  // a line of addresses only counts with a time or a protocol, or a direction and a state
  if (p.time === null && p.proto === null && !(p.dir !== null && p.state !== null && isStateToken(p.state))) return null;
  // host names only on a line that is plainly a record: time, protocol and direction
  if (((srcM.kind === 'addr' && srcM.host) || (dstM.kind === 'addr' && dstM.host))
    && (p.time === null || p.proto === null || p.dir === null)) return null;
  p.complete = p.state !== null;
  p.score = scoreOf(p);
  return p;
}

/** CSV user data may contain the delimiter: glue the surplus fields back into the udata column(s). */
function mergeUserData(fields: readonly string[], header: Header): readonly string[] {
  const surplus = fields.length - header.kinds.length;
  if (header.delim === null || surplus <= 0) return fields;
  const su = header.kinds.indexOf('suser');
  const du = header.kinds.indexOf('duser');
  const first = su >= 0 ? su : du;
  if (first < 0) return fields;
  const out = fields.slice(0, first);
  if (su >= 0 && du === su + 1) {
    // split the run at the field that opens the destination buffer
    const run = fields.slice(su, su + surplus + 2);
    let cut = run.findIndex((f, n) => n > 0 && f.startsWith('d['));
    if (cut < 0) cut = run.length - 1;
    out.push(run.slice(0, cut).join(header.delim), run.slice(cut).join(header.delim));
    out.push(...fields.slice(su + surplus + 2));
  } else {
    out.push(fields.slice(first, first + surplus + 1).join(header.delim));
    out.push(...fields.slice(first + surplus + 1));
  }
  return out;
}

function parseFields(fields: readonly string[], header: Header | null, delim: string | null): Parsed | null {
  if (header && header.kinds.length > 0) {
    const aligned = alignToHeader(header.delim !== null ? mergeUserData(fields, header) : fields, header);
    if (aligned) return aligned;
  }
  if (delim !== null) {
    const shaped = fields.map((f) => f.trim()).filter((f) => f !== '');
    return shaped.length <= MAX_TOKENS ? parseByShape(shaped, true) : null;
  }
  return parseByShape(fields);
}

/** Join a wrapped continuation onto whitespace tokens; an address cut at a dot is glued back. */
function joinTokens(tokens: readonly string[], more: readonly string[]): string[] {
  const last = tokens[tokens.length - 1];
  const first = more[0];
  if (last !== undefined && first !== undefined) {
    const before = tokens[tokens.length - 2];
    const cutAddress = last.endsWith('.') || first.startsWith('.')
      || (isPartialV4(last) && /^\d/.test(first) && (isDir(before) || protoOf(before) !== null));
    if (cutAddress && (last + first).length <= 64) {
      return [...tokens.slice(0, -1), last + first, ...more.slice(1)];
    }
  }
  return [...tokens, ...more];
}

/** Would this line start a record (or a header) of its own? Then it is no continuation. */
function startsRecord(line: string, header: Header | null): boolean {
  const tokens = tokenize(line);
  if (!tokens || tokens.length === 0) return false;
  if (parseTimeAt(tokens, 0) !== null) return true;
  if (header?.delim && line.includes(header.delim)) {
    const first = (line.split(header.delim)[0] ?? '').trim();
    if (parseTimeAt(first.split(/\s+/), 0) !== null) return true;
  }
  if (readHeaderFields(tokens)) return true;
  const p = parseByShape(tokens);
  return p !== null && p.kind === 'record' && p.src !== null && (p.proto !== null || p.dst !== null);
}

/** A short line that can only be the rest of a wrapped whitespace record: numbers and a state. */
function isContinuation(tokens: readonly string[]): boolean {
  if (tokens.length === 0 || tokens.length > 12) return false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as string;
    if (NUMBER.test(t) || countOf(t) !== null || isStateToken(t)) continue;
    if (k === 0 && (parseAddr(t) !== null || t.startsWith('.') || isPartialV4(t))) continue;
    if (k <= 1 && isDir(t)) continue;
    return false;
  }
  return true;
}

interface Found {
  parsed: Parsed;
  lineCount: number;
  format: 'argus-ra' | 'argus-csv' | 'argus-xml';
}

/**
 * Can parseByShape read anything but null from this line? Only when its first tokens open a time
 * (parseTimeAt reads at most five), or name a protocol followed by an address (or by a cut one
 * that ends the line, or `man`), or start with an address. Prose and hex dumps (most lines that
 * reach here) are let go on their first tokens instead of the whole line tokenized.
 */
function mayOpenShapedRecord(line: string): boolean {
  if (opensHexRow(line)) return false;
  // a first token that opens no time and names no protocol leaves only the address test on it:
  // read it without splitting the line (most prose lines end here)
  const n = line.length;
  let start = 0;
  while (start < n && isSpaceCode(line.charCodeAt(start))) start++;
  if (start >= n) return false;
  let end = start + 1;
  while (end < n && !isSpaceCode(line.charCodeAt(end))) end++;
  const first = line.slice(start, end);
  if (!mayOpenTime(first) && protoOf(first) === null) return parseAddr(first) !== null;
  // the first five tokens as tokenize gives them: a split that stops after six pieces (the first
  // may be the empty piece before leading blanks, the last the one after trailing blanks)
  const head = line.split(WHITESPACE_RUN, 6);
  if (head.length > 0 && head[0] === '') head.shift();
  if (head.length > 0 && head[head.length - 1] === '') head.pop();
  if (head.length > 5) head.length = 5;
  if (head.length === 0) return false;
  if (mayOpenTime(head[0]) && parseTimeAt(head, 0) !== null) return true;
  const proto = protoOf(head[0]);
  if (proto !== null) {
    if (proto === 'man') return true;
    if (head.length < 2) return false;
    return parseAddr(head[1]) !== null || (head.length === 2 && isPartialV4(head[1]));
  }
  return parseAddr(head[0]) !== null;
}

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Does the line open with two tokens of exactly two hex digits and have a third token (a hex dump
 * row: `04 01 01 ...`)? Then mayOpenShapedRecord is false, read without splitting the line: two hex
 * digits are no clock, ISO time, epoch, month, weekday or m/d date, and a day (`04`) needs a month
 * name after it; they are no protocol name (a number is: `04`) and no address (no dot, no colon), and
 * a third token rules out a cut address ending the line.
 */
function opensHexRow(line: string): boolean {
  const n = line.length;
  let k = 0;
  while (k < n && isSpaceCode(line.charCodeAt(k))) k++;
  for (let t = 0; t < 2; t++) {
    if (k + 2 >= n || !isHexCode(line.charCodeAt(k)) || !isHexCode(line.charCodeAt(k + 1)) || !isSpaceCode(line.charCodeAt(k + 2))) return false;
    k += 3;
    while (k < n && isSpaceCode(line.charCodeAt(k))) k++;
  }
  return k < n;
}

/** line.trim() === '' without the trimmed copy */
function isBlank(line: string): boolean {
  for (let k = 0; k < line.length; k++) if (!isSpaceCode(line.charCodeAt(k))) return false;
  return true;
}

function withoutCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** How many times ch occurs in s, counting no further than max. */
function countOf1(s: string, ch: string, max: number): number {
  let n = 0;
  for (let k = s.indexOf(ch); k >= 0 && n < max; k = s.indexOf(ch, k + 1)) n += 1;
  return n;
}

/**
 * Every record line holds an address (dotted, IPv6 or a name) or starts with its time; most
 * prose has neither, and skips the full parse.
 */
const MAYBE_RECORD = /\d\.\d|[0-9A-Fa-f]:[0-9A-Fa-f:]|[A-Za-z0-9]\.[A-Za-z*]|^\s*\d|^\s*[A-Z][a-z]{2}\s/;

function splitFields(text: string, delim: string): string[] {
  return text.split(delim).map((f) => f.trim());
}

function readRecord(block: Block, i: number, header: Header | null): Found | null {
  const lines = block.lines;
  const line = lines[i] as string;
  const delim = header?.delim ?? (countOf1(line, ',', 5) >= 5 ? ',' : null);
  if (delim !== null && line.includes(delim)) {
    const hdr: Header = header?.delim === delim ? header : { kinds: [], delim };
    let text = withoutCR(line);
    let count = 1;
    const want = hdr.kinds.length;
    let parsed = parseFields(splitFields(text, delim), hdr, delim);
    if (parsed === null && want === 0 && withoutCR(line).length < 72) return null;
    // re-join a record that the archive hard-wrapped (80 columns, even mid-field)
    while (count <= MAX_CONT + 1 && i + count < lines.length) {
      const fieldsNow = text.split(delim).length;
      const next = lines[i + count] as string;
      // without a header the field count is unknown: a line of 72+ columns may be hard-wrapped
      const wrapped = want === 0 && withoutCR(lines[i + count - 1] as string).length >= 72;
      const short = want > 0 ? fieldsNow < want : wrapped || (parsed !== null && !parsed.complete);
      // all fields there, but the last physical line was hard-wrapped inside the trailing user data
      const cutUserData = want > 0 && fieldsNow === want && USER_KINDS.has(hdr.kinds[want - 1] as Kind)
        && withoutCR(lines[i + count - 1] as string).length >= 72 && !next.includes(delim) && next.length <= 80;
      if (!short && !cutUserData) break;
      if (next.trim() === '' || next.length > MAX_LINE || startsRecord(next, hdr)) break;
      const joined = text + withoutCR(next);
      const again = parseFields(splitFields(joined, delim), hdr, delim);
      if (want === 0 && (again === null || (parsed !== null && again.score < parsed.score))) {
        if (parsed === null && again === null) { text = joined; count += 1; continue; }
        break;
      }
      text = joined;
      parsed = again;
      count += 1;
    }
    if (parsed === null) return null;
    return { parsed, lineCount: count, format: 'argus-csv' };
  }
  if (header?.delim) header = null;
  // without a header only parseByShape reads the line, and its first tokens decide whether it
  // can read anything: prose and hex dumps (most lines that reach here) are let go before tokenizing
  if (screens.on && (header === null || header.kinds.length === 0) && !mayOpenShapedRecord(line)) return null;
  if (header !== null && alignedReaderOn) {
    header.aligned ??= alignedReadable(header.kinds);
    if (header.aligned) {
      if (block.bytes === undefined) block.bytes = blockBytes(block.lines);
      if (block.bytes !== null) {
        const aligned = readAligned(block.bytes, line, block.bytes.starts[i] as number, header.kinds);
        if (aligned !== null) return { parsed: aligned, lineCount: 1, format: 'argus-ra' };
      }
    }
  }
  let tokens = tokenize(line);
  if (!tokens || tokens.length === 0) return null;
  let parsed = parseFields(tokens, header, null);
  if (parsed === null || parsed.kind !== 'record') {
    return parsed === null ? null : { parsed, lineCount: 1, format: 'argus-ra' };
  }
  let count = 1;
  while (!parsed.complete && count <= MAX_CONT && i + count < lines.length) {
    const next = lines[i + count] as string;
    if (next.length > MAX_LINE) break;
    const more = tokenize(next);
    if (!more || more.length === 0 || !isContinuation(more) || startsRecord(next, header)) break;
    const joined = joinTokens(tokens, more);
    if (joined.length > MAX_TOKENS) break;
    const again = parseFields(joined, header, null);
    if (again === null || again.score < parsed.score || (again.score === parsed.score && !again.complete)) break;
    tokens = joined;
    parsed = again;
    count += 1;
  }
  return { parsed, lineCount: count, format: 'argus-ra' };
}

// ---------------------------------------------------------------- output

function toRecord(found: Found, line: number, hints: FlagHints): ExtractedRecord | null {
  const p = found.parsed;
  if (p.kind !== 'record' || p.src === null || p.dst === null) return null;
  p.proto = completeProto(p.proto, p.state);
  const sport = portValue(p.sportText, p.proto, 'src');
  const dport = portValue(p.dportText, p.proto, 'dst');
  const split = p.spkts !== null || p.dpkts !== null || p.sbytes !== null || p.dbytes !== null;
  const totals = !split && (p.pkts !== null || p.bytes !== null);
  const flags = flagsFromState(p.state, p.proto, hints);
  // totalsOnly in the literal where it belongs (added afterwards it costs a second property store)
  const rec: ExtractedRecord = totals
    ? {
      source: 'argus', format: found.format, line, lineCount: found.lineCount, time: p.time, proto: p.proto,
      src: p.src, sport: sport.port, dst: p.dst, dport: dport.port, dir: shared(p.dir),
      srcPkts: p.pkts, dstPkts: null, srcBytes: p.bytes, dstBytes: null,
      srcFlags: flags.srcFlags, dstFlags: flags.dstFlags, state: shared(p.state), totalsOnly: true,
    }
    : {
      source: 'argus', format: found.format, line, lineCount: found.lineCount, time: p.time, proto: p.proto,
      src: p.src, sport: sport.port, dst: p.dst, dport: dport.port, dir: shared(p.dir),
      srcPkts: split ? p.spkts : null, dstPkts: split ? p.dpkts : null, srcBytes: split ? p.sbytes : null, dstBytes: split ? p.dbytes : null,
      srcFlags: flags.srcFlags, dstFlags: flags.dstFlags, state: shared(p.state),
    };
  if (sport.icmpType !== undefined) rec.icmpType = sport.icmpType;
  if (sport.icmpCode !== undefined) rec.icmpCode = sport.icmpCode;
  if (p.detail !== null) rec.detail = p.detail.slice(0, 512);
  return rec;
}

/** The attributes of an <ArgusFlowRecord> (lower-cased names) as a record; null when it has no usable addresses. */
function parsedFromXml(attrs: ReadonlyMap<string, string>): Parsed | null {
  const p = emptyParsed();
  const get = (name: string): string | null => {
    const v = attrs.get(name)?.trim();
    return v === undefined || v === '' ? null : v;
  };
  const start = get('starttime');
  if (start !== null) p.time = parseTimeAt(start.split(/\s+/), 0)?.time ?? null;
  const proto = protoOf(get('proto') ?? undefined);
  if (proto === 'man') return null;
  p.proto = proto;
  const src = parseAddr(get('srcaddr') ?? undefined);
  const dst = parseAddr(get('dstaddr') ?? undefined);
  if (src === null || dst === null || !setAddr(p, 'src', src) || !setAddr(p, 'dst', dst)) return null;
  const sport = get('srcport') ?? get('sport');
  const dport = get('dstport') ?? get('dport');
  if (sport !== null && isPortText(sport)) p.sportText = sport;
  if (dport !== null && isPortText(dport)) p.dportText = dport;
  const dir = get('dir');
  if (dir !== null && isDir(dir)) p.dir = dir;
  const num = (name: string): number | null => {
    const v = get(name);
    return v === null ? null : countOf(v);
  };
  p.pkts = num('pkts') ?? num('totpkts');
  p.bytes = num('bytes') ?? num('totbytes');
  p.spkts = num('srcpkts');
  p.dpkts = num('dstpkts');
  p.sbytes = num('srcbytes');
  p.dbytes = num('dstbytes');
  p.state = get('state');
  const data = [get('srcuserdata'), get('dstuserdata')].filter((v): v is string => v !== null);
  if (data.length > 0) p.detail = data.join(' ');
  p.complete = true;
  return p;
}

const LOWER_Z = 1;
const UPPER_Z = 2;
// a paste's records print a handful of states: each is read once (three regexes per tcp record before)
const stateLetterCache = new Map<string, number>();

/** What a tcp state of up to 9 characters says of the block's letters: LOWER_Z (-z only), UPPER_Z (-Z only), both or neither. */
function stateLetters(s: string): number {
  let known = stateLetterCache.get(s);
  if (known === undefined) {
    known = 0;
    if (/^[sSEfFCR]+$/.test(s) && (/[a-z]/.test(s) || (/E/.test(s) && !/[PAU]/.test(s)))) known |= LOWER_Z;
    if (s.includes('_') || /^[FSRPAUEC]*[PAU][FSRPAUEC]*\*?$/.test(s)) known |= UPPER_Z;
    if (stateLetterCache.size >= 4096) stateLetterCache.clear();
    stateLetterCache.set(s, known);
  }
  return known;
}

/**
 * The records of one block of output (records no more than two lines apart), turned into
 * ExtractedRecords as they are read. Bare upper-case letters (`S`, `R`, `SA`) are ambiguous
 * between -z state letters and -Zs/-Zd flags; the other records of the same block decide:
 * `sSEfF` or `E` only come from -z, `A_R` or `PA` only from -Z. That is known only at the
 * block's end, so a block whose states turn out to be -z letters has its flags worked out again
 * then. Nothing of a record's reading (Parsed, its tokens) is kept for the rest of the block,
 * which in a paste is the whole paste.
 */
class BlockWriter {
  /** the block's records whose flags may still be worked out again (none once a -Z state is seen) */
  private pending: ExtractedRecord[] = [];
  private end = -1;
  private lower = false;
  private upper = false;

  /** emit takes each record, in order, once its flags are final */
  constructor(private readonly hints: FlagHints, private readonly emit: (rec: ExtractedRecord) => void) {}

  add(found: Found, line: number): void {
    if (this.end >= 0 && line - this.end > 2) this.close();
    // the state as read, with the protocol before toRecord completes a cut name
    const s = found.parsed.state;
    if (s !== null && found.parsed.proto === 'tcp' && s.length <= 9) {
      const letters = stateLetters(s);
      if (letters & LOWER_Z) this.lower = true;
      if (letters & UPPER_Z && !this.upper) {
        // close() redoes flags only for a block without -Z states: from here on every record is final
        this.upper = true;
        this.flush();
      }
    }
    const rec = toRecord(found, line, this.hints);
    this.end = line + found.lineCount;
    if (!rec) return;
    if (this.upper) this.emit(rec);
    else this.pending.push(rec);
  }

  private flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    for (const rec of pending) this.emit(rec);
  }

  /** Ends the block: its records' flags again if its states are -z letters (what blockHints returns then). */
  close(): void {
    if (this.lower && !this.upper) {
      const h: FlagHints = { zSide: null, lowerZ: true };
      for (const rec of this.pending) {
        const flags = flagsFromState(rec.state, rec.proto, h);
        rec.srcFlags = flags.srcFlags;
        rec.dstFlags = flags.dstFlags;
      }
    }
    this.flush();
    this.end = -1;
    this.lower = false;
    this.upper = false;
  }
}

function extract(lines: readonly string[]): ExtractedRecord[] {
  const out: ExtractedRecord[] = [];
  extractTo(lines, (rec) => out.push(rec));
  return out;
}

/**
 * The records extract returns, handed to emit one by one in the same order as each is final (a
 * record of a block with only -z states has its flags worked out again when the block ends; in
 * any other block a record is final as it is read). Throws where extract throws (after emitting
 * the records before that point).
 */
export function extractArgusTo(lines: readonly string[], emit: (rec: ExtractedRecord) => void): void {
  extractTo(lines, emit);
}

function extractTo(lines: readonly string[], emit: (rec: ExtractedRecord) => void): void {
  const writer = new BlockWriter(commandHints(lines), emit);
  const block: Block = { lines, bytes: undefined };
  let header: Header | null = null;
  let sinceRecord = 0;
  // no line holds an XML record when the block's screen (run already for another extractor) found no `<Argus`
  const mayHoldXml = !blockKnownToLack(lines, '<Argus');
  for (let i = 0; i < lines.length;) {
    const line = lines[i] as string;
    if (line.length > MAX_LINE || isBlank(line)) {
      i += 1;
      continue;
    }
    if (mayHoldXml && line.includes('<Argus')) {
      const x = readXmlRecord(lines, i);
      if (x) {
        sinceRecord = 0;
        const parsed = x.kind === 'flow' ? parsedFromXml(x.attrs) : null;
        if (parsed) writer.add({ parsed, lineCount: x.lineCount, format: 'argus-xml' }, i);
        i += x.lineCount;
        continue;
      }
    }
    const h = headerAt(lines, i);
    if (h) {
      header = h.header;
      sinceRecord = 0;
      i += h.lineCount;
      continue;
    }
    // (a line opening with a digit is MAYBE_RECORD's `^\s*\d`: most record lines, without the regex)
    const found = firstCharIs(line, isAsciiDigit) || MAYBE_RECORD.test(line) ? readRecord(block, i, header) : null;
    if (!found) {
      sinceRecord += 1;
      if (sinceRecord >= HEADER_TTL) header = null;
      i += 1;
      continue;
    }
    sinceRecord = 0;
    if (found.parsed.kind === 'record') writer.add(found, i);
    i += found.lineCount;
  }
  writer.close();
}

/** The extractor without its safety net: the property tests run this, so a bug cannot hide behind the catch. */
export const extractArgusUnguarded: Extractor = (lines) => extract(lines);

/** Argus `ra` records in a run of de-quoted lines. Pure; never throws. */
export const extractArgus: Extractor = (lines) => {
  try {
    return extract(lines);
  } catch {
    return [];
  }
};
