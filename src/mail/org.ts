import { getDomain } from 'tldts';
import type { Party } from '../contract.js';

const MAX_PARTY_CHARS = 512;

/**
 * Undo the address obfuscation of web archives and humans:
 * `r.fulton () auckland ac nz`, `user at example dot com`, `user [at] example [dot] com`.
 * An address that already has an `@` only loses stray spaces around it.
 */
export function deobfuscateAddress(s: string): string {
  let t = s.trim().slice(0, MAX_PARTY_CHARS);
  if (t.startsWith('<') && t.endsWith('>')) t = t.slice(1, -1).trim();
  const at = findAt(t);
  if (!at) return t;
  const local = at.local.trim();
  const domainTokens = splitWords(at.domain);
  const parts: string[] = [];
  for (const tok of domainTokens) {
    const lower = tok.toLowerCase();
    if (lower === 'dot' || lower === '[dot]' || lower === '(dot)' || lower === '{dot}' || tok === '.' || tok === '!') continue;
    for (const piece of tok.split('.')) if (piece) parts.push(piece);
  }
  if (!local || parts.length === 0) return t;
  return `${local}@${parts.join('.')}`;
}

/** Where the local part ends and the domain starts, for real and obfuscated forms. */
function findAt(t: string): { local: string; domain: string } | null {
  const real = t.indexOf('@');
  if (real >= 0) return { local: t.slice(0, real).trim(), domain: t.slice(real + 1) };
  for (const marker of [' () ', ' (at) ', ' [at] ', ' {at} ', ' at ', ' AT ', '(at)', '[at]']) {
    const i = t.indexOf(marker);
    if (i > 0) return { local: t.slice(0, i), domain: t.slice(i + marker.length) };
  }
  return null;
}

function splitWords(s: string): string[] {
  return s.split(/[ \t]+/).filter((w) => w.length > 0);
}

/** The registrable domain of an address (tldts): `auckland.ac.nz`, not `ac.nz`. */
export function orgOf(address: string | null): string | null {
  if (!address) return null;
  const addr = address.includes('@') ? address : deobfuscateAddress(address);
  const at = addr.lastIndexOf('@');
  const host = (at >= 0 ? addr.slice(at + 1) : addr).trim().toLowerCase().replace(/\.$/, '');
  if (!host || host.length > 253 || /[\s<>]/.test(host)) return null;
  return registrableDomain(host);
}

// an archive's senders and attributions come from a few thousand hosts: tldts is asked once per host
const MAX_CACHED_HOSTS = 4096;
const domainsOfHosts = new Map<string, string | null>();

function registrableDomain(host: string): string | null {
  let domain = domainsOfHosts.get(host);
  if (domain === undefined) {
    domain = getDomain(host) ?? null;
    if (domainsOfHosts.size >= MAX_CACHED_HOSTS) domainsOfHosts.clear();
    domainsOfHosts.set(host, domain);
  }
  return domain;
}

function looksLikeAddress(s: string): boolean {
  const d = deobfuscateAddress(s);
  const at = d.indexOf('@');
  return at > 0 && at < d.length - 1 && !/\s/.test(d) && d.indexOf('@', at + 1) < 0;
}

function cleanName(s: string): string | null {
  let n = s.trim();
  if (n.length >= 2 && ((n.startsWith('"') && n.endsWith('"')) || (n.startsWith("'") && n.endsWith("'")))) {
    n = n.slice(1, -1);
  }
  n = n.replace(/\\(["\\])/g, '$1').replace(/\s+/g, ' ').trim();
  return n.length > 0 ? n : null;
}

function party(name: string | null, rawAddress: string | null): Party {
  let address: string | null = null;
  if (rawAddress !== null && looksLikeAddress(rawAddress)) address = deobfuscateAddress(rawAddress);
  return { name, address, org: orgOf(address) };
}

/**
 * One mailbox from free text: `"Name" <addr>`, `Name <addr>`, `addr (Name)`, `<addr>`, `addr`,
 * and the obfuscated forms of web archives (`Name <user () example com>`).
 */
export function parseParty(text: string): Party {
  const t = text.trim().slice(0, MAX_PARTY_CHARS);
  if (!t) return { name: null, address: null, org: null };
  // Outlook: `Russell Fulton [mailto:r.fulton@auckland.ac.nz]`
  const mailto = t.toLowerCase().indexOf('[mailto:');
  if (mailto >= 0) {
    const close = t.indexOf(']', mailto);
    const inside = t.slice(mailto + 8, close > mailto ? close : undefined);
    if (looksLikeAddress(inside)) return party(cleanName(t.slice(0, mailto)), inside);
  }
  const lt = t.lastIndexOf('<');
  const gt = lt >= 0 ? t.indexOf('>', lt) : -1;
  if (lt >= 0 && gt > lt) {
    const inside = t.slice(lt + 1, gt);
    const before = cleanName(t.slice(0, lt));
    const after = cleanName(t.slice(gt + 1).replace(/^\(|\)$/g, ''));
    if (looksLikeAddress(inside)) return party(before ?? after, inside);
    return party(cleanName(t.replace(/[<>]/g, ' ')), null);
  }
  if (t.endsWith(')')) {
    const open = t.lastIndexOf('(');
    const inner = open >= 0 ? t.slice(open + 1, -1).trim() : '';
    const before = open >= 0 ? t.slice(0, open).trim() : '';
    // `user () example com` ends with no `)`, so a trailing `(...)` with content is a comment name.
    if (inner && before && looksLikeAddress(before)) return party(cleanName(inner), before);
    // hypermail archives: `John Sage (jsageat_private)`, the address in parentheses, often spoiled
    if (inner && before && !/\s/.test(inner) && /[A-Za-z]/.test(before) && !/[()<>@]/.test(before)) {
      return party(cleanName(before), looksLikeAddress(inner) ? inner : null);
    }
  }
  if (looksLikeAddress(t)) return party(null, t);
  return party(cleanName(t), null);
}
