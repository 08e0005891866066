// Zeek (Bro) conn.log as pasted into posts: TSV with its `#fields` header, bare rows in the
// default column layout (tabs often turned into spaces, rows wrapped), and JSON lines.
import { normalizeFlags } from './flags.js';
import { blankRecord, isIPv4, isIPv6, isMaskedAddress, MAX_RECORD_LINE, recordTimeFromEpoch, recordTimeFromIso } from './tcpdump.js';
import { readJsonObject, type JsonObjectOptions } from './suricata.js';
import type { ExtractedRecord, RecordTime } from './types.js';
import { blockLacksAll, isSpaceCode, screens } from './screen.js';

const MAX_JSON = 64 * 1024;
const MAX_JSON_LINES = 40;
const MAX_ROW_LINES = 3;

const CONN_STATES = new Set(['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH']);
const PROTOS = new Set(['tcp', 'udp', 'icmp', 'unknown_transport']);
const EPOCH_RE = /^(\d{9,10})(?:\.(\d{1,9}))?$/;
const UID_RE = /^[A-Za-z0-9]{8,24}$/;
const BOOL_RE = /^(?:T|F|-)$/;
const COUNT_RE = /^(?:\d{1,15}|-)$/;

/** conn.log columns, in the order Zeek prints them by default */
const DEFAULT_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration',
  'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history',
  'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
];
/** Bro 2.1-2.4: no local_resp */
const BRO_FIELDS = DEFAULT_FIELDS.filter((f) => f !== 'local_resp');

/**
 * Flags from a Zeek `history`: upper case = originator, lower case = responder.
 * s SYN, h SYN-ACK, a ACK, f FIN, r RST, q SYN with FIN or RST (counted as SF: Zeek does not say
 * which); d (payload), t (retransmission), c, g, w, i, ^ carry no flag.
 */
export function historyFlags(history: string): { orig: string; resp: string } | null {
  if (!/^[\^A-Za-z]{1,64}$/.test(history)) return null;
  let orig = '';
  let resp = '';
  for (const ch of history) {
    const lower = ch.toLowerCase();
    let letters = '';
    if (lower === 's') letters = 'S';
    else if (lower === 'h') letters = 'SA';
    else if (lower === 'a') letters = 'A';
    else if (lower === 'f') letters = 'F';
    else if (lower === 'r') letters = 'R';
    else if (lower === 'q') letters = 'SF';
    if (ch === lower) resp += letters;
    else orig += letters;
  }
  return { orig: normalizeFlags(orig), resp: normalizeFlags(resp) };
}

type Row = ReadonlyMap<string, string>;

function address(v: string | undefined): { host: string | null; masked: boolean } | null {
  if (v === undefined) return null;
  if (isIPv4(v) || isIPv6(v)) return { host: v, masked: false };
  if (isMaskedAddress(v)) return { host: null, masked: true };
  return null;
}

