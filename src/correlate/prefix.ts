// Address prefixes for grouping actors: /16 (IPv6 /48) to group, the smallest of /32, /24, /16
// (IPv6 /128, /64, /48) to report.

import ipaddr from 'ipaddr.js';
import { ownCopy } from '../extract/shared.js';
import { decimalQuadBytes } from '../net/ipv4.js';

interface Parsed {
  v6: boolean;
  bytes: number[];
  /** groupPrefix's answer, worked out on first use (parsed results are cached and shared) */
  group?: string;
}


function parseUncached(addr: string): Parsed | null {
  const quad = decimalQuadBytes(addr);
  if (quad) return { v6: false, bytes: quad };
  try {
    if (!ipaddr.isValid(addr)) return null;
    if (addr.includes('.') && !addr.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
    const ip = ipaddr.process(addr);
    return { v6: ip.kind() === 'ipv6', bytes: ip.toByteArray() };
  } catch {
    return null;
  }
}

// The same few thousand actors recur in every group key and report line; parsed results are shared (never mutated).
const PARSE_CACHE_MAX = 50_000;
const parseCache = new Map<string, Parsed | null>();

function parse(addr: string | null): Parsed | null {
  if (!addr || addr.length > 64) return null;
  const hit = parseCache.get(addr);
  if (hit !== undefined) return hit;
  const p = parseUncached(addr);
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  // (the key outlives the post: a copy of its own, not a slice of the post's text)
  parseCache.set(ownCopy(addr), p);
  return p;
}

function format(p: Parsed, bits: number): string {
  const keep = bits / 8;
  if (!p.v6) {
    const b = p.bytes;
    return `${keep > 0 ? b[0] : 0}.${keep > 1 ? b[1] : 0}.${keep > 2 ? b[2] : 0}.${keep > 3 ? b[3] : 0}/${bits}`;
  }
  const bytes = p.bytes.map((b, i) => (i < keep ? b : 0));
  return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
}

const V4_STEPS = [32, 24, 16] as const;
const V6_STEPS = [128, 64, 48] as const;

/** The /16 (IPv6: /48) an address groups under, or null when it is not an address. */
export function groupPrefix(addr: string | null): string | null {
  const p = parse(addr);
  return p ? (p.group ??= format(p, p.v6 ? 48 : 16)) : null;
}

/**
 * The address as a /24 (IPv6: /64), for showing reporters' own addresses without giving them away.
 * Broadcast and multicast destinations belong to no one and have no /24: they are shown as they are.
 */
export function maskTo24(addr: string | null): string {
  if (!addr) return '?';
  const p = parse(addr);
  if (!p) return addr;
  if (!p.v6 && (p.bytes[0] as number) >= 224) return addr;
  if (p.v6 && p.bytes[0] === 0xff) return addr;
  return format(p, p.v6 ? 64 : 24);
}

/** The smallest of /32, /24, /16 (IPv6 /128, /64, /48) that covers all the addresses; null when none parse. */
export function coveringPrefix(addrs: Iterable<string | null>): string | null {
  let first: Parsed | null = null;
  let common = -1; // number of leading bytes all addresses share
  for (const a of addrs) {
    const p = parse(a);
    if (!p) continue;
    if (!first) {
      first = p;
      common = p.bytes.length;
      continue;
    }
    if (p.v6 !== first.v6) return null;
    let i = 0;
    while (i < common && p.bytes[i] === first.bytes[i]) i++;
    common = i;
  }
  if (!first) return null;
  const steps = first.v6 ? V6_STEPS : V4_STEPS;
  for (const bits of steps) if (common * 8 >= bits) return format(first, bits);
  return format(first, steps[steps.length - 1] as number);
}

/**
 * coveringPrefix of IPv4 addresses given as 32-bit numbers, low and high the least and the
 * greatest of them: no address string is made, parsed or cached.
 */
export function coveringPrefixOfQuads(low: number, high: number): string {
  const differ = (low ^ high) >>> 0;
  let common = 0;
  while (common < 4 && differ >>> (24 - common * 8) === 0) common++;
  const first: Parsed = { v6: false, bytes: [low >>> 24, (low >>> 16) & 255, (low >>> 8) & 255, low & 255] };
  for (const bits of V4_STEPS) if (common * 8 >= bits) return format(first, bits);
  return format(first, V4_STEPS[2]);
}
