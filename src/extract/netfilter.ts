// Linux firewall logs as pasted into posts: netfilter/iptables LOG target lines
// (`kernel: PREFIX IN=eth0 OUT= MAC=... SRC=... DST=... PROTO=TCP SPT= DPT= ... SYN URGP=0`)
// and the older ipchains `Packet log:` lines. Both are often hard-wrapped by mail clients.
import { normalizeFlags } from './flags.js';
import {
  blankRecord,
  isIPv4,
  isIPv6,
  MAX_RECORD_LINE,
  MONTHS,
  recordTimeFromIso,
  validClock,
  validDate,
} from './tcpdump.js';
import type { ExtractedRecord, RecordTime } from './types.js';
import { blockLacksAll } from './screen.js';

const MAX_EXTRA_LINES = 3;
const MAX_TOKENS = 80;

const FLAG_WORDS: Readonly<Record<string, string>> = {
  FIN: 'F', SYN: 'S', RST: 'R', PSH: 'P', ACK: 'A', URG: 'U', ECE: '', CWR: '',
};
/** bare words a LOG line carries besides key=value pairs */
const BARE_WORD_RE = /^(?:DF|MF|CE|FIN|SYN|RST|PSH|ACK|URG|ECE|CWR)$/;

const NETFILTER_START_RE = /(?:^|[^A-Za-z0-9_])IN=\S{0,16} +OUT=/;
const IPCHAINS_RE =
  /Packet log: (\S{1,20}) (\S{1,20}) (\S{1,20}) PROTO=(\d{1,3}) (\S{1,60}):(\d{1,5}) (\S{1,60}):(\d{1,5}) L=(\d{1,5}) S=0x[0-9A-Fa-f]{1,2} I=\d{1,5} F=0x[0-9A-Fa-f]{1,4} T=\d{1,3}( SYN)?/;

const SYSLOG_TIME_RE = /^\s{0,8}(?:<\d{1,3}>)?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?: (\d{4}))?(?= )/;
const ISO_TIME_RE = /^\s{0,8}(?:<\d{1,3}>)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)(?= )/;

/** The syslog stamp a line starts with, if any. */
export function syslogTime(text: string): RecordTime | null {
  const m = SYSLOG_TIME_RE.exec(text);
  if (m) {
    const month = MONTHS[(m[1] as string).toLowerCase()];
    const day = Number(m[2]);
    const t: RecordTime = { hour: Number(m[3]), minute: Number(m[4]), second: Number(m[5]) };
    if (month === undefined || !validDate(month, day) || !validClock(t.hour, t.minute, t.second)) return null;
    t.month = month;
    t.day = day;
    if (m[6]) t.year = Number(m[6]);
    return t;
  }
  const iso = ISO_TIME_RE.exec(text);
  return iso ? recordTimeFromIso(iso[1] as string) : null;
}

/** what a line that opens a record holds before withoutEmphasis (see extractNetfilter) */
const NETFILTER_LITERALS = ['IN=', 'Packet'];

function isNetfilterStart(text: string): boolean {
  // the regex has no literal to start its scan from: lines without its `IN=` (nearly all) skip it
  return text.length <= MAX_RECORD_LINE && text.includes('IN=') && NETFILTER_START_RE.test(text);
}

function isIpchainsStart(text: string): boolean {
  return text.length <= MAX_RECORD_LINE && text.includes('Packet log:');
}

/** Does `next` continue the key=value run of a wrapped LOG line? */
function continuesKeyValues(next: string): boolean {
  if (next.length === 0 || next.length > MAX_RECORD_LINE) return false;
  if (isNetfilterStart(next) || isIpchainsStart(next) || syslogTime(next)) return false;
  const first = next.trim().split(/\s+/, 1)[0] ?? '';
  if (first === '') return false;
  return /^[A-Z]{2,8}=/.test(first) || BARE_WORD_RE.test(first) || /^[0-9a-fA-F:.]{1,48}$/.test(first);
}

/**
 * Glue a continuation on. A LOG line has no bare numbers (only key=value pairs and flag words),
 * so a line that opens with one is the rest of the value the break fell into (a MAC, an address).
 */
function glue(current: string, next: string): string {
  const head = current.trimEnd();
  const tail = next.trim();
  const first = tail.split(/\s+/, 1)[0] ?? '';
  const lastToken = head.slice(head.lastIndexOf(' ') + 1);
  const splitValue =
    /^[A-Z]{2,8}=[0-9a-fA-Fx:.]{0,48}$/.test(lastToken) &&
    !BARE_WORD_RE.test(first) &&
    /^[0-9a-fA-Fx:.]{1,48}$/.test(first);
  return splitValue ? head + tail : `${head} ${tail}`;
}