function count(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

function rowRecord(row: Row, line: number, lineCount: number): ExtractedRecord | null {
  // a zeek-cut -c selection may leave out any column but the two addresses
  const ts = row.get('ts');
  const protoText = row.get('proto');
  if (protoText !== undefined && !PROTOS.has(protoText)) return null;
  const proto = protoText ?? null;
  let time: RecordTime | null = null;
  if (ts !== undefined) {
    const epoch = EPOCH_RE.exec(ts);
    time = epoch ? recordTimeFromEpoch(Number(ts), epoch[2]) : recordTimeFromIso(ts);
    if (!time) return null;
  }
  const src = address(row.get('id.orig_h'));
  const dst = address(row.get('id.resp_h'));
  if (!src || !dst || (src.masked && dst.masked)) return null;
  const portOf = (v: string | undefined): number | null | false => {
    if (v === undefined || v === '-') return null;
    const n = count(v);
    return n === null || n > 65535 ? false : n;
  };
  const op = portOf(row.get('id.orig_p'));
  const rp = portOf(row.get('id.resp_p'));
  if (op === false || rp === false) return null;
  const rec = blankRecord('zeek', 'zeek-conn', line, lineCount);
  rec.time = time;
  rec.proto = proto;
  rec.src = src.host;
  rec.dst = dst.host;
  rec.dir = '->';
  if (proto === 'icmp') {
    // Zeek keeps the ICMP type in orig_p and the code in resp_p
    if (op !== null && op <= 255) rec.icmpType = op;
    if (rp !== null && rp <= 255) rec.icmpCode = rp;
  } else {
    rec.sport = op;
    rec.dport = rp;
  }
  const state = row.get('conn_state');
  rec.state = state !== undefined && state !== '-' && state.length <= 8 ? state : null;
  rec.srcPkts = count(row.get('orig_pkts'));
  rec.dstPkts = count(row.get('resp_pkts'));
  rec.srcBytes = count(row.get('orig_ip_bytes')) ?? count(row.get('orig_bytes'));
  rec.dstBytes = count(row.get('resp_ip_bytes')) ?? count(row.get('resp_bytes'));
  const origBytes = count(row.get('orig_bytes'));
  if (origBytes !== null) rec.payloadLen = origBytes;
  const history = row.get('history');
  if (history !== undefined && history !== '-' && history !== '') {
    rec.detail = `history ${history.slice(0, 64)}`;
    if (proto === 'tcp') {
      const flags = historyFlags(history);
      if (flags) {
        rec.srcFlags = flags.orig;
        rec.dstFlags = flags.resp;
      }
    }
  }
  return rec;
}

function unescapeSeparator(s: string): string | null {
  const m = /^\\x([0-9a-fA-F]{2})$/.exec(s);
  if (m) return String.fromCharCode(parseInt(m[1] as string, 16));
  return s.length === 1 ? s : null;
}

function splitRow(text: string, separator: string, expected: number): string[] {
  const bySeparator = text.split(separator);
  if (bySeparator.length >= expected) return bySeparator;
  // tabs turned into spaces by the mail client: conn.log values never contain blanks
  return text.trim().split(/\s+/);
}

/** A headerless row in one of the default layouts, recognised by its shape. */
function shapeRow(tokens: readonly string[]): Row | null {
  if (tokens.length < 20) return null;
  if (!EPOCH_RE.test(tokens[0] ?? '') || !UID_RE.test(tokens[1] ?? '') || !PROTOS.has(tokens[6] ?? '')) return null;
  if (!CONN_STATES.has(tokens[11] ?? '')) return null;
  let fields: readonly string[];
  if (BOOL_RE.test(tokens[12] ?? '') && BOOL_RE.test(tokens[13] ?? '') && COUNT_RE.test(tokens[14] ?? '')) fields = DEFAULT_FIELDS;
  else if (BOOL_RE.test(tokens[12] ?? '') && COUNT_RE.test(tokens[13] ?? '')) fields = BRO_FIELDS;
  else return null;
  const row = new Map<string, string>();
  fields.forEach((name, k) => {
    const v = tokens[k];
    if (v !== undefined) row.set(name, v);
  });
  for (const name of ['orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes']) {
    if (!COUNT_RE.test(row.get(name) ?? '')) return null;
  }
  return row;
}

/**
 * A long block without a `#` (no header: `fields` stays null and `conn` true) and without a `{` (no
 * JSON line) has only rows of the default layout, each opening with an epoch (looksLikeRowStart,
 * screens on): true when no line opens so, and extractZeek has nothing to read (a pasted argus log).
 */
function lacksZeekStarts(lines: readonly string[]): boolean {
  if (!blockLacksAll(lines, ['#', '{'])) return false;
  for (let k = 0; k < lines.length; k++) if (opensWithEpochDigits(lines[k] as string)) return false;
  return true;
}

function looksLikeRowStart(text: string): boolean {
  // the first column is an epoch time: at most 8 blanks, then at least 9 digits (no match array for every other line)
  if (screens.on && !opensWithEpochDigits(text)) return false;
  const m = /^\s{0,8}(\S{1,24})\s+(\S{1,24})\s/.exec(text);
  return m !== null && EPOCH_RE.test(m[1] as string) && UID_RE.test(m[2] as string);
}

/** Does the text start with at most 8 \s and then 9 digits (what EPOCH_RE needs of the first column)? */
function opensWithEpochDigits(text: string): boolean {
  let s = 0;
  while (s < text.length && isSpaceCode(text.charCodeAt(s))) {
    if (++s > 8) return false;
  }
  for (let k = s; k < s + 9; k++) {
    const c = text.charCodeAt(k);
    if (!(c >= 48 && c <= 57)) return false;
  }
  return true;
}

/** Does the line open a row: of the default layout, or fitting the first column of the `#fields` header? */
function rowStart(text: string, header: readonly string[] | null): boolean {
  return looksLikeRowStart(text) || (header !== null && headerRowStart(text, header[0] ?? ''));
}

/** Under a `#fields` header: does the line open with a value that fits the first column? */
function headerRowStart(text: string, first: string): boolean {
  const m = /^\s{0,8}(\S{1,64})\s/.exec(text);
  if (!m) return false;
  const value = m[1] as string;
  if (first === 'ts') return EPOCH_RE.test(value) || recordTimeFromIso(value) !== null;
  if (first === 'uid') return UID_RE.test(value);
  if (first === 'id.orig_h' || first === 'id.resp_h') return address(value) !== null;
  return !value.startsWith('#');
}

function jsonRow(value: unknown): Row | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (!('id.orig_h' in o) || !('conn_state' in o || 'orig_pkts' in o)) return null;
  if (typeof o._path === 'string' && o._path !== 'conn') return null;
  const row = new Map<string, string>();
  for (const name of DEFAULT_FIELDS) {
    const v = o[name];
    if (typeof v === 'string' && v.length <= 64) row.set(name, v);
    else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) row.set(name, name === 'ts' ? String(v) : String(Math.round(v)));
  }
  // JSON ts is a float; keep what JSON.stringify gives as the fraction
  return row;
}

