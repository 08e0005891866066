// Snort alerts in post text: full alerts (multi-line blocks), fast alerts and syslog alerts.
// Layouts: /work/shared/reference/log-formats.md §1 (Snort 1.8-2.x output plugins).
// Every regex here is anchored or bounded, and lines longer than MAX_LINE are never matched.

import type { Signature } from '../contract.js';
import { paddedQuadBytes } from '../net/ipv4.js';
import { snortFlagMap } from './flags.js';
import { parseHexDump, printableStrings } from './hexdump.js';
import { blankRecord } from './tcpdump.js';
import type { ExtractedRecord, Extractor, RecordTime } from './types.js';
import { blockLacksAll, isSpaceCode } from './screen.js';

const MAX_LINE = 4096;
/** lines after the header that can belong to one full alert before its hex dump */
const MAX_BODY_LINES = 16;
/** a full-alert header or a fast/syslog line re-wrapped by a mail client: continuation lines joined */
const MAX_HEADER_CONTINUATIONS = 3;
const MAX_STRINGS = 32;
const MAX_STRING_LEN = 80;

// MM/DD[/YY]-HH:MM:SS[.ffffff]
const TS_SOURCE = String.raw`(\d{2})/(\d{2})(?:/(\d{2}))?-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?`;
const TS_AT_START = new RegExp(String.raw`^\s{0,8}${TS_SOURCE}(?![\d/])`);
const TS_ANYWHERE = new RegExp(String.raw`(?<![\d/])${TS_SOURCE}(?![\d/])`);

// An address as posted: dotted quad, or masked ("x.x.x.x", "xxx.xxx.xxx.xxx", "a.b.c.d", "10.1.*.*").
const OCTET = String.raw`(?:\d{1,3}|[xX*]{1,3}|[a-zA-Z]{1,3})`;
const ADDR = String.raw`${OCTET}(?:\.${OCTET}){3}`;
const ADDR_PAIR_SOURCE = String.raw`(?<![\w.:])(${ADDR})(?::(\d{1,5}))?\s{1,4}->\s{1,4}(${ADDR})(?::(\d{1,5}))?(?![\w.:])`;
const ADDR_PAIR = new RegExp(ADDR_PAIR_SOURCE);
const ADDR_PAIR_AT_START = new RegExp(String.raw`^\s{0,4}${ADDR_PAIR_SOURCE}`);
const ADDR_AT_START = new RegExp(String.raw`^\s{0,8}${ADDR}(?::\d{1,5})?(?![\w.])`);

const MAC = String.raw`[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}`;
const MAC_PART = new RegExp(
  String.raw`${MAC}\s{1,4}->\s{1,4}${MAC}(?:\s{1,4}type:0x[0-9A-Fa-f]{1,4})?(?:\s{1,4}len:0x[0-9A-Fa-f]{1,5})?`,
  'g',
);
const MAC_AT_START = new RegExp(String.raw`^\s{0,8}${MAC}\s`);

const IP_HEADER =
  /(?<![\w])([A-Za-z][A-Za-z0-9-]{0,11}) TTL:(\d{1,3}) TOS:0x([0-9A-Fa-f]{1,2}) ID:(\d{1,5}) IpLen:(\d{1,3}) DgmLen:(\d{1,5})/;
const TCP_FLAG_MAP = /(?:^|\s)([*12CEUAPRSF]{8})(?=\s)/;
const TCP_LEN = /TcpLen: {0,2}(\d{1,3})(?!\d)/;
const UDP_LEN = /(?:^|\s)Len: {0,2}(\d{1,5})(?!\d)/;
const ICMP_TYPE_CODE = /(?:^|\s)Type: {0,2}(\d{1,3}) {1,4}Code: {0,2}(\d{1,3})(?!\d)/;
const CLASSIFICATION = /\[Classification: {0,2}([^\]\n]{1,200})\]/;
const PRIORITY = /\[Priority: {0,2}(\d{1,3})\]/;
const TRIPLE_AT_START = /^\[(\d{1,10}):(\d{1,10}):(\d{1,10})\]\s{0,4}/;
const IFACE_AT_START = /^<([^<>\s]{1,32})>\s{0,4}/;
const PORTSCAN = new RegExp(String.raw`PORTSCAN DETECTED (?:to port \d{1,5} )?from (${ADDR})(?![\w.])`);
const PROTO_BRACE = /\{([A-Za-z][A-Za-z0-9-]{0,15})\}\s{0,4}/g;

