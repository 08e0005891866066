// Suricata output as pasted into posts: fast.log alert lines (4-digit year), the same alert
// through syslog (`suricata[pid]: [1:sid:rev] ...`), and eve.json events (alert, flow,
// netflow, drop), one JSON object per line, possibly wrapped or pretty-printed by the poster.
import { normalizeFlags } from './flags.js';
import { printableStrings } from './hexdump.js';
import { blankRecord, isIPv4, isIPv6, isMaskedAddress, MAX_RECORD_LINE, recordTimeFromIso, validClock, validDate } from './tcpdump.js';
import { syslogTime } from './netfilter.js';
import type { ExtractedRecord, RecordTime } from './types.js';
import { blockLacksAll, screens } from './screen.js';

/** eve.json objects larger than this are not parsed */
const MAX_JSON = 64 * 1024;
/** lines a wrapped or pretty-printed eve object may span */
const MAX_JSON_LINES = 60;
const MAX_ALERT_LINES = 3;

const FAST_TIME_RE = /^\s{0,8}(\d{2})\/(\d{2})\/(\d{4})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s{1,4}(?:\[(?:Drop|wDrop)\] {1,2})?\[\*\*\] /;
const SYSLOG_ALERT_RE = /\bsuricata(?:\[\d{1,10}\])?: (?:\[(?:Drop|wDrop)\] )?(?=\[\d{1,10}:\d{1,10}:\d{1,10}\] )/;
/** `[gid:sid:rev] message [**] [Classification: c] [Priority: n] {PROTO} a -> b` (fast) */
const FAST_BODY_RE =
  /^\[(\d{1,10}):(\d{1,10}):(\d{1,10})\] (.{0,400}?) \[\*\*\](?: \[Classification: ([^\]]{0,200})\])? \[Priority: (\d{1,3})\] \{([A-Za-z0-9-]{1,16})\} (\S{1,64}) -> (\S{1,64})\s*$/;
/** the syslog variant: `[gid:sid:rev] message [Classification: c] [Priority: n] {PROTO} a -> b` */
const SYSLOG_BODY_RE =
  /^\[(\d{1,10}):(\d{1,10}):(\d{1,10})\] (.{0,400}?)(?: \[Classification: ([^\]]{0,200})\])? \[Priority: (\d{1,3})\]:? \{([A-Za-z0-9-]{1,16})\} (\S{1,64}) -> (\S{1,64})\s*$/;

const ICMPS = new Set(['icmp', 'ipv6-icmp', 'icmpv6', 'icmp6']);

interface Endpoint {
  host: string | null;
  port: number | null;
  masked: boolean;
}

/** `1.2.3.4:80`, `2001:0db8:...:0001:80`, `1.2.3.4` (no port); masked hosts become null */
function splitAddress(token: string): Endpoint | null {
  const plain = (h: string): Endpoint | null => {
    if (isIPv4(h) || isIPv6(h)) return { host: h, port: null, masked: false };
    if (isMaskedAddress(h)) return { host: null, port: null, masked: true };
    return null;
  };
  const colon = token.lastIndexOf(':');
  if (colon > 0) {
    const portText = token.slice(colon + 1);
    const hostText = token.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) {
      const host = plain(hostText);
      if (host) return { ...host, port: Number(portText) };
    }
  }
  return plain(token);
}

function fastTime(m: RegExpExecArray): RecordTime | null {
  const month = Number(m[1]);
  const day = Number(m[2]);
  const t: RecordTime = { year: Number(m[3]), month, day, hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]) };
  if (!validDate(month, day) || !validClock(t.hour, t.minute, t.second)) return null;
  if (m[7]) t.fraction = m[7];
  return t;
}

function alertRecord(
  body: RegExpExecArray,
  format: string,
  line: number,
  lineCount: number,
  time: RecordTime | null,
): ExtractedRecord | null {
  const proto = (body[7] as string).toLowerCase();
  const a = splitAddress(body[8] as string);
  const b = splitAddress(body[9] as string);
  if (!a || !b || (a.masked && b.masked)) return null;
  const rec = blankRecord('suricata', format, line, lineCount);
  rec.time = time;
  rec.proto = proto;
  rec.src = a.host;
  rec.dst = b.host;
  rec.dir = '->';
  rec.singlePacket = true;
  if (ICMPS.has(proto)) {
    // Suricata prints the ICMP type and code where the ports would be
    if (a.port !== null && a.port <= 255) rec.icmpType = a.port;
    if (b.port !== null && b.port <= 255) rec.icmpCode = b.port;
  } else {
    rec.sport = a.port;
    rec.dport = b.port;
  }
  rec.signature = {
    id: `${body[1]}:${body[2]}`,
    rev: Number(body[3]),
    message: (body[4] as string).trim(),
    priority: Number(body[6]),
  };
  if (body[5]) rec.signature.classification = body[5].trim();
  return rec;
}