const ZEEK_JSON: JsonObjectOptions = {
  mayContinue: (first) => first === '{' || /^\{\s*"(?:ts|_path|uid|_write_ts)"/.test(first),
  startsNext: (line) => /^\{\s*"(?:ts|_path)"/.test(line),
  maxLines: MAX_JSON_LINES,
};

function parseJsonLines(lines: readonly string[], i: number): { row: Row; span: number } | null {
  const found = readJsonObject(lines, i, ZEEK_JSON);
  if (!found) return null;
  const row = jsonRow(found.value);
  return row ? { row, span: found.span } : null;
}

/** The Zeek extractor: conn.log rows (TSV with or without header, JSON). */
export function extractZeek(lines: readonly string[]): ExtractedRecord[] {
  if (lacksZeekStarts(lines)) return [];
  const out: ExtractedRecord[] = [];
  let fields: string[] | null = null;
  let separator = '\t';
  let conn = true;
  let i = 0;
  while (i < lines.length) {
    const text = lines[i] ?? '';
    if (text.length > MAX_JSON) {
      i++;
      continue;
    }
    // the first character after leading \s (what text.trimStart() starts with), without the trimmed copy
    let lead = 0;
    while (lead < text.length && isSpaceCode(text.charCodeAt(lead))) lead++;
    const opening = text.charCodeAt(lead);
    if (opening === 35 /* # */) {
      const trimmed = text.slice(lead);
      if (trimmed.length <= MAX_RECORD_LINE) {
        const m = /^#(separator|path|fields|close|open)\b[ \t]?(.{0,2000})$/.exec(trimmed.trimEnd());
        if (m) {
          const key = m[1] as string;
          const value = (m[2] as string).trim();
          if (key === 'separator') separator = unescapeSeparator(value) ?? '\t';
          else if (key === 'path') conn = value === 'conn';
          else if (key === 'fields') {
            const names = value.split(/\t|\s+/).filter((s) => s.length > 0);
            fields = names.includes('id.orig_h') && names.includes('id.resp_h') ? names : null;
          } else if (key === 'close') {
            fields = null;
            conn = true;
          }
        }
      }
      i++;
      continue;
    }
    if (opening === 123 /* { */) {
      const found = parseJsonLines(lines, i);
      if (found) {
        const rec = rowRecord(found.row, i, found.span);
        if (rec) {
          out.push(rec);
          i += found.span;
          continue;
        }
      }
      i++;
      continue;
    }
    const header = fields;
    if (text.length > MAX_RECORD_LINE || !conn || !rowStart(text, header)) {
      i++;
      continue;
    }
    const expected = header ? header.length : 20;
    // a row the mail client wrapped: glue lines until the columns are all there
    let joined = text;
    let span = 1;
    while (splitRow(joined, separator, expected).length < expected && span < MAX_ROW_LINES && i + span < lines.length) {
      const next = lines[i + span] ?? '';
      if (next.trim().length === 0 || next.length > MAX_RECORD_LINE || rowStart(next, header) || next.trimStart().startsWith('#')) break;
      joined = `${joined.trimEnd()}${separator === '\t' && joined.includes('\t') ? '\t' : ' '}${next.trim()}`;
      span++;
    }
    let rec: ExtractedRecord | null = null;
    if (header) {
      const tokens = splitRow(joined, separator, header.length);
      if (tokens.length >= header.length - 1 && tokens.length <= header.length + 1) {
        const map = new Map<string, string>();
        header.forEach((name, k) => {
          const v = tokens[k];
          if (v !== undefined) map.set(name, v.trim());
        });
        rec = rowRecord(map, i, span);
      }
    }
    if (!rec) {
      // no header, or a pasted row of the default layout under some other header
      const row = shapeRow(splitRow(joined, separator, 20));
      rec = row ? rowRecord(row, i, span) : null;
    }
    if (rec) {
      out.push(rec);
      i += span;
    } else {
      i++;
    }
  }
  return out;
}