// Lines that may belong to the body of a full alert (between header and hex dump).
const BODY_LINE =
  /^\s{0,8}(?:\[(?:Classification|Priority|Xref|AppID)\b|[*12CEUAPRSF]{8}\s|Seq: 0x|Ack: 0x|Win: 0x|TcpLen:|UrgPtr:|TCP Options|IP Options|Frag Offset|Frag Size|Len: \d|Type: ?\d|ID: ?\d|Seq: ?\d|\*\* (?:ORIGINAL|END)|(?:ECHO|DESTINATION|TIME|REDIRECT|SOURCE|PARAMETER|TIMESTAMP|ADDRESS|INFO))/;
const IP_HEADER_HINT = / TTL:\d/;

const SYSLOG_PREFIX =
  /^\s{0,4}(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})? {1,3}(?:[^\s:]{1,255} {1,3})?snort(?:\[\d{1,10}\])?: {0,4}/;
const SYSLOG_ISO_PREFIX =
  /^\s{0,4}(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})? {1,3}(?:[^\s:]{1,255} {1,3})?snort(?:\[\d{1,10}\])?: {0,4}/;

/** the start of any syslog-style or ISO-dated log line: never the continuation of a wrapped line */
const LOG_LINE_START = /^\s{0,4}(?:[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}|\d{4}-\d{2}-\d{2}[T ]\d{2}:)/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// Message words that name what was requested: a URL, a path or a file such as cmd.exe or .ida.
const URI_WORD = /^(?:https?:\/\/[^\s]{1,200}|\/[^\s]{1,200}|[^\s/]{0,40}\.(?:exe|ida|idq|dll|asp|aspx|cgi|php|pl|htr|htw|printer|jsp|shtml|bat)(?:[?/][^\s]{0,160})?)$/i;

interface Endpoints {
  src: string | null;
  sport: number | null;
  dst: string | null;
  dport: number | null;
}

function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** A dotted quad with every octet numeric and ≤ 255, else null (masked or not an address). */
function realAddress(text: string | undefined): string | null {
  const bytes = text === undefined ? null : paddedQuadBytes(text);
  // written without leading zeros, as a flat string of its own (not a slice of the alert text)
  return bytes ? bytes.join('.') : null;
}

function port(text: string | undefined): number | null {
  const n = num(text);
  return n !== undefined && n <= 65535 ? n : null;
}

function endpointsFrom(m: RegExpExecArray): Endpoints {
  return { src: realAddress(m[1]), sport: port(m[2]), dst: realAddress(m[3]), dport: port(m[4]) };
}

function fullYear(yy: string | undefined): number | undefined {
  const n = num(yy);
  if (n === undefined) return undefined;
  return n < 70 ? 2000 + n : 1900 + n;
}

