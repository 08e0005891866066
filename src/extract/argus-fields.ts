// Token-level readers for Argus `ra` output: times, addresses with their ports, direction marks,
// protocol names, states and the TCP flags hidden in -Z states. Each looks at one bounded token
// (or a few for multi-word dates) and never throws.
import ipaddr from 'ipaddr.js';
import type { RecordTime } from './types.js';
import { normalizeFlags } from './flags.js';
import { screens } from './screen.js';
import { ownCopy } from './shared.js';

// ---------------------------------------------------------------- time

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const WEEKDAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const EPOCH = /^(\d{9,10})(?:\.(\d{1,9}))?$/;
const MONTH_DAY = /^(\d{1,2})\/(\d{1,2})$/;
const MDY = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/;
const YMD = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)$/;
const DAY = /^\d{1,2}$/;
const YEAR = /^(\d{2}|\d{4})$/;

export interface TimeMatch {
  time: RecordTime;
  /** how many tokens the time took */
  consumed: number;
}

/** Two-digit years as printed by argus 1.x/2.x: 70-99 → 19xx, 00-69 → 20xx. */
export function fullYear(text: string): number {
  const y = Number(text);
  if (text.length === 4) return y;
  return y >= 70 ? 1900 + y : 2000 + y;
}

/** The digit at s[i] as a number, -1 for anything else (or past the end). */
function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57 ? c - 48 : -1;
}

// the fractions a paste prints are a handful (`000000`, or none): one string each, not one per record
const fractions = new Map<string, string>();

export function sharedFraction(text: string): string {
  const known = fractions.get(text);
  if (known !== undefined) return known;
  if (fractions.size < 1024) fractions.set(text, text);
  return text;
}

/** HMS (`h:mm:ss[.fffffffff]`) read by hand: every record line's time goes through here. */
function clock(token: string | undefined): RecordTime | null {
  if (token === undefined || token.length > 20) return null;
  const n = token.length;
  let hour = digitAt(token, 0);
  if (hour < 0) return null;
  let i = 1;
  const h1 = digitAt(token, 1);
  if (h1 >= 0) {
    hour = hour * 10 + h1;
    i = 2;
  }
  if (token.charCodeAt(i) !== 58) return null;
  const m0 = digitAt(token, i + 1);
  const m1 = digitAt(token, i + 2);
  if (m0 < 0 || m1 < 0 || token.charCodeAt(i + 3) !== 58) return null;
  const s0 = digitAt(token, i + 4);
  const s1 = digitAt(token, i + 5);
  if (s0 < 0 || s1 < 0) return null;
  const end = i + 6;
  let fraction: string | undefined;
  if (end < n) {
    if (token.charCodeAt(end) !== 46 || n - end - 1 < 1 || n - end - 1 > 9) return null;
    for (let k = end + 1; k < n; k++) if (digitAt(token, k) < 0) return null;
    fraction = sharedFraction(token.slice(end + 1));
  }
  const minute = m0 * 10 + m1;
  const second = s0 * 10 + s1;
  if (hour > 23 || minute > 59 || second > 60) return null;
  // the fraction in the literal: added afterwards it goes to a second, out-of-object store (one
  // more object per record, kept as long as the record)
  return fraction !== undefined ? { hour, minute, second, fraction } : { hour, minute, second };
}

/**
 * { ...t, month, day } with the year after them when there is one, for a t made by clock() (hour,
 * minute, second and a fraction only when there is one): the same keys in the same order, written
 * out (a spread and an added key made every dated record a copy through V8's slow path).
 */
function withDate(t: RecordTime, year: number | undefined, month: number, day: number): RecordTime | null {
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const { hour, minute, second, fraction } = t;
  if (fraction !== undefined) {
    return year !== undefined ? { hour, minute, second, fraction, month, day, year } : { hour, minute, second, fraction, month, day };
  }
  return year !== undefined ? { hour, minute, second, month, day, year } : { hour, minute, second, month, day };
}

function monthOf(token: string | undefined): number | undefined {
  if (token === undefined || token.length < 3 || token.length > 4) return undefined;
  return MONTHS[token.slice(0, 3).toLowerCase()];
}

