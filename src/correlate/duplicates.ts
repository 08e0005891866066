// Re-quoted copies of a record (a reply quoting a post that is itself in the corpus) must not
// count twice. The original is where the record first stood outside a quotation.

import type { Observation } from '../contract.js';
import { Hash96 } from './hash96.js';
import { isoTimeMs } from './iso-time.js';

function secondOf(time: string | null): string {
  if (!time) return '';
  const t = isoTimeMs(time);
  return Number.isFinite(t) ? String(Math.floor(t / 1000)) : time;
}

/** The wall-clock second as printed, without the offset: a quoted copy of a zoneless log line may have been given another post's offset. */
function localSecondOf(time: string | null): string {
  if (!time) return '';
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(time);
  return m ? (m[1] as string) : time;
}

function recordKey(o: Observation, time: string): string {
  const [before, after] = keyParts(o);
  return [before, time, after].join('|');
}

/** The normalised record: source, protocol, 5-tuple, time to the second, flags, counts, signature id. */
export function duplicateKey(o: Observation): string {
  return recordKey(o, secondOf(o.time));
}

/** duplicateKey with the wall-clock second as printed instead of the instant: markDuplicates' second key of a record. */
export function wallClockDuplicateKey(o: Observation): string {
  return recordKey(o, localSecondOf(o.time));
}

const hashU = new Hash96();
const hashL = new Hash96();

/**
 * hash96(duplicateKey(o), saltU) into outU and hash96(wallClockDuplicateKey(o), saltL) into outL,
 * from the key's parts without building either string (same characters, same hashes). Returns
 * Date.parse of the time it read (NaN without a time), so a caller need not parse it again.
 */
export function hashDuplicateKeys(o: Observation, saltU: number, outU: Int32Array, saltL: number, outL: Int32Array): number {
  hashU.reset(saltU);
  hashL.reset(saltL);
  hashBefore(o, hashU);
  hashBefore(o, hashL);
  const time = o.time;
  let t = NaN;
  if (time) {
    t = isoTimeMs(time);
    if (Number.isFinite(t)) {
      const second = Math.floor(t / 1000);
      if (second >= 0) hashU.number(second);
      else hashU.string(String(second));
    } else hashU.string(time);
    if (isWallClockSecond(time)) for (let i = 0; i < 19; i++) hashL.char(time.charCodeAt(i));
    else hashL.string(time);
  }
  hashAfter(o, hashU);
  hashAfter(o, hashL);
  hashU.digest(outU);
  hashL.digest(outL);
  return t;
}

const BAR = 124;

/** `before|` of recordKey: source, protocol, 5-tuple, each followed by the separator */
function hashBefore(o: Observation, h: Hash96): void {
  part(o.source, h);
  h.char(BAR);
  if (o.proto) h.lowerString(o.proto);
  h.char(BAR);
  if (o.src) h.lowerString(o.src);
  h.char(BAR);
  part(o.sport, h);
  h.char(BAR);
  if (o.dst) h.lowerString(o.dst);
  h.char(BAR);
  part(o.dport, h);
  h.char(BAR);
}

/** `|after` of recordKey: flags, state, counts, signature id */
function hashAfter(o: Observation, h: Hash96): void {
  h.char(BAR);
  part(o.srcFlags, h);
  h.char(BAR);
  part(o.dstFlags, h);
  h.char(BAR);
  part(o.state, h);
  h.char(BAR);
  part(o.srcPkts, h);
  h.char(BAR);
  part(o.dstPkts, h);
  h.char(BAR);
  part(o.srcBytes, h);
  h.char(BAR);
  part(o.dstBytes, h);
  h.char(BAR);
  part(o.signature?.id, h);
}

/** what Array.prototype.join writes for a value: nothing for null and undefined */
function part(v: unknown, h: Hash96): void {
  if (typeof v === 'string') h.string(v);
  else if (typeof v === 'number') h.number(v);
  else if (v !== null && v !== undefined) h.string(String(v));
}

