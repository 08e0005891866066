// Re-quoted copies of a record (a reply quoting a post that is itself in the corpus) must not
// count twice. The original is where the record first stood outside a quotation.

import type { Observation } from '../contract.js';

function secondOf(time: string | null): string {
  if (!time) return '';
  const t = Date.parse(time);
  return Number.isFinite(t) ? String(Math.floor(t / 1000)) : time;
}

/** The normalised record: source, protocol, 5-tuple, time to the second, flags, counts, signature id. */
export function duplicateKey(o: Observation): string {
  return [
    o.source,
    (o.proto ?? '').toLowerCase(),
    (o.src ?? '').toLowerCase(),
    o.sport ?? '',
    (o.dst ?? '').toLowerCase(),
    o.dport ?? '',
    secondOf(o.time),
    o.srcFlags ?? '',
    o.dstFlags ?? '',
    o.state ?? '',
    o.srcPkts ?? '',
    o.dstPkts ?? '',
    o.srcBytes ?? '',
    o.dstBytes ?? '',
    o.signature?.id ?? '',
  ].join('|');
}

/** Sets duplicateOf on re-quoted copies: key = source+proto+5-tuple+time(to the second)+flags+counts+signature id. The original is the earliest non-quoted occurrence (posts in the order given), else the first occurrence. Linear. Returns new objects. */
export function markDuplicates(obs: readonly Observation[]): Observation[] {
  const original = new Map<string, Observation>();
  for (const o of obs) {
    const key = duplicateKey(o);
    const seen = original.get(key);
    if (!seen || (seen.quoted && !o.quoted)) original.set(key, o);
  }
  return obs.map((o) => {
    const { duplicateOf: _old, ...rest } = o;
    const orig = original.get(duplicateKey(o));
    // Two identical lines in one post, both quoted or both not, are two records, not a re-quote.
    if (!orig || orig === o || (orig.post === o.post && orig.quoted === o.quoted)) return { ...rest };
    return { ...rest, duplicateOf: orig.id };
  });
}