/**
 * false when parseTimeAt(tokens, i) is null whatever the tokens after this first one: every time
 * shape opens with an ASCII digit, or with a weekday or month name of three or four characters.
 * Prose's first words are let go here without the full parse.
 */
export function mayOpenTime(a: string | undefined): boolean {
  if (a === undefined) return false;
  const n = a.length;
  const c = a.charCodeAt(0);
  if (c >= 48 && c <= 57) return true;
  return n === 3 || n === 4;
}

/**
 * A time starting at tokens[i], in any of the shapes ra's time formats print:
 * `07:10:23[.ffffff]`, epoch `999760223.000000` (-u), `06 Sep 01 07:10:23`, `Thu 12/29 03:39:05`,
 * `12/29 03:39:05`, `12/29/01 03:39:05`, `2001/09/06 07:10:23`, `2001-09-06 07:10:23`,
 * `Sep 06 07:10:23`, `Thu Sep 06 07:10:23 [2001]`, ISO `2001-09-06T07:10:23.000000` (-M xml).
 */
export function parseTimeAt(tokens: readonly string[], i: number, allowEpoch = true): TimeMatch | null {
  const a = tokens[i];
  if (a === undefined || a.length > 32) return null;
  const c0 = clock(a);
  if (c0) return { time: c0, consumed: 1 };
  const iso = a.length >= 19 ? ISO.exec(a) : null;
  if (iso) {
    const t = clock(iso[4]);
    const r = t ? withDate(t, Number(iso[1]), Number(iso[2]), Number(iso[3])) : null;
    return r ? { time: r, consumed: 1 } : null;
  }
  if (allowEpoch) {
    const e = EPOCH.exec(a);
    if (e) {
      const secs = Number(e[1]);
      const d = new Date(secs * 1000);
      const t: RecordTime = {
        year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
        hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), epoch: secs,
      };
      if (e[2] !== undefined) t.fraction = e[2];
      return { time: t, consumed: 1 };
    }
  }
  const b = tokens[i + 1];
  const c = tokens[i + 2];
  const d = tokens[i + 3];
  // 06 Sep 01 07:10:23
  if (DAY.test(a) && monthOf(b) !== undefined && c !== undefined && YEAR.test(c)) {
    const t = clock(d);
    if (t) {
      const r = withDate(t, fullYear(c), monthOf(b) as number, Number(a));
      return r ? { time: r, consumed: 4 } : null;
    }
  }
  const lower = a.toLowerCase();
  if (a.length === 3 && WEEKDAYS.has(lower)) {
    // Thu 12/29 03:39:05
    const md = b !== undefined ? MONTH_DAY.exec(b) : null;
    if (md) {
      const t = clock(c);
      if (!t) return null;
      const r = withDate(t, undefined, Number(md[1]), Number(md[2]));
      return r ? { time: r, consumed: 3 } : null;
    }
    // Thu Sep 06 07:10:23 [2001]
    const mon = monthOf(b);
    if (mon !== undefined && c !== undefined && DAY.test(c)) {
      const t = clock(d);
      if (!t) return null;
      const e = tokens[i + 4];
      const year = e !== undefined && /^\d{4}$/.test(e) ? Number(e) : undefined;
      const r = withDate(t, year, mon, Number(c));
      return r ? { time: r, consumed: year !== undefined ? 5 : 4 } : null;
    }
    return null;
  }
  // Sep 06 07:10:23
  const mon = monthOf(a);
  if (mon !== undefined && b !== undefined && DAY.test(b)) {
    const t = clock(c);
    if (!t) return null;
    const r = withDate(t, undefined, mon, Number(b));
    return r ? { time: r, consumed: 3 } : null;
  }
  if (a.length <= 10) {
    let m = MONTH_DAY.exec(a);
    if (m) {
      const t = clock(b);
      const r = t ? withDate(t, undefined, Number(m[1]), Number(m[2])) : null;
      return r ? { time: r, consumed: 2 } : null;
    }
    m = MDY.exec(a);
    if (m) {
      const t = clock(b);
      const r = t ? withDate(t, fullYear(m[3] as string), Number(m[1]), Number(m[2])) : null;
      return r ? { time: r, consumed: 2 } : null;
    }
    m = YMD.exec(a);
    if (m) {
      const t = clock(b);
      const r = t ? withDate(t, Number(m[1]), Number(m[2]), Number(m[3])) : null;
      return r ? { time: r, consumed: 2 } : null;
    }
  }
  return null;
}