function parseAlertLine(text: string, line: number, lineCount: number): ExtractedRecord | null {
  if (text.length > MAX_RECORD_LINE) return null;
  const fast = FAST_TIME_RE.exec(text);
  if (fast) {
    const body = FAST_BODY_RE.exec(text.slice(fast[0].length));
    if (!body) return null;
    return alertRecord(body, 'suricata-fast', line, lineCount, fastTime(fast));
  }
  const sys = SYSLOG_ALERT_RE.exec(text);
  if (sys) {
    const body = SYSLOG_BODY_RE.exec(text.slice(sys.index + sys[0].length));
    if (!body) return null;
    return alertRecord(body, 'suricata-syslog', line, lineCount, syslogTime(text));
  }
  return null;
}

/** what a line that opens a record holds: `{`, `[**]` or `suricata` (searched as `ricata`, which V8 finds ~10x faster in a pasted log than the whole word) */
const SURICATA_LITERALS = ['{', '[**]', 'ricata'];

function isAlertStart(text: string): boolean {
  if (text.length > MAX_RECORD_LINE) return false;
  // each regex needs its literal: `[**] ` or `suricata` (found natively, before either regex runs)
  if (screens.on && !text.includes('[**]') && !text.includes('suricata')) return false;
  return FAST_TIME_RE.test(text) || SYSLOG_ALERT_RE.test(text);
}

// ------------------------------------------------------------------ eve.json

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

function str(v: unknown, max = 1000): string | null {
  return typeof v === 'string' && v.length <= max ? v : null;
}

function port(v: unknown): number | null {
  const n = num(v);
  return n !== null && Number.isInteger(n) && n <= 65535 ? n : null;
}

/** eve's `tcp_flags` hex byte → letters (FIN 01, SYN 02, RST 04, PSH 08, ACK 10, URG 20) */
export function hexTcpFlags(v: unknown): string | null {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,2}$/.test(v)) return null;
  const bits = parseInt(v, 16);
  let letters = '';
  if (bits & 0x01) letters += 'F';
  if (bits & 0x02) letters += 'S';
  if (bits & 0x04) letters += 'R';
  if (bits & 0x08) letters += 'P';
  if (bits & 0x10) letters += 'A';
  if (bits & 0x20) letters += 'U';
  return normalizeFlags(letters);
}

function endpoint(v: unknown): Endpoint | null {
  const s = str(v, 64);
  if (s === null) return null;
  if (isIPv4(s) || isIPv6(s)) return { host: s, port: null, masked: false };
  if (isMaskedAddress(s)) return { host: null, port: null, masked: true };
  return null;
}

function payloadOf(event: Json): { bytes: number; strings: string[] } | null {
  const b64 = str(event.payload, MAX_JSON);
  if (b64 !== null && b64.length > 0 && /^[A-Za-z0-9+/=]+$/.test(b64)) {
    const data = Buffer.from(b64, 'base64');
    return { bytes: data.length, strings: printableStrings(new Uint8Array(data)) };
  }
  const printable = str(event.payload_printable, MAX_JSON);
  if (printable !== null && printable.length > 0) {
    const strings = printable
      .split(/\r?\n|\.{3,}/)
      .map((s) => s.trim())
      .filter((s) => s.length >= 4)
      .slice(0, 32)
      .map((s) => s.slice(0, 80));
    return { bytes: printable.length, strings };
  }
  return null;
}