/** localSecondOf's pattern, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/, without the regex */
function isWallClockSecond(t: string): boolean {
  if (t.length < 19) return false;
  for (let i = 0; i < 19; i++) {
    const c = t.charCodeAt(i);
    const want = WALL_CLOCK_LAYOUT.charCodeAt(i);
    if (want === 100 /* d */ ? c < 48 || c > 57 : c !== want) return false;
  }
  return true;
}

const WALL_CLOCK_LAYOUT = 'dddd-dd-ddTdd:dd:dd';

/** Sets duplicateOf on re-quoted copies: key = source+proto+5-tuple+time(to the second)+flags+counts+signature id. The original is the earliest non-quoted occurrence (posts in the order given), else the first occurrence. Linear. Returns new objects. */
export function markDuplicates(obs: readonly Observation[]): Observation[] {
  const originals = originalsOf(obs);
  return obs.map((o, i) => {
    const { duplicateOf: _old, ...rest } = o;
    const orig = originals[i] as Observation;
    if (orig === o) return { ...rest };
    return { ...rest, duplicateOf: orig.id };
  });
}

/**
 * markDuplicates on the objects themselves: no second copy of a large corpus. duplicateOf is set
 * on the copies (appended last, where the copying form puts it) and removed from the others.
 */
export function markDuplicatesInPlace(obs: readonly Observation[]): void {
  const originals = originalsOf(obs);
  for (let i = 0; i < obs.length; i++) {
    const o = obs[i] as Observation;
    const orig = originals[i] as Observation;
    if (o.duplicateOf !== undefined) delete o.duplicateOf;
    if (orig !== o) o.duplicateOf = orig.id;
  }
}

/** A record's key fields before the time (source, protocol, 5-tuple) and after it (flags, counts, signature id), each joined: the two keys of a record share them. */
function keyParts(o: Observation): [string, string] {
  return [
    [o.source, (o.proto ?? '').toLowerCase(), (o.src ?? '').toLowerCase(), o.sport ?? '', (o.dst ?? '').toLowerCase(), o.dport ?? ''].join('|'),
    [o.srcFlags ?? '', o.dstFlags ?? '', o.state ?? '', o.srcPkts ?? '', o.dstPkts ?? '', o.srcBytes ?? '', o.dstBytes ?? '', o.signature?.id ?? ''].join('|'),
  ];
}

/** For each observation, the observation it copies, or itself when it is not a copy. */
function originalsOf(obs: readonly Observation[]): Observation[] {
  // Two keys per record: the instant (UTC second) and the wall-clock second as printed. Either
  // matching makes a copy; the original is tracked per equivalence class.
  const classOf = new Map<string, { original: Observation }>();
  const memberOf: Array<{ original: Observation }> = [];
  for (const o of obs) {
    // 'u|' + recordKey(o, second) and 'l|' + recordKey(o, local second), from the shared parts
    const [before, after] = keyParts(o);
    const ku = ['u', before, secondOf(o.time), after].join('|');
    const kl = ['l', before, localSecondOf(o.time), after].join('|');
    // a class is never undefined: get answers has() too (the two keys never collide: u| and l|)
    const byInstant = classOf.get(ku);
    const byWallClock = classOf.get(kl);
    let cls = byInstant ?? byWallClock;
    if (!cls) {
      cls = { original: o };
    } else if (cls.original.quoted && !o.quoted) {
      cls.original = o;
    }
    if (byInstant === undefined) classOf.set(ku, cls);
    if (byWallClock === undefined) classOf.set(kl, cls);
    memberOf.push(cls);
  }
  return obs.map((o, i) => {
    const orig = (memberOf[i] as { original: Observation }).original;
    // Two identical lines in one post, both quoted or both not, are two records, not a re-quote.
    return orig.post === o.post && orig.quoted === o.quoted ? o : orig;
  });
}