// ---------------------------------------------------------------- protocols, ports, services

/** Protocol names ra prints (first characters of the name; '*' marks a truncated one). */
const PROTOCOLS = new Set([
  'tcp', 'udp', 'icmp', 'igmp', 'man', 'arp', 'rarp', 'esp', 'ah', 'gre', 'ipnip', 'ipip', 'ipv6',
  'ipv6-icmp', 'icmp6', 'ipv6-frag', 'ipv6-route', 'ipv6-nonxt', 'ipv6-opts', 'ospf', 'ospfigp', 'pim',
  'sctp', 'udt', 'rtp', 'rtcp', 'llc', 'ipx', 'isis', 'vrrp', 'egp', 'igp', 'rsvp', 'l2tp', 'eigrp',
  'ggp', 'ipencap', 'ipcomp', 'carp', 'pfsync', 'mobile', 'skip', 'ax.25', 'etherip', 'encap',
  'dccp', 'udplite', 'mpls', 'ip',
]);
const PROTOCOL_NAMES = new Map([...PROTOCOLS].map((p) => [p, p]));
const PORTED = new Set(['tcp', 'udp', 'sctp', 'udt', 'dccp', 'udplite', 'rtp', 'rtcp']);

/** Normalized protocol name for a proto token, or null when the token is not one. */
export function protoOf(token: string | undefined): string | null {
  if (token === undefined || token.length > 12) return null;
  // the usual token is a name as listed: the listed string itself (one per name, not one per record)
  const listed = PROTOCOL_NAMES.get(token);
  if (listed !== undefined) return listed;
  const t = token.toLowerCase();
  if (PROTOCOLS.has(t)) return t;
  if (t.endsWith('*') && t.length >= 3) {
    const stem = t.slice(0, -1);
    for (const p of PROTOCOLS) if (p.startsWith(stem)) return t;
  }
  if (/^\d{1,3}$/.test(t) && Number(t) <= 255) return t;
  return null;
}

const ICMP_STATES = /^(?:ECO|ECR|UR[A-Z]{0,4}|TXD|RED|SRC|PAR|TST|TSR|MAS|MSR|IRQ|IRR|RTA|RTS)$/;

/**
 * A protocol name cut by the column width (`ipv6-*`) completed where only one fits: ICMP
 * states make `ipv6-*` ICMPv6. Otherwise the name stays as printed.
 */
export function completeProto(proto: string | null, state: string | null): string | null {
  if (proto === null || !proto.endsWith('*')) return proto;
  const stem = proto.slice(0, -1);
  const fits = [...PROTOCOLS].filter((p) => p.startsWith(stem));
  if (fits.length === 1) return fits[0] as string;
  if (stem === 'ipv6-' && state !== null && ICMP_STATES.test(state)) return 'ipv6-icmp';
  return proto;
}

export function protoHasPorts(proto: string | null): boolean {
  return proto === null || PORTED.has(proto);
}