function eveRecord(event: Json, line: number, lineCount: number): ExtractedRecord | null {
  const type = str(event.event_type, 32);
  if (type !== 'alert' && type !== 'flow' && type !== 'netflow' && type !== 'drop') return null;
  const timestamp = str(event.timestamp, 64);
  if (timestamp === null) return null;
  const a = endpoint(event.src_ip);
  const b = endpoint(event.dest_ip);
  if (!a || !b || (a.masked && b.masked)) return null;
  const proto = (str(event.proto, 16) ?? '').toLowerCase() || null;
  const rec = blankRecord('suricata', 'suricata-eve', line, lineCount);
  rec.time = recordTimeFromIso(timestamp);
  rec.proto = proto;
  rec.src = a.host;
  rec.dst = b.host;
  rec.dir = '->';
  if (proto !== null && ICMPS.has(proto)) {
    const t = num(event.icmp_type);
    const c = num(event.icmp_code);
    if (t !== null && t <= 255) rec.icmpType = t;
    if (c !== null && c <= 255) rec.icmpCode = c;
  } else {
    rec.sport = port(event.src_port);
    rec.dport = port(event.dest_port);
  }
  const tcp = obj(event.tcp);
  const http = obj(event.http);
  const url = http ? str(http.url, 2000) : null;
  if (url !== null) {
    const host = str(http?.hostname, 255);
    rec.detail = host ? `${host}${url}` : url;
  }
  if (type === 'alert') {
    const alert = obj(event.alert);
    if (!alert) return null;
    rec.singlePacket = true;
    const gid = num(alert.gid) ?? 1;
    const sid = num(alert.signature_id);
    rec.signature = {};
    if (sid !== null) rec.signature.id = `${gid}:${sid}`;
    const rev = num(alert.rev);
    if (rev !== null) rec.signature.rev = rev;
    const message = str(alert.signature, 400);
    if (message !== null) rec.signature.message = message;
    const category = str(alert.category, 200);
    if (category) rec.signature.classification = category;
    const severity = num(alert.severity);
    if (severity !== null) rec.signature.priority = severity;
    const payload = payloadOf(event);
    if (payload) {
      rec.payload = payload;
      rec.payloadLen = payload.bytes;
    }
    return rec;
  }
  if (type === 'drop') {
    const drop = obj(event.drop);
    if (!drop) return null;
    rec.singlePacket = true;
    rec.srcPkts = 1;
    const len = num(drop.len);
    if (len !== null) rec.dgmLen = len;
    if (proto === 'tcp') {
      let letters = '';
      for (const [key, letter] of [['fin', 'F'], ['syn', 'S'], ['rst', 'R'], ['psh', 'P'], ['ack', 'A'], ['urg', 'U']] as const) {
        if (drop[key] === true) letters += letter;
      }
      rec.srcFlags = normalizeFlags(letters);
    }
    return rec;
  }
  if (type === 'netflow') {
    const nf = obj(event.netflow);
    if (!nf) return null;
    const start = str(nf.start, 64);
    if (start) rec.time = recordTimeFromIso(start) ?? rec.time;
    rec.srcPkts = num(nf.pkts);
    rec.srcBytes = num(nf.bytes);
    if (tcp && tcp.tcp_flags !== '00') rec.srcFlags = hexTcpFlags(tcp.tcp_flags);
    return rec;
  }
  const flow = obj(event.flow);
  if (!flow) return null;
  const start = str(flow.start, 64);
  if (start) rec.time = recordTimeFromIso(start) ?? rec.time;
  rec.srcPkts = num(flow.pkts_toserver);
  rec.dstPkts = num(flow.pkts_toclient);
  rec.srcBytes = num(flow.bytes_toserver);
  rec.dstBytes = num(flow.bytes_toclient);
  // "00" on both sides with packets counted means the stream engine did not track the flags
  if (tcp && !(tcp.tcp_flags === '00' && tcp.tcp_flags_ts === '00' && tcp.tcp_flags_tc === '00')) {
    rec.srcFlags = hexTcpFlags(tcp.tcp_flags_ts);
    rec.dstFlags = hexTcpFlags(tcp.tcp_flags_tc);
  }
  rec.state = (tcp ? str(tcp.state, 32) : null) ?? str(flow.state, 32);
  return rec;
}

function tryParse(text: string): unknown {
  if (text.length > MAX_JSON) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Tracks brace depth outside JSON strings across the pieces of one object. */
class JsonDepth {
  depth = 0;
  private inString = false;
  private escaped = false;

  feed(piece: string): void {
    for (let k = 0; k < piece.length; k++) {
      const ch = piece.charCodeAt(k);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c) this.escaped = true; // backslash
        else if (ch === 0x22) this.inString = false; // quote
      } else if (ch === 0x22) this.inString = true;
      else if (ch === 0x7b) this.depth++; // {
      else if (ch === 0x7d) this.depth--; // }
    }
  }

  get closed(): boolean {
    return this.depth === 0 && !this.inString;
  }
}