function timeFromTs(m: RegExpExecArray): RecordTime | null {
  // Snort 2 with -y prints MM/DD/YY; Snort 3 prints YY/MM/DD (`21/04/27-11:24:48`). A first field
  // that cannot be a month is the year.
  const yearFirst = m[3] !== undefined && (num(m[1]) ?? 0) > 12;
  const month = num(yearFirst ? m[2] : m[1]);
  const day = num(yearFirst ? m[3] : m[2]);
  const hour = num(m[4]);
  const minute = num(m[5]);
  const second = num(m[6]);
  if (month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) {
    return null;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const time: RecordTime = { month, day, hour, minute, second };
  const year = fullYear(yearFirst ? m[1] : m[3]);
  if (year !== undefined) time.year = year;
  if (m[7] !== undefined) time.fraction = m[7];
  return time;
}

/** URL/URI-like words of an alert message ("cmd.exe", "/scripts/root.exe", ".ida"), else undefined. */
export function uriDetail(message: string): string | undefined {
  const words = message.slice(0, 1000).split(/\s+/);
  const found: string[] = [];
  for (const raw of words) {
    const word = raw.replace(/^[("'<]+|[)"'>,;]+$/g, '');
    if (word.length > 0 && word.length <= 240 && URI_WORD.test(word)) found.push(word);
    if (found.length >= 3) break;
  }
  return found.length > 0 ? found.join(' ') : undefined;
}

/** Splits the inside of a header ("[1:1002:2] <eth0> WEB-IIS cmd.exe access") into a signature. */
function signatureFrom(inner: string): Signature {
  let rest = inner.trim();
  const sig: Signature = {};
  for (let k = 0; k < 2; k++) {
    const iface = IFACE_AT_START.exec(rest);
    if (iface) rest = rest.slice(iface[0].length);
    const triple = TRIPLE_AT_START.exec(rest);
    if (triple && sig.id === undefined) {
      sig.id = `${triple[1]}:${triple[2]}`;
      const rev = num(triple[3]);
      if (rev !== undefined) sig.rev = rev;
      rest = rest.slice(triple[0].length);
    }
  }
  rest = rest.trim();
  // Snort 3 prints the message in double quotes
  if (rest.length >= 2 && rest.startsWith('"') && rest.endsWith('"')) rest = rest.slice(1, -1).trim();
  if (rest.length > 0) sig.message = rest.slice(0, 400);
  return sig;
}

function baseRecord(format: string, line: number, lineCount: number): ExtractedRecord {
  return blankRecord('snort', format, line, lineCount);
}

function setEndpoints(rec: ExtractedRecord, ep: Endpoints): void {
  rec.src = ep.src;
  rec.sport = ep.sport;
  rec.dst = ep.dst;
  rec.dport = ep.dport;
  rec.dir = '->';
}

/** spp_portscan "PORTSCAN DETECTED from <ip>": an alert about a scanner, with only its source. */
function portscanSource(message: string | undefined): string | null {
  if (!message) return null;
  const m = PORTSCAN.exec(message);
  return m ? realAddress(m[1]) : null;
}

function finishSignature(rec: ExtractedRecord, sig: Signature): void {
  if (Object.keys(sig).length > 0) rec.signature = sig;
  const detail = sig.message ? uriDetail(sig.message) : undefined;
  if (detail) rec.detail = detail;
}

// ---------------------------------------------------------------------------------------------
// Full alerts

/**
 * Reads a header starting at lines[i] ("[**] ... [**]", possibly wrapped). Text after the closing
 * mark is kept only when it is the start of the alert body (a reflowed post joined the lines);
 * anything else there means prose that happens to begin with "[**]".
 */
function readHeader(lines: readonly string[], i: number): { inner: string; trailer: string; next: number } | null {
  let text = (lines[i] ?? '').trim();
  let next = i + 1;
  for (let k = 0; ; k++) {
    const close = text.indexOf('[**]', 4);
    if (close >= 0) {
      const inner = text.slice(4, close);
      const trailer = text.slice(close + 4).trim();
      if (inner.trim().length === 0) return null;
      if (trailer.length > 0 && !isBodyLine(trailer)) return null;
      return { inner, trailer, next };
    }
    if (k >= MAX_HEADER_CONTINUATIONS || next >= lines.length) return null;
    const cont = lines[next] ?? '';
    if (cont.length > MAX_LINE || isBlank(cont) || TS_AT_START.test(cont) || cont.trim().startsWith('[**] ')) return null;
    text = `${text} ${cont.trim()}`;
    next++;
  }
}

function isBodyLine(line: string): boolean {
  return (
    BODY_LINE.test(line) ||
    TS_AT_START.test(line) ||
    ADDR_AT_START.test(line) ||
    MAC_AT_START.test(line) ||
    IP_HEADER_HINT.test(line)
  );
}

function parseFull(lines: readonly string[], start: number): { record: ExtractedRecord | null; next: number } {
  const header = readHeader(lines, start);
  if (!header) return { record: null, next: start + 1 };
  const body: string[] = header.trailer ? [header.trailer] : [];
  let j = header.next;
  while (j < lines.length && body.length < MAX_BODY_LINES) {
    const line = lines[j] ?? '';
    if (line.length > MAX_LINE || isBlank(line) || line.trim().startsWith('[**]')) break;
    if (!isBodyLine(line)) break;
    body.push(line.trim());
    j++;
  }
  const text = body.join(' ').replace(MAC_PART, ' ');
  const ts = TS_ANYWHERE.exec(text);
  if (!ts) return { record: null, next: start + 1 };

  const sig = signatureFrom(header.inner);
  const classification = CLASSIFICATION.exec(text);
  if (classification?.[1]) sig.classification = classification[1].trim();
  const priority = num(PRIORITY.exec(text)?.[1]);
  if (priority !== undefined) sig.priority = priority;

  const afterTs = text.slice(ts.index);
  const pair = ADDR_PAIR.exec(afterTs);
  let lastLine = j - 1;

  const rec = baseRecord('snort-full', start, 0);
  rec.time = timeFromTs(ts);
  finishSignature(rec, sig);

  if (pair) {
    const ep = endpointsFrom(pair);
    if (ep.src === null && ep.dst === null) return { record: null, next: j };
    setEndpoints(rec, ep);
  } else {
    const scanner = portscanSource(sig.message);
    if (!scanner) return { record: null, next: j };
    rec.src = scanner;
    rec.sport = null;
    rec.dir = null;
  }

  const ip = IP_HEADER.exec(afterTs);
  let dgmLen: number | undefined;
  let ipLen: number | undefined;
  if (ip) {
    rec.proto = (ip[1] as string).toLowerCase();
    dgmLen = num(ip[6]);
    ipLen = num(ip[5]);
    if (dgmLen !== undefined) rec.dgmLen = dgmLen;
  }
  if (pair) {
    rec.singlePacket = true;
    rec.srcPkts = 1;
    rec.srcBytes = dgmLen ?? null;
  }

  const afterIp = ip ? afterTs.slice(ip.index + ip[0].length) : afterTs;
  if (rec.proto === 'tcp') {
    const map = TCP_FLAG_MAP.exec(afterIp);
    const flags = map ? snortFlagMap(map[1] as string) : null;
    if (flags !== null) rec.srcFlags = flags;
    const tcpLen = num(TCP_LEN.exec(afterIp)?.[1]);
    if (dgmLen !== undefined && ipLen !== undefined && tcpLen !== undefined && dgmLen >= ipLen + tcpLen) {
      rec.payloadLen = dgmLen - ipLen - tcpLen;
    }
  } else if (rec.proto === 'udp') {
    const len = num(UDP_LEN.exec(afterIp)?.[1]);
    if (dgmLen !== undefined && ipLen !== undefined && dgmLen >= ipLen + 8) rec.payloadLen = dgmLen - ipLen - 8;
    else if (len !== undefined) rec.payloadLen = len;
  } else if (rec.proto === 'icmp') {
    const icmp = ICMP_TYPE_CODE.exec(afterIp);
    const type = num(icmp?.[1]);
    const code = num(icmp?.[2]);
    if (type !== undefined) rec.icmpType = type;
    if (code !== undefined) rec.icmpCode = code;
    if (dgmLen !== undefined && ipLen !== undefined && dgmLen >= ipLen + 8) rec.payloadLen = dgmLen - ipLen - 8;
  }

  // The payload dump follows the header lines; a "[ snip ]" line or a blank line ends it.
  if (j < lines.length) {
    const dump = parseHexDump(lines, j);
    if (dump) {
      rec.payload = { bytes: dump.bytes, strings: printableStrings(dump.data, 4, MAX_STRINGS, MAX_STRING_LEN) };
      j = dump.end;
      lastLine = j - 1;
      // Xref lines may follow the dump
      while (j < lines.length && /^\s{0,8}\[Xref => /.test((lines[j] ?? '').slice(0, MAX_LINE))) {
        lastLine = j;
        j++;
      }
    }
  }
  rec.lineCount = lastLine - start + 1;
  return { record: rec, next: j };
}

// ---------------------------------------------------------------------------------------------
// Fast and syslog alerts share the tail "[Classification: x] [Priority: n]: <iface> {PROTO} a -> b".

interface AlertTail {
  classification?: string;
  priority?: number;
  proto: string;
  endpoints: Endpoints;
  /** the text before the tail */
  head: string;
}

/** Finds the first "{PROTO} a -> b" in `text` and peels off the priority data before it. */
function parseTail(text: string): AlertTail | null {
  PROTO_BRACE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let found: { index: number; proto: string; pair: RegExpExecArray } | null = null;
  let guard = 0;
  while ((m = PROTO_BRACE.exec(text)) !== null && guard++ < 64) {
    const pair = ADDR_PAIR_AT_START.exec(text.slice(PROTO_BRACE.lastIndex));
    if (pair) {
      found = { index: m.index, proto: m[1] as string, pair };
      break;
    }
  }
  if (!found) return null;
  let head = text.slice(0, found.index).trimEnd();
  const tail: AlertTail = { proto: found.proto.toLowerCase(), endpoints: endpointsFrom(found.pair), head: '' };
  const appId = /\[AppID: {0,2}[^\]]{0,64}\]$/.exec(head.slice(-80)); // Snort 3
  if (appId) head = head.slice(0, head.length - appId[0].length).trimEnd();
  const iface = /<[^<>\s]{1,32}>$/.exec(head.slice(-40));
  if (iface) head = head.slice(0, head.length - iface[0].length).trimEnd();
  if (head.endsWith(':')) head = head.slice(0, -1).trimEnd();
  const pri = /\[Priority: {0,2}(\d{1,3})\]$/.exec(head.slice(-24));
  if (pri) {
    tail.priority = num(pri[1]);
    head = head.slice(0, head.length - pri[0].length).trimEnd();
  }
  if (head.endsWith(']')) {
    const open = head.lastIndexOf('[Classification:');
    if (open >= 0 && head.length - open <= 220 && head.indexOf(']', open) === head.length - 1) {
      tail.classification = head.slice(open + '[Classification:'.length, -1).trim();
      head = head.slice(0, open).trimEnd();
    }
  }
  tail.head = head;
  return tail;
}

function applyTail(rec: ExtractedRecord, sig: Signature, tail: AlertTail): boolean {
  if (tail.classification) sig.classification = tail.classification;
  if (tail.priority !== undefined) sig.priority = tail.priority;
  const ep = tail.endpoints;
  if (ep.src === null && ep.dst === null) return false;
  setEndpoints(rec, ep);
  rec.proto = tail.proto;
  rec.singlePacket = true;
  rec.srcPkts = 1;
  return true;
}

/** Priority data without a {PROTO} tail (a preprocessor alert): peel it off the end. */
function stripPriority(text: string, sig: Signature): string {
  let rest = text.trim();
  if (rest.endsWith(':')) rest = rest.slice(0, -1).trimEnd();
  const pri = /\[Priority: {0,2}(\d{1,3})\]$/.exec(rest.slice(-24));
  if (pri) {
    const p = num(pri[1]);
    if (p !== undefined) sig.priority = p;
    rest = rest.slice(0, rest.length - pri[0].length).trimEnd();
  }
  const open = rest.lastIndexOf('[Classification:');
  if (open >= 0 && rest.length - open <= 220 && rest.indexOf(']', open) === rest.length - 1) {
    sig.classification = rest.slice(open + '[Classification:'.length, -1).trim();
    rest = rest.slice(0, open).trimEnd();
  }
  return rest;
}

/** Priority data at the start of a fast alert's tail ("[Classification: x] [Priority: n] ..."): peeled off. */
function stripLeadingPriority(text: string, sig: Signature): string {
  let rest = text.trimStart();
  const cls = CLASSIFICATION.exec(rest.slice(0, 230));
  if (cls && cls.index === 0) {
    sig.classification = (cls[1] as string).trim();
    rest = rest.slice(cls[0].length).trimStart();
  }
  const pri = PRIORITY.exec(rest.slice(0, 24));
  if (pri && pri.index === 0) {
    const p = num(pri[1]);
    if (p !== undefined) sig.priority = p;
    rest = rest.slice(pri[0].length).trimStart();
  }
  return rest;
}

/** The whole of `text` is "a[:p] -> b[:p]": its endpoints, else null. */
function stripTrailingPair(text: string): Endpoints | null {
  const m = ADDR_PAIR_AT_START.exec(text);
  if (!m || text.slice(m[0].length).trim().length > 0) return null;
  return endpointsFrom(m);
}

function canContinue(line: string | undefined): line is string {
  return (
    line !== undefined &&
    line.length <= MAX_LINE &&
    !isBlank(line) &&
    !TS_AT_START.test(line) &&
    !LOG_LINE_START.test(line) &&
    !line.trim().startsWith('[**]')
  );
}

/** Continuation lines that may be joined to an alert line at i (re-wrapped by a mail client). */
function continuations(lines: readonly string[], i: number, max: number): string[] {
  const out: string[] = [];
  for (let k = 1; k <= max; k++) {
    const next = lines[i + k];
    if (!canContinue(next)) break;
    out.push(next.trim());
  }
  return out;
}

/**
 * The "{PROTO} a -> b" tail of `text`, joining up to `more.length` continuation lines when the
 * tail is not complete on its own; `used` is how many continuation lines it took.
 */
function tailAcross(text: string, more: readonly string[]): { tail: AlertTail | null; text: string; used: number } {
  const alone = parseTail(text);
  if (alone) return { tail: alone, text, used: 0 };
  let joined = text.trimEnd();
  for (let k = 0; k < more.length; k++) {
    joined = `${joined} ${more[k] as string}`;
    const tail = parseTail(joined);
    if (tail) return { tail, text: joined, used: k + 1 };
  }
  return { tail: null, text, used: 0 };
}

function parseFast(lines: readonly string[], i: number): ExtractedRecord | null {
  const line = lines[i] ?? '';
  const ts = TS_AT_START.exec(line);
  if (!ts) return null;
  let text = line.slice(ts[0].length).trimStart();
  if (!text.startsWith('[**]')) return null;
  const more = continuations(lines, i, MAX_HEADER_CONTINUATIONS - 1);
  let used = 0;
  // a long message may wrap before its closing [**]
  while (text.indexOf('[**]', 4) < 0 && used < more.length) text = `${text} ${more[used++] as string}`;
  const close = text.indexOf('[**]', 4);
  if (close < 0) return null;
  const sig = signatureFrom(text.slice(4, close));
  const found = tailAcross(text.slice(close + 4), more.slice(used));
  const rec = baseRecord('snort-fast', i, 1 + used + found.used);
  rec.time = timeFromTs(ts);
  if (found.tail) {
    const head = found.tail.head;
    if (head.trim().length > 0 && !/^\s*(?:\[[^\]]{0,220}\]\s*){0,3}$/.test(head)) return null;
    const ok = applyTail(rec, sig, found.tail);
    finishSignature(rec, sig);
    return ok ? rec : null;
  }
  const bare = stripTrailingPair(stripLeadingPriority(found.text, sig));
  if (bare) {
    // older fast alerts: the addresses without a {PROTO} mark
    if (bare.src === null && bare.dst === null) return null;
    setEndpoints(rec, bare);
    rec.singlePacket = true;
    rec.srcPkts = 1;
    finishSignature(rec, sig);
    return rec;
  }
  const scanner = portscanSource(sig.message);
  if (!scanner) return null;
  rec.src = scanner;
  finishSignature(rec, sig);
  return rec;
}

function syslogTime(line: string): { time: RecordTime; prefixLength: number } | null {
  const m = SYSLOG_PREFIX.exec(line);
  if (m) {
    const month = MONTHS.indexOf(m[1] as string) + 1;
    const day = num(m[2]);
    const hour = num(m[3]);
    const minute = num(m[4]);
    const second = num(m[5]);
    if (day === undefined || hour === undefined || minute === undefined || second === undefined) return null;
    if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
    return { time: { month, day, hour, minute, second }, prefixLength: m[0].length };
  }
  const iso = SYSLOG_ISO_PREFIX.exec(line);
  if (iso) {
    const [year, month, day, hour, minute, second] = [iso[1], iso[2], iso[3], iso[4], iso[5], iso[6]].map(num);
    if (
      year === undefined ||
      month === undefined ||
      day === undefined ||
      hour === undefined ||
      minute === undefined ||
      second === undefined
    ) {
      return null;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
    const time: RecordTime = { year, month, day, hour, minute, second };
    if (iso[7] !== undefined) time.fraction = iso[7];
    const zone = iso[8];
    if (zone !== undefined) {
      if (zone === 'Z') time.offsetMinutes = 0;
      else {
        const digits = zone.replace(':', '');
        const sign = digits.startsWith('-') ? -1 : 1;
        time.offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
      }
    }
    return { time, prefixLength: iso[0].length };
  }
  return null;
}

function parseSyslog(lines: readonly string[], i: number): ExtractedRecord | null {
  const line = lines[i] ?? '';
  const prefix = syslogTime(line);
  if (!prefix) return null;
  const body = line.slice(prefix.prefixLength).trim();
  const found = tailAcross(body, continuations(lines, i, MAX_HEADER_CONTINUATIONS - 1));
  const rec = baseRecord('snort-syslog', i, 1 + found.used);
  rec.time = prefix.time;
  if (found.tail) {
    const sig = signatureFrom(found.tail.head);
    const ok = applyTail(rec, sig, found.tail);
    finishSignature(rec, sig);
    return ok ? rec : null;
  }
  const priorityData: Signature = {};
  const sig = signatureFrom(stripPriority(body, priorityData));
  if (priorityData.classification) sig.classification = priorityData.classification;
  if (priorityData.priority !== undefined) sig.priority = priorityData.priority;
  const scanner = portscanSource(sig.message);
  if (!scanner) return null;
  rec.src = scanner;
  finishSignature(rec, sig);
  return rec;
}

// ---------------------------------------------------------------------------------------------

/** the alert brackets `[**]` as Markdown (GitHub, forums, Markdown mail) escapes them */
const ESCAPED_STARS = '[\\*\\*]';
/** what a line that opens a record holds (opensWithStars, parseFast, parseSyslog), before or after ESCAPED_STARS is undone */
const SNORT_LITERALS = ['[**]', ESCAPED_STARS, 'snort'];

/** line.trimStart().startsWith('[**]') without the trimmed copy (record lines of other logs are indented) */
function opensWithStars(line: string): boolean {
  for (let k = 0; k < line.length; k++) {
    if (!isSpaceCode(line.charCodeAt(k))) return line.startsWith('[**]', k);
  }
  return false;
}

/** Snort full, fast and syslog alerts in a run of de-quoted lines, in line order. Never throws. */
export const extractSnort: Extractor = (rawLines) => {
  // every record starts on a line holding `[**]` (escaped or not) or `snort`
  if (blockLacksAll(rawLines, SNORT_LITERALS)) return [];
  const lines = rawLines.some((l) => typeof l === 'string' && l.includes(ESCAPED_STARS))
    ? rawLines.map((l) => (l.length <= MAX_LINE && l.includes(ESCAPED_STARS) ? l.split(ESCAPED_STARS).join('[**]') : l))
    : rawLines;
  const records: ExtractedRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (typeof line !== 'string' || line.length > MAX_LINE) {
      i++;
      continue;
    }
    if (opensWithStars(line)) {
      const full = parseFull(lines, i);
      if (full.record) records.push(full.record);
      i = Math.max(i + 1, full.next);
      continue;
    }
    let rec: ExtractedRecord | null = null;
    if (line.includes('[**]')) rec = parseFast(lines, i);
    else if (line.includes('snort')) rec = parseSyslog(lines, i);
    if (rec) {
      records.push(rec);
      i += rec.lineCount;
      continue;
    }
    i++;
  }
  return records;
};