function ipOrNull(value: string | undefined): string | null {
  if (value === undefined) return null;
  return isIPv4(value) || isIPv6(value) ? value : null;
}

const PROTO_NUMBERS: Readonly<Record<string, string>> = { '1': 'icmp', '2': 'igmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '58': 'icmp6' };

/** a log prefix that says the packet was silently discarded: `DROP`, `Drop Incomming:`, `[UFW BLOCK]` */
const DISCARD_PREFIX_RE = /(?:^|[^A-Za-z])(?:drop|dropped|deny|denied|block|blocked)(?![A-Za-z])/i;

function discardedByPrefix(beforeFields: string): boolean {
  const kernel = beforeFields.lastIndexOf('kernel:');
  const prefix = kernel >= 0 ? beforeFields.slice(kernel + 7) : beforeFields;
  return prefix.length <= 200 && DISCARD_PREFIX_RE.test(prefix);
}

function parseNetfilter(text: string, line: number, lineCount: number): ExtractedRecord | null {
  const start = NETFILTER_START_RE.exec(text);
  if (!start) return null;
  const body = text.slice(start.index + (start[0].startsWith('IN=') ? 0 : 1));
  const tokens = body.split(/\s+/, MAX_TOKENS);
  const kv = new Map<string, string>();
  const lens: number[] = [];
  let letters = '';
  let flagWords = 0;
  for (const tok of tokens) {
    if (tok.startsWith('[')) break; // an ICMP error's quoted packet: not this packet's fields
    const eq = tok.indexOf('=');
    if (eq > 0) {
      const key = tok.slice(0, eq);
      const value = tok.slice(eq + 1);
      if (key === 'LEN' && /^\d{1,5}$/.test(value)) lens.push(Number(value));
      if (!kv.has(key)) kv.set(key, value);
    } else if (tok in FLAG_WORDS) {
      letters += FLAG_WORDS[tok] ?? '';
      flagWords++;
    }
  }
  if (!kv.has('SRC') || !kv.has('DST')) return null;
  const src = ipOrNull(kv.get('SRC'));
  const dst = ipOrNull(kv.get('DST'));
  if (src === null && dst === null) return null; // both masked, or a template
  const protoRaw = kv.get('PROTO');
  if (protoRaw === undefined || !/^[A-Za-z0-9-]{1,12}$/.test(protoRaw)) return null;
  const proto = PROTO_NUMBERS[protoRaw] ?? (protoRaw === 'ICMPv6' ? 'icmp6' : protoRaw.toLowerCase());
  const rec = loggedPacket('netfilter', line, lineCount, text, proto, src, dst);
  if (discardedByPrefix(text.slice(0, start.index + 1))) rec.discarded = true;
  const port = (v: string | undefined): number | null => {
    if (v === undefined || !/^\d{1,5}$/.test(v)) return null;
    const n = Number(v);
    return n <= 65535 ? n : null;
  };
  if (lens[0] !== undefined) rec.dgmLen = lens[0];
  if (proto === 'tcp' || proto === 'udp' || proto === 'sctp' || proto === 'udplite') {
    rec.sport = port(kv.get('SPT'));
    rec.dport = port(kv.get('DPT'));
    // a line cut right after `SPT=57` (no DPT, nothing after): the port's digits may be cut too
    const last = tokens.filter((t) => t !== '').pop() ?? '';
    if (!kv.has('DPT') && last.startsWith('SPT=')) rec.sport = null;
  }
  if (proto === 'tcp') rec.srcFlags = flagWords > 0 || kv.has('URGP') ? normalizeFlags(letters) : null;
  if (proto === 'udp' && lens[1] !== undefined && lens[1] >= 8) rec.payloadLen = lens[1] - 8;
  if (proto === 'icmp' || proto === 'icmp6') {
    const type = port(kv.get('TYPE'));
    const code = port(kv.get('CODE'));
    if (type !== null && type <= 255) rec.icmpType = type;
    if (code !== null && code <= 255) rec.icmpCode = code;
  }
  return rec;
}

/** One logged packet as a firewall prints it: a syslog time, the sender first. */
function loggedPacket(format: string, line: number, lineCount: number, text: string, proto: string, src: string | null, dst: string | null): ExtractedRecord {
  const rec = blankRecord('netfilter', format, line, lineCount);
  rec.time = syslogTime(text);
  rec.proto = proto;
  rec.src = src;
  rec.dst = dst;
  rec.dir = '->';
  rec.srcPkts = 1;
  rec.singlePacket = true;
  return rec;
}

function parseIpchains(text: string, line: number, lineCount: number): ExtractedRecord | null {
  const m = IPCHAINS_RE.exec(text);
  if (!m) return null;
  const src = ipOrNull(m[5]);
  const dst = ipOrNull(m[7]);
  if (src === null && dst === null) return null;
  const protoNumber = m[4] as string;
  const proto = PROTO_NUMBERS[protoNumber] ?? protoNumber;
  const rec = loggedPacket('ipchains', line, lineCount, text, proto, src, dst);
  rec.dgmLen = Number(m[9]);
  // ipchains DENY discards silently (REJECT answers with ICMP)
  if (m[2] === 'DENY') rec.discarded = true;
  const a = Number(m[6]);
  const b = Number(m[8]);
  if (proto === 'icmp') {
    // ipchains prints the ICMP type and code where the ports would be
    if (a <= 255) rec.icmpType = a;
    if (b <= 255) rec.icmpCode = b;
  } else {
    rec.sport = a <= 65535 ? a : null;
    rec.dport = b <= 65535 ? b : null;
  }
  // ipchains marks only connection-opening SYNs; other TCP packets' flags are not printed
  if (proto === 'tcp' && m[10]) rec.srcFlags = 'S';
  return rec;
}

/**
 * A line without the emphasis a poster put on fields (`**OUT=**`, `*SRC=1.2.3.4*` in Markdown or
 * plain-text mail); only lines that carry key=value fields are touched.
 */
function withoutEmphasis(line: string | undefined): string {
  const text = line ?? '';
  if (!text.includes('*') || !text.includes('=') || text.length > MAX_RECORD_LINE) return text;
  return text.replace(/(^|\s)\*{1,3}(?=[A-Za-z])/g, '$1').replace(/([^\s*])\*{1,3}(?=\s|$)/g, '$1');
}

/** The netfilter extractor: one record per logged packet (iptables LOG or ipchains). */
export function extractNetfilter(rawLines: readonly string[]): ExtractedRecord[] {
  // a record starts on a line isNetfilterStart or isIpchainsStart takes: `IN=`, or `Packet log:`
  // (withoutEmphasis only deletes `*` runs next to a blank or the line's ends, so it joins no two
  // characters: `IN=` and `Packet` stand in the raw line too)
  if (blockLacksAll(rawLines, NETFILTER_LITERALS)) return [];
  const lines = { length: rawLines.length, at: (k: number): string => withoutEmphasis(rawLines[k]) };
  const out: ExtractedRecord[] = [];
  let consumedUpTo = 0; // lines before this index already belong to a record
  let i = 0;
  while (i < lines.length) {
    const text = lines.at(i);
    const netfilter = isNetfilterStart(text);
    const ipchains = !netfilter && isIpchainsStart(text);
    if (!netfilter && !ipchains) {
      i++;
      continue;
    }
    let first = i;
    let joined = text;
    // `Sep  6 07:10:23 fw kernel: DROP` with the fields wrapped onto the next line
    if (netfilter && /^\s{0,8}(?:[A-Za-z]{1,24}:)?IN=/.test(text) && i > consumedUpTo) {
      const prev = lines.at(i - 1);
      if (prev.length <= MAX_RECORD_LINE && syslogTime(prev) && /kernel:/.test(prev) && !isNetfilterStart(prev) && !isIpchainsStart(prev)) {
        first = i - 1;
        joined = `${prev.trimEnd()} ${text.trim()}`;
      }
    }
    let end = i + 1;
    const complete = (s: string): boolean =>
      netfilter ? /(?:URGP=\d|PROTO=(?:UDP|UDPLITE) [^[]{0,400}LEN=\d|PROTO=ICMP\S{0,4} [^[]{0,400}CODE=\d|PROTO=\d{1,3}\s*$)/.test(s) : IPCHAINS_RE.test(s) && /\(#\d{1,5}\)\s*$|T=\d{1,3}(?: SYN)?\s*$/.test(s);
    while (end - i <= MAX_EXTRA_LINES && end < lines.length && !complete(joined)) {
      const next = lines.at(end);
      const fits = netfilter ? continuesKeyValues(next) : /^\s{0,8}(?:PROTO=|\d{1,3}\.\d|L=\d|S=0x|I=\d|F=0x|T=\d|SYN|\(#)/.test(next) && next.length <= MAX_RECORD_LINE;
      if (!fits) break;
      joined = glue(joined, next);
      end++;
    }
    const rec = netfilter ? parseNetfilter(joined, first, end - first) : parseIpchains(joined, first, end - first);
    if (rec) {
      out.push(rec);
      consumedUpTo = end;
      i = end;
    } else {
      i++;
    }
  }
  return out;
}