export interface JsonObjectOptions {
  /** may the object at this first line go on over more lines? */
  mayContinue: (first: string) => boolean;
  /** does this line start the next object (so the current one was cut short)? */
  startsNext: (line: string) => boolean;
  maxLines: number;
}

/**
 * A JSON value starting at lines[i]: one line, or hard-wrapped / pretty-printed over several.
 * Parses at most twice per start line (once the braces balance, with the breaks read as a
 * blank and as nothing), so wrapped garbage costs time linear in its size.
 */
export function readJsonObject(lines: readonly string[], i: number, opts: JsonObjectOptions): { value: unknown; span: number } | null {
  const first = (lines[i] ?? '').trim();
  if (!first.startsWith('{') || first.length > MAX_JSON) return null;
  const depth = new JsonDepth();
  depth.feed(first);
  if (depth.closed) {
    const value = tryParse(first);
    return value === undefined ? null : { value, span: 1 };
  }
  if (depth.depth < 0 || !opts.mayContinue(first)) return null;
  let spaced = first;
  let tight = first;
  for (let k = 1; k < opts.maxLines && i + k < lines.length; k++) {
    const next = (lines[i + k] ?? '').trim();
    if (next.length === 0 || next.length > MAX_JSON || opts.startsNext(next)) return null;
    spaced = `${spaced} ${next}`;
    tight = `${tight}${next}`;
    if (spaced.length > MAX_JSON) return null;
    depth.feed(next);
    if (depth.depth < 0) return null;
    if (depth.closed) {
      const value = tryParse(spaced) ?? tryParse(tight);
      return value === undefined ? null : { value, span: k + 1 };
    }
  }
  return null;
}

const EVE_JSON: JsonObjectOptions = {
  // only worth gluing lines when this looks like an eve event
  mayContinue: (first) => first === '{' || /^\{ ?"timestamp"/.test(first),
  startsNext: (line) => /^\{ ?"timestamp"/.test(line),
  maxLines: MAX_JSON_LINES,
};

/** The Suricata extractor: fast.log and syslog alerts, eve.json alert/flow/netflow/drop events. */
export function extractSuricata(lines: readonly string[]): ExtractedRecord[] {
  // a record starts on a line with a `{` (eve.json) or one isAlertStart takes (its regexes' literals)
  if (blockLacksAll(lines, SURICATA_LITERALS)) return [];
  const out: ExtractedRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    const text = lines[i] ?? '';
    if (text.length > MAX_JSON) {
      i++;
      continue;
    }
    // `grep`/`zgrep` over several files prefixes each line with its file name
    // an eve.json line holds a `{`: every other line skips the prefix regex and the trimmed copy
    const mayBeJson = !screens.on || text.includes('{');
    const grepPrefix = mayBeJson ? /^[\w./-]{1,200}:(?=\{")/.exec(text) : null;
    const trimmed = !mayBeJson ? '' : grepPrefix ? text.slice(grepPrefix[0].length) : text.trimStart();
    if (trimmed.startsWith('{')) {
      const found = readJsonObject(grepPrefix ? [trimmed] : lines, grepPrefix ? 0 : i, EVE_JSON);
      const event = found ? obj(found.value) : null;
      if (found && event) {
        const rec = eveRecord(event, i, found.span);
        if (rec) {
          out.push(rec);
          i += found.span;
          continue;
        }
      }
      i++;
      continue;
    }
    if (!isAlertStart(text)) {
      i++;
      continue;
    }
    let rec = parseAlertLine(text, i, 1);
    let span = 1;
    if (!rec) {
      // a wrapped alert line: glue the rest back on
      let joined = text;
      for (let k = 1; k <= MAX_ALERT_LINES - 1 && i + k < lines.length; k++) {
        const next = lines[i + k] ?? '';
        if (next.trim().length === 0 || next.length > 400 || isAlertStart(next)) break;
        joined = `${joined.trimEnd()} ${next.trim()}`;
        rec = parseAlertLine(joined, i, k + 1);
        if (rec) {
          span = k + 1;
          break;
        }
      }
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
