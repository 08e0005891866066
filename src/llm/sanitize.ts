// Checks on what the model says. The model reads untrusted posts, so its text is untrusted too:
// anything that could send a reader somewhere (a URL, an e-mail address, an address or prefix,
// a domain) survives only when the analyzer's own facts hold it.
import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';

export const REMOVED = '[removed]';

/** What the facts given to the model contain; output may mention these and nothing else of the kind. */
export interface AllowedFacts {
  /** addresses, normalised (ipaddr toString) */
  ips: Set<string>;
  /** prefixes as `network/len`, normalised */
  prefixes: Set<string>;
  /** lower-case domains (an org allows its subdomains too) */
  domains: Set<string>;
  /** ids that may be cited in [brackets] */
  ids: Set<string>;
}

export function emptyFacts(): AllowedFacts {
  return { ips: new Set(), prefixes: new Set(), domains: new Set(), ids: new Set() };
}

export function allowAddress(f: AllowedFacts, value: string | null | undefined): void {
  if (!value) return;
  const v = value.trim();
  if (v.includes('/')) {
    const p = normalisePrefix(v);
    if (p) f.prefixes.add(p);
    return;
  }
  const ip = normaliseIp(v);
  if (ip) f.ips.add(ip);
}

export function allowDomain(f: AllowedFacts, value: string | null | undefined): void {
  if (value) f.domains.add(value.trim().toLowerCase());
}

function normaliseIp(s: string): string | null {
  try {
    if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s).toString();
    if (ipaddr.IPv6.isValid(s)) return ipaddr.IPv6.parse(s).toNormalizedString();
  } catch {
    // not an address
  }
  return null;
}

/** `130.67/16` and `130.67.0.0/16` both give `130.67.0.0/16`; null when it is not a prefix. */
export function normalisePrefix(s: string): string | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  let addr = s.slice(0, slash);
  const len = Number(s.slice(slash + 1));
  if (!Number.isInteger(len)) return null;
  try {
    if (!addr.includes(':')) {
      const parts = addr.split('.');
      if (parts.length < 1 || parts.length > 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return null;
      while (parts.length < 4) parts.push('0');
      addr = parts.join('.');
      if (len < 0 || len > 32 || !ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
      return `${ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${len}`).toString()}/${len}`;
    }
    if (len < 0 || len > 128 || !ipaddr.IPv6.isValid(addr)) return null;
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${len}`).toNormalizedString()}/${len}`;
  } catch {
    return null;
  }
}

const RESERVED_TLDS = new Set(['example', 'test', 'invalid', 'localhost', 'local', 'onion', 'internal', 'lan', 'home', 'corp', 'intranet']);

function domainAllowed(f: AllowedFacts, host: string): boolean {
  const h = host.toLowerCase();
  for (const d of f.domains) if (h === d || h.endsWith(`.${d}`)) return true;
  return false;
}

/** Looks like a domain a reader could visit or mail (cmd.exe and WS2_32.DLL do not). */
function isRealDomain(host: string): boolean {
  const p = parseDomain(host);
  if (p.isIcann) return true;
  const tld = host.toLowerCase().split('.').pop() ?? '';
  return RESERVED_TLDS.has(tld);
}

// All patterns are bounded: no nested unbounded quantifiers, every repetition capped.
const URL_RE = /\b(?:[a-z][a-z0-9+.-]{1,15}:\/\/|www\.)[^\s<>"'`)\]]{1,2000}/gi;
const MAILTO_RE = /\bmailto:[^\s<>"'`)\]]{1,500}/gi;
const EMAIL_RE = /[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}/gi;
// archive obfuscation: "user () example com"
const OBFUSCATED_EMAIL_RE = /[a-z0-9._%+-]{1,64} ?\(\) ?[a-z0-9-]{1,63}(?: [a-z]{2,7}){0,3}\b/gi;
const IPV4_PREFIX_RE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){1,3}\/\d{1,2}(?!\d)/g;
const IPV4_RE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d|\/\d)/g;
const IPV6_RE = /(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\/\d{1,3})?(?![\w:])/gi;
const DOMAIN_RE = /(?<![\w@.-])(?:[a-z0-9-]{1,63}\.){1,6}[a-z]{2,24}(?![\w-])/gi;
const CITATION_RE = /\[([^[\]\n]{1,300})\]/g;

