// PackedStrings on disk: the strings' characters, each string's offset, length and hash, and the
// open-addressing table that finds them are PagedFiles, so memory stays a fixed set of cached
// pages however many ids an archive holds. The table places a string by the top bits of its hash
// (linear probing upwards), so doubling it reads the old table in order and writes the new one
// nearly in order: a rehash streams through the cache instead of missing on every entry.

import { PagedFile } from './paged-file.js';
import { hashOf, type NumberedStringSet } from './packed-ids.js';

/** bytes of a string's entry in the meta file: f64 offset, i32 length (bit 0: stored as UTF-16), i32 hash */
const META_BYTES = 16;
/** bytes of a table slot: i32 number + 1 (0: empty), i32 hash */
const SLOT_BYTES = 8;
const FIRST_TABLE_BITS = 10;
/** pages the table keeps in memory (4 MB: a table of ~250,000 strings never leaves the cache) */
const TABLE_CACHE_PAGES = 1024;
/** pages of characters kept (recent ids, the parents a reply names, stay cached) */
const BYTES_CACHE_PAGES = 64;
const META_CACHE_PAGES = 64;
/**
 * the last strings added, by their characters in a Map: a reply's parent is mostly a recent post,
 * and its table slot is anywhere (by hash), so at 1,000,000 posts (a 16 MB table, 4 MB cached)
 * most parent lookups missed the cache and cost a read and a write-back
 */
const RECENT = 8192;

/**
 * A set of strings, each with a number (0, 1, ... in the order first added) and found by its
 * characters, kept in files under `base` (base + '.chars', '.meta', '.table<k>'). Exact: a lookup
 * compares the characters, the hash only finds the candidates. Any string: all UTF-16 units
 * below 256 are stored one byte each, others as UTF-16 (lone surrogates too).
 */
export class PagedStrings implements NumberedStringSet {
  private readonly chars: PagedFile;
  private readonly meta: PagedFile;
  private table: PagedFile;
  private tableBits = FIRST_TABLE_BITS;
  private tableGeneration = 0;
  private readonly tableCachePages: number;
  private charBytes = 0;
  private count = 0;
  /** a string's bytes on their way in or out */
  private scratch = Buffer.allocUnsafe(256);
  /** the last `recentSize` strings added (flat copies) and their numbers, the oldest replaced first */
  private readonly recent = new Map<string, number>();
  private readonly recentRing: (string | undefined)[];
  private recentAt = 0;

  /** cachePages: pages each of its files keeps in memory (tests make it small; by default 4 MB of table, 256 KB each of the rest) */
  constructor(
    private readonly base: string,
    cachePages?: number,
    private readonly recentSize = RECENT,
  ) {
    this.recentRing = new Array<string | undefined>(recentSize);
    this.tableCachePages = cachePages ?? TABLE_CACHE_PAGES;
    this.chars = new PagedFile(`${base}.chars`, { cachePages: cachePages ?? BYTES_CACHE_PAGES });
    // a later open that throws: the caller never gets this object to close the earlier files
    try {
      this.meta = new PagedFile(`${base}.meta`, { cachePages: cachePages ?? META_CACHE_PAGES });
      try {
        this.table = new PagedFile(`${base}.table0`, { cachePages: this.tableCachePages });
      } catch (err) {
        this.meta.close();
        throw err;
      }
    } catch (err) {
      this.chars.close();
      throw err;
    }
  }

  get size(): number {
    return this.count;
  }

  find(s: string): number {
    const r = this.recent.get(s);
    return r !== undefined ? r : this.lookup(s, hashOf(s));
  }

  add(s: string): number {
    const r = this.recent.get(s);
    if (r !== undefined) return r;
    const h = hashOf(s);
    const found = this.lookup(s, h);
    if (found >= 0) return found;
    const n = this.count;
    const wide = !isLatin1(s);
    const length = wide ? s.length * 2 : s.length;
    if (length > this.scratch.length) this.scratch = Buffer.allocUnsafe(length);
    this.scratch.write(s, 0, length, wide ? 'utf16le' : 'latin1');
    this.chars.write(this.charBytes, this.scratch, length);
    const m = this.meta.at(n * META_BYTES, true);
    this.meta.f64[m >>> 3] = this.charBytes;
    this.meta.i32[(m >>> 2) + 2] = (s.length << 1) | (wide ? 1 : 0);
    this.meta.i32[(m >>> 2) + 3] = h;
    this.charBytes += length;
    this.count++;
    if (this.recentSize > 0) {
      // a flat copy from the bytes: s may be a slice of a whole header or message
      const copy = this.scratch.toString(wide ? 'utf16le' : 'latin1', 0, length);
      const old = this.recentRing[this.recentAt];
      if (old !== undefined) this.recent.delete(old);
      this.recentRing[this.recentAt] = copy;
      this.recent.set(copy, n);
      this.recentAt = (this.recentAt + 1) % this.recentSize;
    }
    if (this.count * 2 > 1 << this.tableBits) this.grow();
    this.place(this.table, this.tableBits, n, h);
    return n;
  }