/** Service names ra prints (from /etc/services) with the protocols they are registered for. */
const SERVICES: ReadonlyArray<readonly [string, number, string]> = [
  ['echo', 7, 'tu'], ['discard', 9, 'tu'], ['daytime', 13, 'tu'], ['chargen', 19, 'tu'],
  ['ftp-data', 20, 't'], ['ftp', 21, 't'], ['ssh', 22, 't'], ['telnet', 23, 't'], ['smtp', 25, 't'],
  ['time', 37, 'tu'], ['nameserver', 42, 'u'], ['whois', 43, 't'], ['nicname', 43, 't'],
  ['tacacs', 49, 'tu'], ['domain', 53, 'tu'], ['bootps', 67, 'u'], ['bootpc', 68, 'u'],
  ['tftp', 69, 'u'], ['gopher', 70, 't'], ['finger', 79, 't'], ['http', 80, 'tu'], ['www', 80, 'tu'],
  ['www-http', 80, 't'], ['kerberos', 88, 'tu'], ['pop2', 109, 't'], ['pop3', 110, 't'],
  ['sunrpc', 111, 'tu'], ['auth', 113, 't'], ['ident', 113, 't'], ['nntp', 119, 't'],
  ['ntp', 123, 'tu'], ['epmap', 135, 'tu'], ['loc-srv', 135, 'tu'], ['netbios-ns', 137, 'tu'],
  ['netbios-dgm', 138, 'tu'], ['netbios-ssn', 139, 'tu'], ['imap', 143, 't'], ['imap2', 143, 't'],
  ['snmp', 161, 'tu'], ['snmp-trap', 162, 'tu'], ['xdmcp', 177, 'u'], ['bgp', 179, 't'],
  ['irc', 194, 't'], ['ldap', 389, 'tu'], ['https', 443, 'tu'], ['microsoft-ds', 445, 'tu'],
  ['isakmp', 500, 'u'], ['exec', 512, 't'], ['biff', 512, 'u'], ['login', 513, 't'], ['who', 513, 'u'],
  ['shell', 514, 't'], ['syslog', 514, 'u'], ['printer', 515, 't'], ['talk', 517, 'u'],
  ['ntalk', 518, 'u'], ['route', 520, 'u'], ['uucp', 540, 't'], ['submission', 587, 't'],
  ['ldaps', 636, 't'], ['rsync', 873, 't'], ['imaps', 993, 't'], ['pop3s', 995, 't'],
  ['socks', 1080, 't'], ['ms-sql-s', 1433, 't'], ['ms-sql-m', 1434, 'u'], ['ingreslock', 1524, 't'],
  ['pptp', 1723, 't'], ['radius', 1812, 'u'], ['nfs', 2049, 'tu'], ['cisco-sccp', 2000, 't'],
  ['squid', 3128, 't'], ['mysql', 3306, 't'], ['ms-wbt-server', 3389, 't'], ['sip', 5060, 'tu'],
  ['x11', 6000, 't'], ['ircd', 6667, 't'], ['http-alt', 8080, 't'], ['webcache', 8080, 't'],
];

function protoLetter(proto: string | null): string | null {
  if (proto === 'tcp') return 't';
  if (proto === 'udp') return 'u';
  return null;
}

/** A service name as ra prints it (possibly cut to `cisco*`) → port number, or null when unknown/ambiguous. */
export function servicePort(name: string, proto: string | null): number | null {
  // a paste repeats a few dozen service names: each (name, tcp/udp/other) is looked up once
  const letter = protoLetter(proto);
  const cache = letter === 't' ? tcpServicePorts : letter === 'u' ? udpServicePorts : otherServicePorts;
  let port = cache.get(name);
  if (port === undefined) {
    port = lookUpService(name, proto);
    if (cache.size >= 4096) cache.clear();
    cache.set(ownCopy(name), port);
  }
  return port;
}

const tcpServicePorts = new Map<string, number | null>();
const udpServicePorts = new Map<string, number | null>();
const otherServicePorts = new Map<string, number | null>();

function lookUpService(name: string, proto: string | null): number | null {
  const lower = name.toLowerCase();
  const letter = protoLetter(proto);
  if (lower.endsWith('*')) {
    const stem = lower.slice(0, -1);
    if (stem.length === 0) return null;
    const ports = new Set<number>();
    for (const e of SERVICES) if (e[0].startsWith(stem) && (letter === null || e[2].includes(letter))) ports.add(e[1]);
    return ports.size === 1 ? ([...ports][0] as number) : null;
  }
  for (const e of SERVICES) if (e[0] === lower && (letter === null || e[2].includes(letter))) return e[1];
  for (const e of SERVICES) if (e[0] === lower) return e[1];
  return null;
}

const PORT_TEXT = /^(?:\d{1,5}|0x[0-9a-fA-F]{1,4}|[A-Za-z][A-Za-z0-9_-]{0,15}\*?)$/;

/** Could this token be a separate Sport/Dport column? */
export function isPortText(token: string | undefined): boolean {
  return token !== undefined && token.length <= 17 && PORT_TEXT.test(token);
}

export interface PortValue {
  port: number | null;
  /** ICMP type/code that argus 3 prints in the source port slot as 0xCCTT */
  icmpType?: number;
  icmpCode?: number;
}

