// tcpdump one-line output as pasted into posts: tcpdump 3.x ("S 1:1(0) win 512", ". ack 1")
// and 4.x ("Flags [S.], seq 1, ... length 0"), with -e, -tttt, -tt, -v (two-line), -X (hex
// dump after the line), names or numbers. The helpers at the top are shared with the other
// log extractors (netfilter, suricata, zeek).
import ipaddr from 'ipaddr.js';
import { isDecimalQuad } from '../net/ipv4.js';
import { normalizeFlags } from './flags.js';
import { parseHexDump, printableStrings } from './hexdump.js';
import { blockLacksPacketArrows, isSpaceCode, screens } from './screen.js';
import type { ExtractedRecord, RecordTime } from './types.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers for the log extractors
// ---------------------------------------------------------------------------------------------

/** Longer lines are never matched as records (bounded work on hostile input). */
export const MAX_RECORD_LINE = 4096;

/** Service names tcpdump and friends print instead of port numbers (the usual /etc/services). */
export const SERVICE_PORTS: Readonly<Record<string, number>> = {
  'ftp-data': 20, ftp: 21, ssh: 22, telnet: 23, smtp: 25, time: 37, nameserver: 42, whois: 43,
  nicname: 43, tacacs: 49, domain: 53, bootps: 67, bootpc: 68, tftp: 69, gopher: 70, finger: 79,
  http: 80, www: 80, 'www-http': 80, kerberos: 88, 'kerberos-sec': 88, pop2: 109, pop3: 110,
  'pop-3': 110, sunrpc: 111, portmapper: 111, auth: 113, ident: 113, sftp: 115, nntp: 119,
  ntp: 123, epmap: 135, 'loc-srv': 135, 'netbios-ns': 137, 'netbios-dgm': 138, 'netbios-ssn': 139,
  imap: 143, imap2: 143, snmp: 161, snmptrap: 162, 'snmp-trap': 162, xdmcp: 177, bgp: 179,
  irc: 194, ldap: 389, https: 443, 'microsoft-ds': 445, kpasswd: 464, urd: 465, smtps: 465,
  isakmp: 500, exec: 512, biff: 512, login: 513, who: 513, shell: 514, syslog: 514, printer: 515,
  talk: 517, ntalk: 518, route: 520, router: 520, uucp: 540, submission: 587, ipp: 631,
  ldaps: 636, rsync: 873, 'ftps-data': 989, ftps: 990, telnets: 992, imaps: 993, ircs: 994,
  pop3s: 995, socks: 1080, openvpn: 1194, 'ms-sql-s': 1433, 'ms-sql-m': 1434, 'ingreslock': 1524,
  wins: 1512, l2tp: 1701, pptp: 1723, radius: 1812, 'radius-acct': 1813, nfs: 2049,
  'cvspserver': 2401, squid: 3128, mysql: 3306, 'ms-wbt-server': 3389, sip: 5060, 'sip-tls': 5061,
  postgresql: 5432, postgres: 5432, x11: 6000, ircd: 6667, 'http-alt': 8080, webcache: 8080,
  'https-alt': 8443,
};

/** A printed port: digits 0-65535 or a known service name; null otherwise. */
export function portNumber(token: string): number | null {
  if (/^\d{1,5}$/.test(token)) {
    const n = Number(token);
    return n <= 65535 ? n : null;
  }
  const known = SERVICE_PORTS[token.toLowerCase()];
  return known ?? null;
}

export function isIPv4(s: string): boolean {
  return s.length <= 15 && /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(s) && isDecimalQuad(s);
}

export function isIPv6(s: string): boolean {
  return s.length <= 45 && s.includes(':') && /^[0-9A-Fa-f:.]+$/.test(s) && ipaddr.IPv6.isValid(s);
}

/** host-name labels that only ever stand in for an address the poster left out */
const PLACEHOLDER_LABELS = new Set([
  'ip', 'ipaddr', 'addr', 'address', 'host', 'hostname', 'my', 'our', 'your', 'remote', 'local', 'public',
  'server', 'client', 'attacker', 'victim', 'target', 'src', 'dst', 'source', 'dest', 'destination',
]);

/**
 * An address a poster blanked out: `x.x.x.x`, `130.216.xxx.xxx`, `a.b.c.d`, `aaa.bbb.ccc.ddd`,
 * `1.2.3.*`, `77.IP.IP.IP`, `<removed>`. Each hidden octet is one character repeated (so
 * `www.foo.co.uk` is not). Also a dotted quad the poster garbled while editing (`10.0.01.2`,
 * `300.1.2.3`): address-shaped but not an address, so not to be read as one; and a name made only
 * of placeholder words (`remote.host.ip`, `server`).
 */