  get(n: number): string {
    const m = this.meta.at(n * META_BYTES, false);
    const offset = this.meta.f64[m >>> 3] as number;
    const word = this.meta.i32[(m >>> 2) + 2] as number;
    const wide = (word & 1) === 1;
    const length = wide ? (word >>> 1) * 2 : word >>> 1;
    const page = this.chars.bytesFrom(offset);
    if (length <= page.length) return page.toString(wide ? 'utf16le' : 'latin1', 0, length);
    if (length > this.scratch.length) this.scratch = Buffer.allocUnsafe(length);
    this.chars.read(offset, this.scratch, length);
    return this.scratch.toString(wide ? 'utf16le' : 'latin1', 0, length);
  }

  /** Closes and removes the files. */
  close(): void {
    this.chars.close();
    this.meta.close();
    this.table.close();
  }

  private lookup(s: string, h: number): number {
    const table = this.table;
    const mask = (1 << this.tableBits) - 1;
    for (let i = h >>> (32 - this.tableBits); ; i = (i + 1) & mask) {
      const k = table.at(i * SLOT_BYTES, false) >>> 2;
      const v = table.i32[k] as number;
      if (v === 0) return -1;
      if (table.i32[k + 1] === h && this.equals(v - 1, s)) return v - 1;
    }
  }

  private equals(n: number, s: string): boolean {
    const m = this.meta.at(n * META_BYTES, false);
    const word = this.meta.i32[(m >>> 2) + 2] as number;
    if (word >>> 1 !== s.length) return false;
    const wide = (word & 1) === 1;
    let offset = this.meta.f64[m >>> 3] as number;
    // compared a page at a time, the characters' bytes read through the cache
    let i = 0;
    while (i < s.length) {
      const page = this.chars.bytesFrom(offset);
      if (!wide) {
        const end = Math.min(s.length, i + page.length);
        for (let j = 0; i < end; i++, j++) if (page[j] !== s.charCodeAt(i)) return false;
        offset += page.length;
        continue;
      }
      // two bytes a unit; a unit split across pages is read whole
      if (page.length < 2) {
        const two = Buffer.allocUnsafe(2);
        this.chars.read(offset, two, 2);
        if ((two[0] as number) + ((two[1] as number) << 8) !== s.charCodeAt(i)) return false;
        i++;
        offset += 2;
        continue;
      }
      const units = Math.min(s.length - i, page.length >>> 1);
      for (let j = 0; j < units; j++, i++) if ((page[2 * j] as number) + ((page[2 * j + 1] as number) << 8) !== s.charCodeAt(i)) return false;
      offset += units * 2;
    }
    return true;
  }

  private place(table: PagedFile, bits: number, n: number, h: number): void {
    const mask = (1 << bits) - 1;
    for (let i = h >>> (32 - bits); ; i = (i + 1) & mask) {
      const k = table.at(i * SLOT_BYTES, true) >>> 2;
      if (table.i32[k] !== 0) continue;
      table.i32[k] = n + 1;
      table.i32[k + 1] = h;
      return;
    }
  }

  /** The table at twice the size: the old one read in order, each entry placed in the new one (in order too, by the top bits). */
  private grow(): void {
    const old = this.table;
    const oldSize = 1 << this.tableBits;
    this.tableBits++;
    this.tableGeneration++;
    const next = new PagedFile(`${this.base}.table${this.tableGeneration}`, { cachePages: this.tableCachePages });
    for (let i = 0; i < oldSize; i++) {
      const k = old.at(i * SLOT_BYTES, false) >>> 2;
      const v = old.i32[k] as number;
      if (v !== 0) this.place(next, this.tableBits, v - 1, old.i32[k + 1] as number);
    }
    old.close();
    this.table = next;
  }
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}
