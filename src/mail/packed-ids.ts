// Message-IDs by number, packed: an archive's index of its posts' ids as JS strings in a Map was
// most of what grew on the heap with the archive (~60 bytes of string and ~30 of Map entry an id,
// and V8 lets the old generation grow to about twice what is live). Here an ASCII id is its bytes
// in a shared buffer and a slot in an open-addressing table of numbers, all outside the JS heap.

import { Int32List } from '../correlate/typed-lists.js';

/** bytes per buffer chunk (a stored id never spans two); the first chunks are smaller */
const CHUNK_BITS = 20;
const CHUNK_BYTES = 1 << CHUNK_BITS;
const FIRST_CHUNK_BITS = 14;
/** a start (chunk << CHUNK_BITS | offset) is a non-negative int32: past this many chunks ids stay JS strings */
const MAX_CHUNKS = 1 << (31 - CHUNK_BITS);
/** longer strings, and any with a character above 0x7f, are kept as JS strings (rare for a Message-ID) */
const MAX_PACKED_CHARS = 1024;
/** an empty slot of the table */
const EMPTY = 0;

/** Strings numbered 0, 1, ... in the order first added, found by their characters: PackedStrings in memory, PagedStrings on disk. */
export interface NumberedStringSet {
  readonly size: number;
  /** the number of s, or -1 when it was never added */
  find(s: string): number;
  /** the number of s, which is added when new */
  add(s: string): number;
  /** the string numbered n */
  get(n: number): string;
  /** lets its storage go */
  close(): void;
}

/**
 * A set of strings, each with a number (0, 1, ... in the order first added) and found by its
 * characters. Exact: a lookup compares the characters, the hash only finds the candidates.
 */
export class PackedStrings implements NumberedStringSet {
  private readonly chunks: Buffer[] = [];
  /** bytes used in the last chunk */
  private used = 0;
  /** by number: where its bytes start (chunk index << CHUNK_BITS | offset), or -(k + 1) for others[k] */
  private readonly starts = new Int32List();
  /** by number: its length in characters (= bytes when packed) */
  private readonly lengths = new Int32List();
  private readonly hashes = new Int32List();
  private readonly others: string[] = [];
  /** number + 1, or EMPTY; at most half full */
  private slots = new Int32Array(1 << 10);

  get size(): number {
    return this.starts.length;
  }

  /** the number of s, or -1 when it was never added */
  find(s: string): number {
    return this.lookup(s, hashOf(s));
  }

  /** the number of s, which is added when new */
  add(s: string): number {
    const h = hashOf(s);
    const found = this.lookup(s, h);
    if (found >= 0) return found;
    const n = this.starts.length;
    const start = isPackable(s) ? this.pack(s) : -1;
    if (start >= 0) this.starts.push(start);
    else {
      // a string of its own: s may be a slice of a whole header or message
      this.others.push(JSON.parse(JSON.stringify(s)) as string);
      this.starts.push(-this.others.length);
    }
    this.lengths.push(s.length);
    this.hashes.push(h);
    if ((n + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    this.place(n, h);
    return n;
  }

  /** the string numbered n (a new JS string each call) */
  get(n: number): string {
    const start = this.starts.get(n);
    if (start < 0) return this.others[-start - 1] as string;
    const at = start & (CHUNK_BYTES - 1);
    return (this.chunks[start >>> CHUNK_BITS] as Buffer).toString('latin1', at, at + this.lengths.get(n));
  }

  close(): void {}

  private lookup(s: string, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i] as number;
      if (v === EMPTY) return -1;
      const n = v - 1;
      if (this.hashes.get(n) === h && this.equals(n, s)) return n;
    }
  }

  private equals(n: number, s: string): boolean {
    if (this.lengths.get(n) !== s.length) return false;
    const start = this.starts.get(n);
    if (start < 0) return this.others[-start - 1] === s;
    const chunk = this.chunks[start >>> CHUNK_BITS] as Buffer;
    const at = start & (CHUNK_BYTES - 1);
    for (let i = 0; i < s.length; i++) if (chunk[at + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  private place(n: number, h: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = h & mask;
    while (slots[i] !== EMPTY) i = (i + 1) & mask;
    slots[i] = n + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let n = 0; n < this.starts.length; n++) this.place(n, this.hashes.get(n));
  }

  /** s's bytes (one a character) into the last chunk, a new one when it does not fit; returns the start, -1 when no chunk is left */
  private pack(s: string): number {
    let k = this.chunks.length - 1;
    let chunk = this.chunks[k];
    if (chunk === undefined || this.used + s.length > chunk.length) {
      if (this.chunks.length >= MAX_CHUNKS) return -1;
      // (a shift of 32 or more wraps in JS: 1 << 14 << 17 is negative, << 18 is 0)
      const growing = this.chunks.length < CHUNK_BITS - FIRST_CHUNK_BITS;
      chunk = Buffer.allocUnsafe(growing ? 1 << (FIRST_CHUNK_BITS + this.chunks.length) : CHUNK_BYTES);
      this.chunks.push(chunk);
      k++;
      this.used = 0;
    }
    const at = this.used;
    chunk.write(s, at, 'latin1');
    this.used += s.length;
    return (k << CHUNK_BITS) | at;
  }
}

function isPackable(s: string): boolean {
  if (s.length > MAX_PACKED_CHARS) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** a 32-bit hash of the string's UTF-16 units (exported for a test that needs two strings with the same hash) */
export function hashOf(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}