/**
 * Removes from model text every URL and e-mail address, and every IP address, prefix or domain the
 * facts do not hold; drops citations of ids the facts do not hold; caps the length at `maxChars`
 * (at a sentence end where one is near). Returns '' when nothing useful is left.
 */
export function scrubModelText(text: string, facts: AllowedFacts, maxChars = 1200): string {
  // the model's text is bounded before any pattern runs over it
  let s = text.slice(0, Math.max(maxChars * 3, 4000)).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');

  s = s.replace(CITATION_RE, (whole, inner: string) => {
    const parts = inner.split(/[,;]\s*|\s+/).filter(Boolean);
    const idLike = parts.filter((p) => /^[\w:.#/-]{3,80}$/.test(p) && /\d/.test(p));
    if (idLike.length === 0 || idLike.length !== parts.length) return whole; // prose in brackets
    const known = parts.filter((p) => facts.ids.has(p));
    return known.length > 0 ? `[${known.join(', ')}]` : '';
  });

  s = s.replace(URL_RE, REMOVED).replace(MAILTO_RE, REMOVED).replace(EMAIL_RE, REMOVED).replace(OBFUSCATED_EMAIL_RE, REMOVED);
  s = s.replace(IPV4_PREFIX_RE, (m) => {
    const p = normalisePrefix(m);
    return p && facts.prefixes.has(p) ? m : REMOVED;
  });
  s = s.replace(IPV4_RE, (m) => {
    const ip = normaliseIp(m);
    if (!ip) return m; // e.g. a version number like 1.2.3.400 is not an address
    return facts.ips.has(ip) ? m : REMOVED;
  });
  s = s.replace(IPV6_RE, (m) => {
    if (m.includes('/')) {
      const p = normalisePrefix(m);
      if (!p) return m;
      return facts.prefixes.has(p) ? m : REMOVED;
    }
    const ip = ipaddr.IPv6.isValid(m) ? normaliseIp(m) : null;
    if (!ip) return m; // times such as 07:10:23
    return facts.ips.has(ip) ? m : REMOVED;
  });
  s = s.replace(DOMAIN_RE, (m) => (domainAllowed(facts, m) || !isRealDomain(m) ? m : REMOVED));

  s = s
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ +([.,;:])/g, '$1')
    .trim();
  return capLength(s, maxChars);
}

export function capLength(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  const cut = s.slice(0, maxChars - 1);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'));
  if (end >= maxChars * 0.6) return cut.slice(0, end + 1);
  return `${cut.trimEnd()}…`;
}

function normaliseForMatch(s: string): { text: string } {
  return {
    text: s
      .replace(/[\u2018\u2019\u201b\u2032]/g, "'")
      .replace(/[\u201c\u201d\u201f\u2033]/g, '"')
      .replace(/\s+/g, ' ')
      .trim(),
  };
}

/**
 * The quote as it stands in `source` (whitespace runs collapsed, typographic quotes made plain),
 * or null when the model did not copy it verbatim.
 */
export function verbatimQuote(quote: string, source: string, opts: { min?: number; max?: number } = {}): string | null {
  const min = opts.min ?? 8;
  const max = opts.max ?? 600;
  const q = normaliseForMatch(quote).text.replace(/^["']|["']$/g, '').trim();
  if (q.length < min || q.length > max) return null;
  const src = normaliseForMatch(source).text;
  const at = src.indexOf(q);
  return at < 0 ? null : src.slice(at, at + q.length);
}

/** Short lower-case hyphenated tags only; anything else the model put there is dropped. */
export function cleanTags(tags: readonly string[], max = 6): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const v = t.trim().toLowerCase();
    if (/^[a-z][a-z0-9]{0,20}(?:-[a-z0-9]{1,20}){0,4}$/.test(v) && !out.includes(v)) out.push(v);
    if (out.length >= max) break;
  }
  return out;
}

/** True when the text holds a URL or an e-mail address (plain or archive-obfuscated). */
export function carriesLink(text: string): boolean {
  const s = text.slice(0, 4000);
  return [URL_RE, MAILTO_RE, EMAIL_RE, OBFUSCATED_EMAIL_RE].some((re) => new RegExp(re.source, 'i').test(s));
}