const NO_PORT: PortValue = Object.freeze({ port: null });

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** `0x` and 1-4 hex digits (what argus prints for ICMP) as its value, else -1. */
function hexPortValue(text: string): number {
  const n = text.length;
  if (n < 3 || n > 6 || text.charCodeAt(0) !== 48 || text.charCodeAt(1) !== 120) return -1;
  let v = 0;
  for (let k = 2; k < n; k++) {
    const d = hexDigit(text.charCodeAt(k));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** 1-5 decimal digits as their value, else -1. */
function decimalPortValue(text: string): number {
  const n = text.length;
  if (n < 1 || n > 5) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digitAt(text, k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** A port column's text as its number (the returned object is shared: read it, do not change it). */
export function portValue(text: string | null, proto: string | null, side: 'src' | 'dst'): PortValue {
  if (text === null) return NO_PORT;
  const hex = hexPortValue(text);
  if (hex >= 0) {
    if ((proto === 'icmp' || proto === 'ipv6-icmp') && side === 'src') return { port: null, icmpType: hex & 0xff, icmpCode: hex >> 8 };
    return NO_PORT;
  }
  if (!protoHasPorts(proto)) return NO_PORT;
  const n = decimalPortValue(text);
  if (n >= 0) return n <= 65535 ? { port: n } : NO_PORT;
  const named = servicePort(text, proto);
  return named === null ? NO_PORT : { port: named };
}

// ---------------------------------------------------------------- addresses

export type AddrMatch =
  | { kind: 'addr'; addr: string; portText: string | null; host?: true }
  | { kind: 'masked' };

// Four address parts where at least one is hand-masked (x, xxx, aaa, *, #), optional port.
const MASK_PART = '(?:\\d{1,3}|[A-Za-z*#?]{1,3})';
const MASKED = new RegExp(`^${MASK_PART}\\.${MASK_PART}\\.${MASK_PART}\\.${MASK_PART}(?:\\.[A-Za-z0-9*_-]{1,16})?$`);


function isPortStart(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isPortChar(c: number): boolean {
  return isPortStart(c) || c === 95 || c === 45;
}

/**
 * V4_PORT read by hand (every record line has two addresses): four parts of 1-3 digits, then
 * nothing or `.port` (a letter or digit, up to 15 more of [A-Za-z0-9_-], an optional `*`), with
 * a valid dotted quad; null otherwise.
 */
function v4WithPort(token: string): AddrMatch | null {
  const n = token.length;
  let i = 0;
  // isDecimalQuad's test read along: no part over 255, none with a leading zero
  let valid = true;
  for (let part = 0; part < 4; part++) {
    const start = i;
    let value = 0;
    for (let d = digitAt(token, i); i < n && i - start < 4 && d >= 0; d = digitAt(token, ++i)) value = value * 10 + d;
    if (i === start || i - start > 3) return null;
    if (value > 255 || (i - start > 1 && token.charCodeAt(start) === 48)) valid = false;
    if (part < 3) {
      if (token.charCodeAt(i) !== 46) return null;
      i++;
    }
  }
  const addrEnd = i;
  let portText: string | null = null;
  if (i < n) {
    if (token.charCodeAt(i) !== 46 || !isPortStart(token.charCodeAt(i + 1))) return null;
    let end = n;
    if (token.charCodeAt(n - 1) === 42) end = n - 1;
    if (end - (i + 1) > 16 || end <= i + 1) return null;
    for (let k = i + 2; k < end; k++) if (!isPortChar(token.charCodeAt(k))) return null;
    portText = token.slice(i + 1);
  }
  if (!valid) return null;
  return { kind: 'addr', addr: addrEnd === n ? token : token.slice(0, addrEnd), portText };
}

/** `addr`, `addr.port`, `addr.service` (IPv4 or IPv6) → address and the port text; masked forms flagged. */
export function parseAddr(token: string | undefined): AddrMatch | null {
  if (token === undefined || token.length === 0 || token.length > 64) return null;
  const v4 = v4WithPort(token);
  if (v4 !== null) return v4;
  if (token.includes(':')) {
    // an IPv6 address has two colons at least (`::`): Snort's `addr:port` and clock times skip ipaddr.js
    if (screens.on && token.indexOf(':') === token.lastIndexOf(':')) return null;
    if (!/^[0-9A-Fa-f:.]+(?:\.[A-Za-z0-9][A-Za-z0-9_-]{0,15}\*?)?$/.test(token)) return null;
    if (ipaddr.IPv6.isValid(token)) return { kind: 'addr', addr: token, portText: null };
    const dot = token.lastIndexOf('.');
    if (dot > 0) {
      const left = token.slice(0, dot);
      if (ipaddr.IPv6.isValid(left)) return { kind: 'addr', addr: left, portText: token.slice(dot + 1) || null };
    }
    return null;
  }
  if (token.length <= 40 && MASKED.test(token) && /[A-Za-z*#?]/.test(token.split('.').slice(0, 4).join('.'))) {
    return { kind: 'masked' };
  }
  return hostName(token);
}

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?){1,8}\*?$/;

/**
 * A host name as ra prints it without -n (`i.qosient.com.1543`, `qosient.com.smtp`,
 * `dns.qosient.53`): the last label is the port when it is a number or a known service.
 * Callers accept names only where the rest of the line is plainly a record.
 */
function hostName(token: string): AddrMatch | null {
  if (token.length > 80 || !HOST.test(token) || !/[A-Za-z]/.test(token)) return null;
  const labels = token.split('.');
  const last = labels[labels.length - 1] as string;
  const isPort = /^\d{1,5}$/.test(last) || last.endsWith('*') || servicePort(last, null) !== null;
  const hostLabels = isPort ? labels.slice(0, -1) : labels;
  // the name must end in a word (com, net, a site name), not in digits or a cut label
  if (hostLabels.length < 2 || !/^[A-Za-z][A-Za-z-]*[A-Za-z]$/.test(hostLabels[hostLabels.length - 1] as string)) return null;
  return { kind: 'addr', addr: hostLabels.join('.').toLowerCase(), portText: isPort ? last : null, host: true };
}

/** A piece of an IPv4 address cut by a line wrap: `130.216.`, `130.216`, `130`. */
export function isPartialV4(token: string | undefined): boolean {
  return token !== undefined && token.length <= 16 && /^\d{1,3}(?:\.\d{1,3}){0,3}\.?$/.test(token);
}

// ---------------------------------------------------------------- direction, state, flags

const DIR = /^(?:<[-?|o]>?|[-?|o]>|who|tel|who-has|is-at)$/;

/** Direction marks of argus 1.x-3.x: `->`, `<-`, `<->`, `?>`, `<?`, `<?>`, `<|`, `|>`, `o>`, `<o>`, `who`, `who-has`, ... */
export function isDir(token: string | undefined): boolean {
  return token !== undefined && token.length <= 7 && DIR.test(token);
}

/** State words of the default State column (and management records). */
export const STATE_WORDS = new Set([
  'CON', 'REQ', 'ACC', 'RST', 'FIN', 'CLO', 'TIM', 'INT', 'EST', 'ECO', 'ECR', 'URP', 'URH', 'URN', 'URF',
  'URS', 'URO', 'URHPRO', 'URNPRO', 'URFIL', 'URHU', 'URNU', 'URISO', 'URHTOS', 'URNTOS', 'URPRE', 'URCUT',
  'TXD', 'RED', 'SRC', 'PAR', 'TST', 'TSR', 'MAS', 'MSR', 'IRQ', 'IRR', 'RTA', 'RTS', 'STA', 'STP', 'NRS',
  'RSP', 'UNK', 'ICM', 'MHR', 'IHR', 'IRT', 'RTR', 'DRP',
]);
const ZB_STATE = /^[FSRPAUEC78]{0,8}_[FSRPAUEC78]{0,8}\*?$/;
const ZSIDE_STATE = /^[FSRPAUEC78]{1,8}\*?$/;
const ZLOWER_STATE = /^[sSEfFCR]{1,8}$/;

/** A token that can only be a State value (used to accept a wrapped line as continuation). */
export function isStateToken(token: string | undefined): boolean {
  if (token === undefined || token.length > 20) return false;
  return STATE_WORDS.has(token) || ZB_STATE.test(token) || ZSIDE_STATE.test(token) || ZLOWER_STATE.test(token)
    || /^[A-Z_]{1,8}\*$/.test(token);
}

/** Looser: also any 3-6 letter upper-case word, for the last column of a line that is already a record. */
export function isStateLike(token: string | undefined): boolean {
  return isStateToken(token) || (token !== undefined && /^[A-Z]{3,6}$/.test(token));
}

export interface FlagHints {
  /** the text shows an `ra ... -Z s|d|b` command: which side single-letter states belong to */
  zSide: 's' | 'd' | 'b' | null;
  /** the text shows `ra ... -z` (state-machine letters) and no -Z */
  lowerZ: boolean;
}

const NO_FLAGS: { readonly srcFlags: null; readonly dstFlags: null } = Object.freeze({ srcFlags: null, dstFlags: null });

/**
 * -Z states → per-side flags. `A_RPA` → A / RPA; `S_` → S / ''; `_` → '' / ''; `FSPA*` (cut by the
 * column width) → the letters seen so far for the source, unknown destination; a bare `RA` is the
 * side the command asked for (-Zs/-Zd), else the source. Default state words, -z letters and
 * non-TCP records give no flags. (The object returned is shared when there are none: read it, do not change it.)
 */
export function flagsFromState(
  state: string | null,
  proto: string | null,
  hints: FlagHints,
): { srcFlags: string | null; dstFlags: string | null } {
  const none = NO_FLAGS;
  if (state === null || (proto !== null && proto !== 'tcp')) return none;
  if (STATE_WORDS.has(state)) return none;
  const truncated = state.endsWith('*');
  const body = truncated ? state.slice(0, -1) : state;
  if (ZB_STATE.test(state)) {
    const cut = body.indexOf('_');
    const left = body.slice(0, cut);
    const right = body.slice(cut + 1);
    return { srcFlags: normalizeFlags(left), dstFlags: truncated ? null : normalizeFlags(right) };
  }
  if (!ZSIDE_STATE.test(state)) return none;
  // -z letters: lower case, or E/C (established/closed) without any flag letter that -z never prints
  if (/[a-z]/.test(body)) return none;
  if (!/[PAU]/.test(body) && /[EC]/.test(body)) return none;
  if (hints.lowerZ && hints.zSide === null) return none;
  const letters = normalizeFlags(body);
  if (hints.zSide === 'd') return { srcFlags: null, dstFlags: letters };
  return { srcFlags: letters, dstFlags: null };
}

/** argus-clients programs that print records (a command line names one of them before its options). */
const RA_TOOLS = new Set([
  'ra', 'racluster', 'rasort', 'rabins', 'racount', 'ratop', 'rahisto', 'rastrip', 'rasplit', 'ranonymize',
  'radump', 'rauserdata', 'rapath', 'rafilteraddr', 'rasqlinsert', 'rasql', 'ramatrix', 'raservices',
]);

/** Scan for an `ra` command line to learn whether single-side states are -Zs or -Zd, or -z letters. */
export function commandHints(lines: readonly string[]): FlagHints {
  const hints: FlagHints = { zSide: null, lowerZ: false };
  for (const line of lines) {
    if (line.length > 4096 || !line.includes('-') || !line.includes('ra') || !/\bra[a-z]*\b/.test(line)) continue;
    const tokens = line.trim().split(/\s+/, 64);
    const at = tokens.findIndex((t) => t.length <= 64 && RA_TOOLS.has(t.slice(t.lastIndexOf('/') + 1)));
    if (at < 0) continue;
    for (let k = at + 1; k < tokens.length; k++) {
      const t = tokens[k] as string;
      if (!t.startsWith('-') || t.length > 12) continue;
      const z = /^-[A-Za-z]*Z([sdb])?$/.exec(t);
      if (z) {
        const side = z[1] ?? tokens[k + 1];
        if (side === 's' || side === 'd' || side === 'b') hints.zSide = side;
        continue;
      }
      if (/^-[A-Za-y]*z[A-Za-z]*$/.test(t) && !t.includes('Z')) hints.lowerZ = true;
    }
  }
  return hints;
}