export function isMaskedAddress(s: string): boolean {
  if (s.length > 40) return false;
  if (/^[<[(]?(?:removed|masked|hidden|censored|snip|deleted|my\.?ip|myip|ip)[>\])]?$/i.test(s)) return true;
  const labels = s.toLowerCase().split('.');
  if (labels.every((l) => PLACEHOLDER_LABELS.has(l))) return true;
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  let hidden = 0;
  for (const part of parts) {
    if (/^\d{1,3}$/.test(part)) continue;
    if (!/^([A-Za-z*#?_])\1{0,2}$/.test(part) && !/^ip$/i.test(part)) return false;
    hidden++;
  }
  return hidden > 0 || !isIPv4(s);
}

/** A host name as tcpdump prints it when it resolved one; at least one letter, DNS label rules. */
export function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  if (!/[A-Za-z]/.test(s)) return false;
  return /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/.test(s);
}

export type HostKind = 'ip' | 'name' | 'masked' | 'bad';

export function hostKind(s: string): HostKind {
  if (isIPv4(s) || isIPv6(s)) return 'ip';
  if (isMaskedAddress(s)) return 'masked';
  if (isHostName(s)) return 'name';
  return 'bad';
}

/** A UTC RecordTime from seconds since the epoch, keeping the printed fraction. */
export function recordTimeFromEpoch(epoch: number, fraction?: string): RecordTime | null {
  if (!Number.isFinite(epoch) || epoch < 0 || epoch > 32503680000) return null;
  const d = new Date(Math.floor(epoch) * 1000);
  const t: RecordTime = {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    offsetMinutes: 0,
    epoch,
  };
  if (fraction) t.fraction = fraction;
  return t;
}

/**
 * ISO 8601 as Suricata and Zeek print it: `2026-11-26T04:44:13.123456+0000`, `...Z`,
 * `...+01:00`, or without a zone.
 */
export function recordTimeFromIso(s: string): RecordTime | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return null;
  const t: RecordTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
  };
  if (!validClock(t.hour, t.minute, t.second) || !validDate(t.month ?? 0, t.day ?? 0)) return null;
  if (m[7]) t.fraction = m[7];
  const zone = m[8];
  if (zone === 'Z') t.offsetMinutes = 0;
  else if (zone) {
    const digits = zone.replace(':', '');
    const sign = digits[0] === '-' ? -1 : 1;
    t.offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  return t;
}

export function validClock(h: number, m: number, s: number): boolean {
  return h <= 23 && m <= 59 && s <= 60;
}

export function validDate(month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

export const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/** A record with every field unknown; extractors fill what the text shows. */
export function blankRecord(source: string, format: string, line: number, lineCount: number): ExtractedRecord {
  return {
    source,
    format,
    line,
    lineCount,
    time: null,
    proto: null,
    src: null,
    sport: null,
    dst: null,
    dport: null,
    dir: null,
    srcPkts: null,
    dstPkts: null,
    srcBytes: null,
    dstBytes: null,
    srcFlags: null,
    dstFlags: null,
    state: null,
  };
}

// ---------------------------------------------------------------------------------------------
// tcpdump
// ---------------------------------------------------------------------------------------------

const TIME_RE = /^(?:(\d{4})-(\d{2})-(\d{2}) |([A-Z][a-z]{2}) {1,2}(\d{1,2}) )?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? +/;
const EPOCH_RE = /^(\d{9,10})\.(\d{1,9}) +/;
const MAC_RE = /^[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}[ ,]/;
const ETHER_END_RE = /(?:length|ip|0800|IPv4) \d{1,5}: /;
const ANY_IFACE_RE = /^[A-Za-z][\w.-]{0,15} +(?:In|Out|B|M|P) +/;
/** the rest of a tcpdump record that a mail client pushed onto the next line */
const CONTINUATION_RE =
  /^\s{0,8}(?:\d{1,10}:\s?\d{1,10}\(\d{1,6}\)|\d{1,10}\(\d{1,6}\)|(?:win|ack|urg|seq|length|udp|tcp) \d|<[a-z]{2,}|\((?:DF|frag )|\[tos |options \[|Flags \[|UDP, length|ICMP |icmp: |\d{1,10}, (?:ack|win|length|seq) |\d{1,10} (?:win|ack|<mss|\(DF\))|\d{1,10}(?:\(\d{1,6}\))?$|\S{1,260}: (?:Flags \[|[SFRPWEU.]{1,6} \d|UDP, |udp \d|ICMP |icmp: )|\[[SFRPUWE.]{1,8}\], )/;
const MAX_CONTINUATIONS = 2;
/** a complete-looking line is extended only by these unmistakable tails */
const TAIL_RE = /^\s{0,8}(?:<[a-z]{2,}|\((?:DF|frag )|\[tos |options \[|(?:win|ack|urg) \d)/;
const TRUNCATED_RE = /(?:\b(?:win|ack|seq|length|urg)|[,:(<])\s*$/;

interface Endpoint {
  host: string | null;
  port: number | null;
  kind: HostKind;
}

/** `1.2.3.4.80`, `host.http`, `2001:db8::1.443`, `spoofed.example.net` (no port) */
function splitEndpoint(token: string, withPort: boolean): Endpoint | null {
  if (token.length === 0 || token.length > 260) return null;
  let host = token;
  let port: number | null = null;
  if (withPort) {
    const dot = token.lastIndexOf('.');
    if (dot > 0) {
      const p = portNumber(token.slice(dot + 1));
      if (p !== null) {
        host = token.slice(0, dot);
        port = p;
      }
    }
  }
  const kind = hostKind(host);
  if (kind === 'bad') return null;
  return { host: kind === 'masked' ? null : host, port, kind };
}

/** `IPv4-with-port` shape: five dotted numbers, or a name/IPv6 ending in `.port` */
function looksPorted(token: string): boolean {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return false;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(token)) return false;
  return portNumber(token.slice(dot + 1)) !== null;
}

const ICMP_TYPES: ReadonlyArray<readonly [RegExp, number, number | null]> = [
  [/^echo request/, 8, 0],
  [/^echo reply/, 0, 0],
  [/net \S{1,60} unreachable/, 3, 0],
  [/host \S{1,60} unreachable - admin prohibited/, 3, 10],
  [/unreachable - admin prohibited filter/, 3, 13],
  [/host \S{1,60} unreachable/, 3, 1],
  [/protocol \d{1,3} unreachable/, 3, 2],
  [/port \S{1,20} unreachable/, 3, 3],
  [/unreachable - need to frag/, 3, 4],
  [/unreachable/, 3, null],
  [/^source quench/, 4, 0],
  [/^redirect/, 5, null],
  [/reassembly time exceeded/, 11, 1],
  [/time exceeded/, 11, 0],
  [/^parameter problem/, 12, null],
  [/^time stamp request|^timestamp request/, 13, 0],
  [/^time stamp reply|^timestamp reply/, 14, 0],
  [/^address mask request/, 17, 0],
  [/^address mask reply|^address mask is/, 18, 0],
  [/^router advertisement/, 9, 0],
  [/^router solicitation/, 10, 0],
];

const ICMP6_TYPES: ReadonlyArray<readonly [RegExp, number]> = [
  [/^echo request/, 128],
  [/^echo reply/, 129],
  [/unreachable/, 1],
  [/^packet too big/, 2],
  [/time exceeded/, 3],
  [/^parameter problem/, 4],
];

interface Transport {
  proto: string | null;
  flags: string | null;
  payloadLen?: number;
  icmpType?: number;
  icmpCode?: number;
  /** tcpdump's application summary or ICMP text */
  summary?: string;
  ported: boolean;
  /** UDP inferred from ports alone (tcpdump decoded the application instead) */
  inferred?: boolean;
}

function newStyleFlags(inner: string): string | null {
  if (inner === 'none') return '';
  if (!/^[SFRPUWE.]{1,8}$/.test(inner)) return null;
  return normalizeFlags(inner.replace('.', 'A'));
}

/** What follows `src > dst: ` */
function parseTransport(rest: string, headerProto: string | null): Transport | null {
  // tcpdump 4.x TCP
  const fresh = /^Flags \[([A-Za-z.]{1,8})\]/.exec(rest);
  if (fresh) {
    const flags = newStyleFlags(fresh[1] as string);
    if (flags === null) return null;
    const t: Transport = { proto: 'tcp', flags, ported: true };
    const len = /, length (\d{1,6})(?:: (.{1,512}))?/.exec(rest);
    if (len) {
      t.payloadLen = Number(len[1]);
      if (len[2]) t.summary = len[2].trim();
    }
    return t;
  }
  // tcpdump 3.x TCP: flags token, then seq:seq(len), ack, win
  const old = /^([SFRPWEU]{1,6}|\.) ?(?:(\d{1,10}): ?(\d{1,10})\((\d{1,6})\))?/.exec(rest);
  if (old) {
    const after = rest.slice(old[0].length, old[0].length + 600);
    const ack = /(?:^| )ack \d/.test(after);
    const win = /(?:^| )win \d/.test(after);
    if (old[2] !== undefined || ack || win) {
      let letters = (old[1] as string).replace('.', '');
      if (ack) letters += 'A';
      if (/(?:^| )urg \d/.test(after)) letters += 'U';
      return { proto: 'tcp', flags: normalizeFlags(letters), payloadLen: old[4] !== undefined ? Number(old[4]) : 0, ported: true };
    }
  }
  // -q: `tcp 1460`
  const quick = /^tcp (\d{1,6})\b/.exec(rest);
  if (quick) return { proto: 'tcp', flags: null, payloadLen: Number(quick[1]), ported: true };
  const udp = /^(?:UDP, length|udp) (\d{1,6})\b/.exec(rest);
  if (udp) return { proto: 'udp', flags: null, payloadLen: Number(udp[1]), ported: true };
  const icmp6 = /^ICMP6, (.{1,200})/.exec(rest);
  if (icmp6) {
    const text = icmp6[1] as string;
    const t: Transport = { proto: 'icmp6', flags: null, summary: text.slice(0, 200), ported: false };
    for (const [re, type] of ICMP6_TYPES) {
      if (re.test(text)) {
        t.icmpType = type;
        break;
      }
    }
    const len = /length (\d{1,6})/.exec(text);
    if (len) t.payloadLen = Number(len[1]);
    return t;
  }
  const icmp = /^(?:ICMP |icmp(?: (\d{1,6}))?: )(.{1,300})/.exec(rest);
  if (icmp) {
    const text = (icmp[2] as string).trim();
    const t: Transport = { proto: 'icmp', flags: null, summary: text.slice(0, 200), ported: false };
    for (const [re, type, code] of ICMP_TYPES) {
      if (re.test(text)) {
        t.icmpType = type;
        if (code !== null) t.icmpCode = code;
        break;
      }
    }
    const len = /, length (\d{1,6})/.exec(text);
    if (len) t.payloadLen = Number(len[1]);
    else if (icmp[1]) t.payloadLen = Number(icmp[1]);
    return t;
  }
  if (/^(?:igmp|IGMP)/.test(rest)) return { proto: 'igmp', flags: null, ported: false };
  if (/^GREv\d/.test(rest)) return { proto: 'gre', flags: null, ported: false };
  if (/^ESP\(/.test(rest)) return { proto: 'esp', flags: null, ported: false };
  const ipProto = /^ip-proto-(\d{1,3})/.exec(rest);
  if (ipProto) return { proto: ipProto[1] as string, flags: null, ported: false };
  if (headerProto === 'tcp') return { proto: 'tcp', flags: null, ported: true };
  // tcpdump always prints TCP flags, so a ported packet without them is UDP (DNS, NTP, ... decoders)
  if (headerProto === 'udp' || (headerProto === null && !/^(?:[SFRPWEU]{1,6}|\.|Flags)(?: |$)/.test(rest))) {
    const t: Transport = { proto: 'udp', flags: null, ported: true, summary: rest.slice(0, 200), inferred: headerProto === null };
    const len = /(?:length:? |\()(\d{1,6})\)?$/.exec(rest);
    if (len) t.payloadLen = Number(len[1]);
    return t;
  }
  return { proto: headerProto, flags: null, ported: false };
}

interface Parsed {
  rec: ExtractedRecord;
  /** the -v header stood alone: the packet line is on the next line */
  needsNext: boolean;
}

/** Skips an `IP (tos ..., length N)` / `IP6 (...)` -v header; returns its end and what it says. */
function parseVerboseHeader(s: string): { end: number; proto: string | null; length: number | null } | null {
  if (!/^IP6? \(/.test(s)) return null;
  let depth = 0;
  let end = -1;
  const start = s.indexOf('(');
  for (let k = start; k < s.length && k < start + 400; k++) {
    const ch = s[k];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        end = k + 1;
        break;
      }
    }
  }
  if (end < 0) return null;
  const inner = s.slice(start, end);
  const proto = /(?:proto|next-header) ([A-Za-z0-9-]{1,12}) \(/.exec(inner);
  const length = /, length (\d{1,6})\)$/.exec(inner);
  return {
    end,
    proto: proto ? (proto[1] as string).toLowerCase() : null,
    length: length ? Number(length[1]) : null,
  };
}

function parseTcpdumpLine(text: string, line: number): Parsed | null {
  if (text.length > MAX_RECORD_LINE) return null;
  let s = text;
  let time: RecordTime | null = null;
  const lead = /^\s{0,8}/.exec(s);
  const indented = lead !== null && lead[0].length > 0;
  s = s.slice(lead ? lead[0].length : 0);
  const tm = TIME_RE.exec(s);
  const ep = tm ? null : EPOCH_RE.exec(s);
  if (tm) {
    const hour = Number(tm[6]);
    const minute = Number(tm[7]);
    const second = Number(tm[8]);
    if (!validClock(hour, minute, second)) return null;
    time = { hour, minute, second };
    if (tm[9]) time.fraction = tm[9];
    if (tm[4]) {
      // OpenBSD tcpdump -tttt: `Mar 30 17:47:40.390143`
      const month = MONTHS[tm[4].toLowerCase()];
      const day = Number(tm[5]);
      if (month === undefined || !validDate(month, day)) return null;
      time.month = month;
      time.day = day;
    }
    if (tm[1]) {
      const month = Number(tm[2]);
      const day = Number(tm[3]);
      if (!validDate(month, day)) return null;
      time.year = Number(tm[1]);
      time.month = month;
      time.day = day;
    }
    s = s.slice(tm[0].length);
  } else if (ep) {
    time = recordTimeFromEpoch(Number(`${ep[1]}.${ep[2]}`), ep[2]);
    s = s.slice(ep[0].length);
  }
  const stamped = time !== null;
  if (stamped) {
    const iface = ANY_IFACE_RE.exec(s);
    if (iface && !/^IP6? /.test(s)) s = s.slice(iface[0].length);
    if (/^[<>] /.test(s)) s = s.slice(2); // tcpdump 3.x on Linux: < in, > out
    // OpenBSD pflog read with tcpdump -e: `rule 2/(match) block in on xl0: ...`
    const pflog = /^rule [\w./()-]{1,24}(?: \[[^\]]{0,40}\])? (?:pass|block|match|scrub|nat|rdr|binat) (?:in|out) on [\w.-]{1,16}: /.exec(s);
    if (pflog) s = s.slice(pflog[0].length);
    if (MAC_RE.test(s)) {
      const window = s.slice(0, 200);
      const eth = ETHER_END_RE.exec(window);
      if (!eth) return null;
      s = s.slice(eth.index + eth[0].length);
    }
  }
  let headerProto: string | null = null;
  let dgmLen: number | null = null;
  let ipPrefix = false;
  const header = parseVerboseHeader(s);
  if (header) {
    headerProto = header.proto;
    dgmLen = header.length;
    s = s.slice(header.end).trimStart();
    if (s.length === 0) {
      if (!stamped) return null;
      const rec = blankRecord('tcpdump', 'tcpdump', line, 1);
      rec.time = time;
      if (dgmLen !== null) rec.dgmLen = dgmLen;
      if (headerProto) rec.proto = headerProto;
      return { rec, needsNext: true };
    }
  } else if (/^IP6? /.test(s)) {
    s = s.slice(s.startsWith('IP6') ? 4 : 3);
    ipPrefix = true;
  } else if (/^(?:ARP|arp|RARP|STP|LLDP|CDP|ethertype|vlan|llc|802\.1)/.test(s)) {
    return null;
  }
  // -t output still says `IP `; without that or a time only TCP flags make a line unmistakable
  const mode = stamped || (ipPrefix && !indented) ? 'stamped' : indented ? 'indented' : 'bare';
  return parsePacketPart(s, line, time, headerProto, dgmLen, mode);
}

function parsePacketPart(
  s: string,
  line: number,
  time: RecordTime | null,
  headerProto: string | null,
  dgmLen: number | null,
  mode: 'stamped' | 'bare' | 'indented' | 'continuation',
): Parsed | null {
  const gt = s.indexOf(' > ');
  if (gt <= 0 || gt > 260) return null;
  const srcToken = s.slice(0, gt);
  if (/\s/.test(srcToken)) return null;
  const afterGt = s.slice(gt + 3);
  let colon = afterGt.indexOf(': ');
  let rest: string;
  if (colon < 0) {
    if (!afterGt.endsWith(':')) return null;
    colon = afterGt.length - 1;
    rest = '';
  } else {
    rest = afterGt.slice(colon + 2).trimStart();
  }
  const dstToken = afterGt.slice(0, colon);
  if (dstToken.length === 0 || dstToken.length > 260 || /\s/.test(dstToken)) return null;
  const transport = parseTransport(rest, headerProto);
  if (!transport) return null;
  // Without a timestamp only TCP with printed flags counts: anything looser matches prose.
  if (mode === 'bare' && !(transport.proto === 'tcp' && transport.flags !== null)) return null;
  if (mode === 'indented') return null;
  const ported = transport.ported && (looksPorted(srcToken) || looksPorted(dstToken));
  if (transport.inferred && !(looksPorted(srcToken) && looksPorted(dstToken))) return null;
  const src = splitEndpoint(srcToken, ported);
  const dst = splitEndpoint(dstToken, ported);
  if (!src || !dst) return null;
  if (src.kind === 'masked' && dst.kind === 'masked') return null;
  const rec = blankRecord('tcpdump', 'tcpdump', line, 1);
  rec.time = time;
  rec.proto = transport.proto;
  rec.src = src.host;
  rec.sport = src.port;
  rec.dst = dst.host;
  rec.dport = dst.port;
  rec.dir = '->';
  rec.srcPkts = 1;
  rec.srcFlags = transport.flags;
  rec.singlePacket = true;
  // tcpdump 3.x -v ends the line with `(ttl 101, id 24351, len 1500)`
  const oldVerbose = dgmLen === null ? /\(ttl \d{1,3}, id \d{1,5}, len (\d{1,5})\)/.exec(rest) : null;
  if (oldVerbose) rec.dgmLen = Number(oldVerbose[1]);
  if (dgmLen !== null) rec.dgmLen = dgmLen;
  if (transport.payloadLen !== undefined) rec.payloadLen = transport.payloadLen;
  if (transport.icmpType !== undefined) rec.icmpType = transport.icmpType;
  if (transport.icmpCode !== undefined) rec.icmpCode = transport.icmpCode;
  if (transport.summary) {
    rec.detail = transport.summary;
    const app = /^(?:HTTP|SMTP|FTP|IMAP|POP3?|SIP|RTSP): (.{4,})/.exec(transport.summary);
    if (app && (transport.payloadLen ?? 0) > 0) {
      rec.payload = { bytes: transport.payloadLen ?? 0, strings: [(app[1] as string).slice(0, 512)] };
    }
  }
  return { rec, needsNext: false };
}

/**
 * Can parseTcpdumpLine read anything here? It needs a packet part (`src > dst`) or a -v header
 * (`IP (`, `IP6 (`), both in the line as written; without either it returns null, so lines such
 * as Argus records (`->`, `<->`) skip its regexes.
 */
function mayBePacketLine(text: string): boolean {
  if (!screens.on) return true;
  // ` > ` found from its rare middle character: a search for the three characters starts at every space
  for (let k = text.indexOf('>'); k >= 0; k = text.indexOf('>', k + 1)) {
    if (k > 0 && text.charCodeAt(k - 1) === 32 && text.charCodeAt(k + 1) === 32) return true;
  }
  return text.includes('IP');
}

/**
 * Could joining this line's continuations make a packet line? The join adds only single spaces,
 * so ` > ` or `IP` must come from a piece, or from a piece's edge next to a join (`... >`, `> ...`).
 */
function mayJoinToPacketLine(lines: readonly string[], i: number, pieces: Uint8Array, packetishLines: Uint8Array, packetish: boolean): boolean {
  if (!screens.on) return true;
  const text = lines[i] ?? '';
  if (packetish || endsWithSpacedArrow(text)) return true;
  for (let k = 1; k <= MAX_CONTINUATIONS && i + k < lines.length; k++) {
    if (mayBePacketPiece(lines, i + k, pieces, packetishLines)) return true;
  }
  return false;
}

/** text.trimEnd().endsWith(' >') without the trimmed copy */
function endsWithSpacedArrow(text: string): boolean {
  let e = text.length - 1;
  while (e >= 0 && isSpaceCode(text.charCodeAt(e))) e--;
  return e >= 1 && text.charCodeAt(e) === 62 && text.charCodeAt(e - 1) === 32;
}

/**
 * Could line j, trimmed, be a piece of a packet line? Each line is asked this as the continuation
 * of the MAX_CONTINUATIONS lines before it: pieces (0 unknown, 1 yes, 2 no) keeps the answer.
 * It is mayBePacketLine of the untrimmed line (kept in packetish for when the loop reaches line j,
 * so each line is searched for ` > ` and `IP` once) or an arrow at a trimmed edge.
 */
function mayBePacketPiece(lines: readonly string[], j: number, pieces: Uint8Array, packetish: Uint8Array): boolean {
  let known = pieces[j];
  if (known === 0) {
    const text = lines[j] ?? '';
    known = mayBePacketLineAt(lines, j, packetish) || hasEdgeArrow(text) ? 1 : 2;
    pieces[j] = known;
  }
  return known === 1;
}

/** mayBePacketLine(lines[j]), remembered in known (0 unknown, 1 yes, 2 no) */
function mayBePacketLineAt(lines: readonly string[], j: number, known: Uint8Array): boolean {
  let k = known[j];
  if (k === 0) {
    k = mayBePacketLine(lines[j] ?? '') ? 1 : 2;
    known[j] = k;
  }
  return k === 1;
}

/** With piece = text.trim(): piece.startsWith('> ') || piece.endsWith(' >') || piece === '>' */
function hasEdgeArrow(text: string): boolean {
  let a = 0;
  let b = text.length;
  while (a < b && isSpaceCode(text.charCodeAt(a))) a++;
  while (b > a && isSpaceCode(text.charCodeAt(b - 1))) b--;
  if (a === b) return false;
  if (text.charCodeAt(a) === 62 && (b - a === 1 || text.charCodeAt(a + 1) === 32)) return true;
  return b - a >= 2 && text.charCodeAt(b - 1) === 62 && text.charCodeAt(b - 2) === 32;
}

/**
 * mayBePacketPieceText(text) answered as mayBePacketPiece does (mayBePacketLine of the untrimmed
 * line, or an arrow at a trimmed edge); exported for its property test.
 */
export function mayBePacketPieceFromLine(text: string): boolean {
  return mayBePacketLine(text) || hasEdgeArrow(text);
}

/**
 * With piece = text.trim(): mayBePacketLine(piece) || piece.startsWith('> ') || piece.endsWith(' >')
 * || piece === '>', read within the trimmed bounds instead of on a trimmed copy (every line near a
 * `->` of an Argus paste is asked this). Exported for its property test.
 */
export function mayBePacketPieceText(text: string): boolean {
  if (!screens.on) return true;
  let a = 0;
  let b = text.length;
  while (a < b && isSpaceCode(text.charCodeAt(a))) a++;
  while (b > a && isSpaceCode(text.charCodeAt(b - 1))) b--;
  for (let k = text.indexOf('>', a); k >= 0 && k < b; k = text.indexOf('>', k + 1)) {
    // ` > ` inside the piece
    if (k > a && k + 1 < b && text.charCodeAt(k - 1) === 32 && text.charCodeAt(k + 1) === 32) return true;
    // the piece is `>` or starts with `> `
    if (k === a && (b - a === 1 || text.charCodeAt(k + 1) === 32)) return true;
    // the piece ends with ` >`
    if (k === b - 1 && k > a && text.charCodeAt(k - 1) === 32) return true;
  }
  // `IP` holds no blank: in the piece exactly when in the line
  return text.includes('IP');
}

function isRecordStart(text: string): boolean {
  return mayBePacketLine(text) && parseTcpdumpLine(text, 0) !== null;
}

/** The tcpdump extractor: one record per packet line. */
/** a tcpdump 4.x packet line (`a.b.c.d.p > e.f.g.h.q: Flags [R], ...`), which no prose looks like */
const ORPHAN_V_RE = /^\s{1,12}\S{1,260} > \S{1,260}: Flags \[[A-Za-z.]{0,8}\],/;

export function extractTcpdump(lines: readonly string[]): ExtractedRecord[] {
  // no line is packetish and none has an arrow at an edge: nothing parses and nothing joins (a pasted argus log's `->`)
  if (blockLacksPacketArrows(lines)) return [];
  const out: ExtractedRecord[] = [];
  const pieces = new Uint8Array(lines.length);
  const packetishLines = new Uint8Array(lines.length);
  let i = 0;
  while (i < lines.length) {
    const text = lines[i] ?? '';
    if (text.length > MAX_RECORD_LINE || !(text.includes('>') || text.includes('IP'))) {
      i++;
      continue;
    }
    // mayBePacketLine(text), asked once for the three places below
    const packetish = mayBePacketLineAt(lines, i, packetishLines);
    let parsed = packetish ? parseTcpdumpLine(text, i) : null;
    let span = 1;
    if (parsed && parsed.needsNext) {
      // -v: the packet line follows, indented
      const next = lines[i + 1];
      const head = parsed.rec;
      parsed = null;
      if (next !== undefined && next.length <= MAX_RECORD_LINE && /^\s/.test(next)) {
        const body = parsePacketPart(next.trim(), i, head.time, head.proto, head.dgmLen ?? null, 'continuation');
        if (body) {
          parsed = body;
          span = 2;
        }
      }
    } else if (!parsed && packetish && /^\s/.test(text) && ORPHAN_V_RE.test(text)) {
      // the packet line of a -v record whose header line the paste cut off (packet lines under a
      // header that did parse were taken with it above)
      parsed = parsePacketPart(text.trim(), i, null, null, null, 'continuation');
    } else if (!parsed) {
      // a record a mail client broke: join obvious continuations and try again
      let joined = text;
      let k = 1;
      // the same answer for every k: asked once
      let mayJoin: boolean | undefined;
      while (k <= MAX_CONTINUATIONS && i + k < lines.length && (mayJoin ??= mayJoinToPacketLine(lines, i, pieces, packetishLines, packetish))) {
        const next = lines[i + k] ?? '';
        if (next.length > 300 || !CONTINUATION_RE.test(next) || isRecordStart(next)) break;
        joined = `${joined.trimEnd()} ${next.trim()}`;
        k++;
        const attempt = parseTcpdumpLine(joined, i);
        if (attempt && !attempt.needsNext) {
          parsed = attempt;
          span = k;
          break;
        }
      }
    } else {
      // a complete line may still have lost its tail (`win` / `8760 (DF)`) to the next line
      let joined = text;
      let k = 1;
      while (k <= MAX_CONTINUATIONS && i + k < lines.length) {
        const next = lines[i + k] ?? '';
        if (next.length > 300) break;
        if (!TAIL_RE.test(next) && !(TRUNCATED_RE.test(joined.trimEnd().slice(-12)) && CONTINUATION_RE.test(next))) break;
        if (isRecordStart(next)) break;
        joined = `${joined.trimEnd()} ${next.trim()}`;
        k++;
      }
      if (k > 1) {
        const attempt = parseTcpdumpLine(joined, i);
        if (attempt && !attempt.needsNext) {
          parsed = attempt;
          span = k;
        }
      }
    }
    if (!parsed) {
      i++;
      continue;
    }
    const rec = parsed.rec;
    // -v ICMP errors print the packet they quote, indented, under the line
    if (span === 2 && rec.icmpType !== undefined && rec.icmpType !== 0 && rec.icmpType !== 8) {
      const quotedHeader = lines[i + span] ?? '';
      const quotedPacket = lines[i + span + 1] ?? '';
      if (/^\s{1,8}IP6? \(/.test(quotedHeader) && quotedHeader.length <= MAX_RECORD_LINE && /^\s{2,}\S/.test(quotedPacket)) span += 2;
    }
    // -X / -x: a hex dump of the packet right under the line
    const dumpAt = i + span;
    if (dumpAt < lines.length && /^\s{0,8}0x[0-9a-f]{4}:/.test(lines[dumpAt] ?? '')) {
      const dump = parseHexDump(lines, dumpAt);
      if (dump && dump.end > dumpAt) {
        span = dump.end - i;
        const strings = printableStrings(dump.data);
        if (strings.length > 0) {
          rec.payload = { bytes: rec.payloadLen ?? dump.bytes, strings };
        }
      }
    }
    // -v application decoders print the payload's text lines tab-indented under the packet
    if (rec.detail !== undefined && /^[A-Z0-9]{2,8}, length: \d{1,6}$/.test(rec.detail)) {
      const strings: string[] = [];
      let k = i + span;
      while (k < lines.length && k < i + span + 20 && /^\t\S/.test(lines[k] ?? '') && !/^\tIP6? \(/.test(lines[k] ?? '')) {
        const t = (lines[k] ?? '').trim();
        if (t.length >= 4 && strings.length < 16) strings.push(t.slice(0, 512));
        k++;
      }
      if (strings.length > 0) {
        rec.payload = { bytes: rec.payloadLen ?? 0, strings };
        span = k - i;
      }
    }
    rec.lineCount = span;
    out.push(rec);
    i += span;
  }
  return out;
}
