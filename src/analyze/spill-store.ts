// The pieces a spilling corpus keeps its per-observation facts in: files of 32-bit integers by
// index behind a bounded cache of pages (PagedInt32Column: the ids, flags, reporters, record lengths), an
// append-only file of records (bytes or UTF-8 strings) read back in order or by index, found by
// their offsets, a file of 32-bit integers read back in chunks, and the first-of-equal-keys step.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { Float64List, Int32List, Uint8List } from '../correlate/typed-lists.js';
import { openScratch, PagedInt32Column, type PageOptions } from '../mail/paged-file.js';
import type { NumberedStrings } from './json-out.js';

/**
 * How the spill's per-observation files (PagedInt32Column) are cached: 32 pages of 16 KB (512 KB),
 * read in order or near the last ones; the ids, read at random by the findings, keep more and
 * smaller pages (IdTable)
 */
export const BLOCK_PAGES: PageOptions = { cachePages: 32, pageBits: 14 };

export { hash96 } from '../correlate/hash96.js';

/** Strings by index, packed as UTF-8 into one growing buffer (an observation id is ~20 bytes here, ~56 as a JS string in an array). */
export class StringTable {
  private buf = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private readonly ends = new Float64List();

  get length(): number {
    return this.ends.length;
  }

  push(s: string): number {
    const need = Buffer.byteLength(s);
    if (this.used + need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + need));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    this.used += this.buf.write(s, this.used);
    this.ends.push(this.used);
    return this.ends.length - 1;
  }

  get(i: number): string {
    const start = i === 0 ? 0 : this.ends.get(i - 1);
    return this.buf.toString('utf8', start, this.ends.get(i));
  }
}

/**
 * Observation ids by index: `obs-` and 16 hex digits (what stableId makes) as two 32-bit numbers
 * in a PagedInt32Column (8 bytes an id on disk, a fixed cache in memory); anything else in a
 * StringTable, its index listed.
 */
export class IdTable implements NumberedStrings {
  /** a packed id's JSON text: a quote, obs-, 16 hex digits, a quote */
  readonly maxJsonBytes = 22;
  /** two words an id (a packed id's hex digits; the string's number in `others` for any other), on disk */
  private readonly words: PagedInt32Column;
  /** the indexes of the ids not packed, in order (analyzePost makes none) */
  private readonly otherAt = new Int32List();
  private readonly others = new StringTable();
  private count = 0;

  /** path: the file of the packed ids (an unnamed temp file when not given) */
  constructor(path?: string) {
    // 512 ids a page, 512 pages (2 MB): a finding reads its members' ids across the whole table, and small pages keep more of it
    this.words = new PagedInt32Column(path, { cachePages: 512, pageBits: 12 });
  }

  get length(): number {
    return this.count;
  }

  push(id: string): void {
    const i = this.count++;
    if (id.length === 20 && id.startsWith('obs-')) {
      const h = hexWord(id, 4);
      const l = hexWord(id, 12);
      if (h !== null && l !== null) {
        this.words.set(2 * i, h);
        this.words.set(2 * i + 1, l);
        return;
      }
    }
    this.words.set(2 * i, 0);
    this.words.set(2 * i + 1, this.others.push(id));
    this.otherAt.push(i);
  }

  /** whether id i is one of those not packed */
  private isOther(i: number): boolean {
    const at = this.otherAt;
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at.get(mid) < i) lo = mid + 1;
      else hi = mid;
    }
    return lo < at.length && at.get(lo) === i;
  }

  /** Closes its file (the ids are not read after). */
  close(): void {
    this.words.close();
  }

  /** a packed id's JSON text written at buf[at, at + 22) and its end; -1 for any other id */
  writeJson(i: number, buf: Buffer, at: number): number {
    if (this.otherAt.length !== 0 && this.isOther(i)) return -1;
    buf[at] = 34;
    buf[at + 1] = 111;
    buf[at + 2] = 98;
    buf[at + 3] = 115;
    buf[at + 4] = 45;
    const h = this.words.get(2 * i);
    const l = this.words.get(2 * i + 1);
    for (let k = 0; k < 8; k++) {
      buf[at + 5 + k] = HEX[(h >>> (28 - 4 * k)) & 15] as number;
      buf[at + 13 + k] = HEX[(l >>> (28 - 4 * k)) & 15] as number;
    }
    buf[at + 21] = 34;
    return at + 22;
  }

  get(i: number): string {
    if (this.otherAt.length !== 0 && this.isOther(i)) return this.others.get(this.words.get(2 * i + 1));
    const h = this.words.get(2 * i);
    const l = this.words.get(2 * i + 1);
    // one flat string, no intermediate pieces
    return String.fromCharCode(
      111, 98, 115, 45,
      HEX[(h >>> 28) & 15] as number, HEX[(h >>> 24) & 15] as number, HEX[(h >>> 20) & 15] as number, HEX[(h >>> 16) & 15] as number,
      HEX[(h >>> 12) & 15] as number, HEX[(h >>> 8) & 15] as number, HEX[(h >>> 4) & 15] as number, HEX[h & 15] as number,
      HEX[(l >>> 28) & 15] as number, HEX[(l >>> 24) & 15] as number, HEX[(l >>> 20) & 15] as number, HEX[(l >>> 16) & 15] as number,
      HEX[(l >>> 12) & 15] as number, HEX[(l >>> 8) & 15] as number, HEX[(l >>> 4) & 15] as number, HEX[l & 15] as number,
    );
  }
}

/** the character codes of the lower-case hex digits */
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** each character code's value as a lower-case hex digit, 16 for any other below 128 */
const HEX_VALUE = Uint8Array.from({ length: 128 }, (_, c) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : 16));

/** 8 lower-case hex digits at `at` as a 32-bit number, or null */
function hexWord(s: string, at: number): number | null {
  let v = 0;
  let bad = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    const d = c < 128 ? (HEX_VALUE[c] as number) : 16;
    bad |= d;
    v = (v << 4) | (d & 15);
  }
  return (bad & 16) === 0 ? v : null;
}

/**
 * An append-only file of 32-bit integers, written in large chunks and read back in order a chunk at
 * a time: what a spilling corpus needs only once all is added (the duplicate keys, the join ends)
 * waits on disk, not the heap.
 */
export class Int32File {
  private readonly fd: number;
  private buf = new Int32Array(INT_CHUNK);
  private used = 0;
  private count = 0;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w+');
  }

  get length(): number {
    return this.count;
  }

  /** the first n values of v */
  append(v: Int32Array, n: number): void {
    if (this.used + n > this.buf.length) this.flush();
    for (let i = 0; i < n; i++) this.buf[this.used + i] = v[i] as number;
    this.used += n;
    this.count += n;
  }

  private flush(): void {
    writeAll(this.fd, new Uint8Array(this.buf.buffer, 0, this.used * 4), this.used * 4);
    this.used = 0;
  }

  /**
   * Every value written, in order, `size` values at a time (the last read may be shorter): a view
   * of one buffer reused for each read, `into` when given (at least `size` long; the file stays as it is).
   */
  *chunks(size: number, into?: Int32Array): Generator<Int32Array> {
    this.flush();
    const buf = into === undefined ? new Int32Array(Math.max(1, Math.min(size, this.count))) : into.subarray(0, size);
    const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let at = 0; at < this.count; at += buf.length) {
      const m = Math.min(buf.length, this.count - at);
      readAll(this.fd, bytes.subarray(0, m * 4), at * 4, this.path);
      yield buf.subarray(0, m);
    }
  }

  /** Closes the file and lets its write buffer go: called as soon as its last read is done (and again, harmlessly, when the corpus is disposed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buf = new Int32Array(0);
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** values per write of an Int32File */
const INT_CHUNK = 1 << 16;

/**
 * For each of n 96-bit keys (three lanes each, key i at 3i), the index of the first key equal to
 * it (itself when none before it is). A stable radix sort of the indexes on the first lane, then
 * each run of equal first lanes split by the other two: linear, plus the rare runs whose first
 * lanes collide with others'. The sort's two index arrays are a and b when given (at least n long):
 * the answer is one of them, and the other is free for the caller again.
 */
export function firstOfEqualKeys(keys: Int32Array, n: number, a = new Int32Array(n), b = new Int32Array(n), counts = new Int32Array(1 << 16)): Int32Array {
  let order = a;
  let next = b;
  for (let i = 0; i < n; i++) order[i] = i;
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const d = ((keys[i * 3] as number) >>> shift) & 0xffff;
      counts[d] = (counts[d] as number) + 1;
    }
    let sum = 0;
    for (let d = 0; d < counts.length; d++) {
      const c = counts[d] as number;
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const i = order[j] as number;
      const d = ((keys[i * 3] as number) >>> shift) & 0xffff;
      const at = counts[d] as number;
      next[at] = i;
      counts[d] = at + 1;
    }
    const t = order;
    order = next;
    next = t;
  }
  const first = next;
  let start = 0;
  while (start < n) {
    const head = order[start] as number;
    const k0 = keys[head * 3] as number;
    let end = start + 1;
    let same = true;
    while (end < n && keys[(order[end] as number) * 3] === k0) {
      const i = order[end] as number;
      if (keys[i * 3 + 1] !== keys[head * 3 + 1] || keys[i * 3 + 2] !== keys[head * 3 + 2]) same = false;
      end++;
    }
    if (same) {
      // one key (the common case): the run is in index order, its head is everyone's first
      for (let j = start; j < end; j++) first[order[j] as number] = head;
    } else {
      // first lanes that collide: the run by its other lanes, then by index
      const run = Array.from(order.subarray(start, end));
      run.sort((a, b) => (keys[a * 3 + 1] as number) - (keys[b * 3 + 1] as number) || (keys[a * 3 + 2] as number) - (keys[b * 3 + 2] as number) || a - b);
      let lead = run[0] as number;
      for (const i of run) {
        if (keys[i * 3 + 1] !== keys[lead * 3 + 1] || keys[i * 3 + 2] !== keys[lead * 3 + 2]) lead = i;
        first[i] = lead;
      }
    }
    start = end;
  }
  return first;
}

/** 96-bit keys (three lanes) per read when a key file is scanned */
const KEY_READ = 3 << 14;
/** about this many keys are sorted at once by FirstOfEqualKeys */
const KEY_PART = 1 << 15;
/** keys a part's write buffer holds, and answers a part's read buffer holds */
const PART_BUFFER = 64;

/**
 * firstOfEqualKeys of the n 96-bit keys in a file (three lanes each), answered in index order
 * by next(), without the keys, the sort's arrays or the answers for all n at once: the keys go,
 * with their indexes, to one segment per part of a scratch file by the low bits of their first
 * lane (equal keys fall in one part; ~32K keys a part); each part is read back and sorted alone,
 * its answers written to its segment of a second scratch file in index order; next() reads the key
 * file again to know which part record i is in and takes that part's next answer. Memory: ~24
 * bytes a key of the largest part, and ~1.3 KB of buffers a part.
 */
export class FirstOfEqualKeys {
  private readonly parts: number;
  private readonly mask: number;
  /** scratch files: the parts' keys (four lanes: three of the key, the index), then their answers */
  private readonly keysFd: number;
  private readonly answersFd: number;
  /** by part: its segment's first entry, and the answers taken from it */
  private readonly start: Float64Array;
  private readonly taken: Float64Array;
  /** by part: PART_BUFFER answers read ahead, and where the part is in them */
  private readonly ahead: Int32Array;
  private readonly aheadBytes: Buffer;
  private readonly aheadAt: Int32Array;
  private readonly aheadEnd: Int32Array;
  private readonly chunks: Generator<Int32Array>;
  /** by part: its keys */
  private readonly count: Float64Array;
  private chunk: Int32Array = new Int32Array(0);
  private at = 0;
  private closed = false;

  /** dir: where the scratch files go (os.tmpdir() when not given); they are unlinked at once */
  constructor(file: Int32File, n: number, dir?: string) {
    let parts = 1;
    while (n > parts * KEY_PART) parts *= 2;
    this.parts = parts;
    const mask = (this.mask = parts - 1);
    this.keysFd = openScratch(dir);
    try {
      this.answersFd = openScratch(dir);
    } catch (err) {
      closeQuietly(this.keysFd);
      throw err;
    }
    try {
      const read = new Int32Array(KEY_READ);
      // the parts' sizes, then their segments
      const count = new Float64Array(parts);
      for (const chunk of file.chunks(KEY_READ, read)) {
        for (let j = 0; j < chunk.length; j += 3) {
          const p = (chunk[j] as number) & mask;
          count[p] = (count[p] as number) + 1;
        }
      }
      this.start = new Float64Array(parts);
      let largest = 0;
      for (let p = 0, sum = 0; p < parts; p++) {
        this.start[p] = sum;
        sum += count[p] as number;
        largest = Math.max(largest, count[p] as number);
      }
      // the keys to their parts' segments, through a small buffer a part
      const out = new Int32Array(parts * PART_BUFFER * 4);
      const outBytes = Buffer.from(out.buffer);
      const filled = new Int32Array(parts);
      const written = new Float64Array(parts);
      const flush = (p: number): void => {
        const bytes = (filled[p] as number) * 16;
        writeAt(this.keysFd, outBytes, p * PART_BUFFER * 16, bytes, ((this.start[p] as number) + (written[p] as number)) * 16);
        written[p] = (written[p] as number) + (filled[p] as number);
        filled[p] = 0;
      };
      let i = 0;
      for (const chunk of file.chunks(KEY_READ, read)) {
        for (let j = 0; j < chunk.length; j += 3, i++) {
          const k0 = chunk[j] as number;
          const p = k0 & mask;
          const at = (p * PART_BUFFER + (filled[p] as number)) * 4;
          out[at] = k0;
          out[at + 1] = chunk[j + 1] as number;
          out[at + 2] = chunk[j + 2] as number;
          out[at + 3] = i;
          filled[p] = (filled[p] as number) + 1;
          if (filled[p] === PART_BUFFER) flush(p);
        }
      }
      for (let p = 0; p < parts; p++) if ((filled[p] as number) > 0) flush(p);
      // each part sorted alone; its answers (in index order, as its keys are) to its segment
      const entries = new Int32Array(largest * 4);
      const entryBytes = Buffer.from(entries.buffer);
      const keys = new Int32Array(largest * 3);
      const index = new Int32Array(largest);
      const a = new Int32Array(largest);
      const b = new Int32Array(largest);
      const counts = new Int32Array(1 << 16);
      for (let p = 0; p < parts; p++) {
        const m = count[p] as number;
        if (m === 0) continue;
        readAll(this.keysFd, entryBytes.subarray(0, m * 16), (this.start[p] as number) * 16, 'key parts');
        for (let j = 0; j < m; j++) {
          keys[j * 3] = entries[j * 4] as number;
          keys[j * 3 + 1] = entries[j * 4 + 1] as number;
          keys[j * 3 + 2] = entries[j * 4 + 2] as number;
          index[j] = entries[j * 4 + 3] as number;
        }
        // the part's keys are in file order, so the first of equal ones in the part is the first of all
        const local = firstOfEqualKeys(keys, m, a, b, counts);
        // the answers into the entries' buffer (its first m ints are read already)
        for (let j = 0; j < m; j++) entries[j] = index[local[j] as number] as number;
        writeAt(this.answersFd, entryBytes, 0, m * 4, (this.start[p] as number) * 4);
      }
      this.ahead = new Int32Array(parts * PART_BUFFER);
      this.aheadBytes = Buffer.from(this.ahead.buffer);
      this.aheadAt = new Int32Array(parts);
      this.aheadEnd = new Int32Array(parts);
      this.taken = new Float64Array(parts);
      this.count = count;
      this.chunks = file.chunks(KEY_READ, read);
    } catch (err) {
      // both are unlinked, so an open descriptor keeps its disk space; the caller never gets this object to close them
      closeQuietly(this.keysFd);
      closeQuietly(this.answersFd);
      throw err;
    }
    closeSync(this.keysFd);
  }

  /** the first record with record i's key, for i = 0, 1, ... n - 1 in turn */
  next(): number {
    if (this.at === this.chunk.length) {
      const r = this.chunks.next();
      if (r.done === true) throw new Error('FirstOfEqualKeys read past its keys');
      this.chunk = r.value;
      this.at = 0;
    }
    const p = (this.chunk[this.at] as number) & this.mask;
    this.at += 3;
    let k = this.aheadAt[p] as number;
    if (k === this.aheadEnd[p]) {
      const taken = this.taken[p] as number;
      const m = Math.min(PART_BUFFER, (this.count[p] as number) - taken);
      readAll(this.answersFd, this.aheadBytes.subarray(p * PART_BUFFER * 4, (p * PART_BUFFER + m) * 4), ((this.start[p] as number) + taken) * 4, 'key answers');
      this.taken[p] = taken + m;
      k = 0;
      this.aheadEnd[p] = m;
    }
    this.aheadAt[p] = k + 1;
    return this.ahead[p * PART_BUFFER + k] as number;
  }

  /** Lets the scratch file go (it was unlinked when made) and stops reading the key file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks.return(undefined);
    try {
      closeSync(this.answersFd);
    } catch {
      // already closed
    }
  }
}

/**
 * firstOfEqualKeys of the n 96-bit keys in a file (three lanes each), into `first` (at least n
 * long, or a paged column, written in index order): FirstOfEqualKeys' answers, all of them.
 */
export function firstOfEqualKeysInFile<T extends Int32Array | PagedInt32Column>(file: Int32File, n: number, first: T, dir?: string): T {
  const stream = new FirstOfEqualKeys(file, n, dir);
  try {
    if (first instanceof PagedInt32Column) for (let i = 0; i < n; i++) first.set(i, stream.next());
    else for (let i = 0; i < n; i++) (first as Int32Array)[i] = stream.next();
  } finally {
    stream.close();
  }
  return first;
}

/** about this many values of each file are sorted at once by valuesInBoth */
const VALUE_PART = 1 << 18;
/** values per read when valuesInBoth scans a file */
const VALUE_READ = 1 << 14;

/**
 * The distinct values found in both files, ascending (the hashes a join finds on both sides),
 * without either file's values all at once: the values are taken a part at a time by their low
 * bits (equal values fall in one part), each part of each file sorted alone and the two merged.
 * Memory: the answer and ~4 bytes a value of the largest part; each file is scanned once per part.
 */
export function valuesInBoth(a: Int32File, b: Int32File, part = VALUE_PART): Int32Array {
  let parts = 1;
  while (parts < 1 << 16 && Math.max(a.length, b.length) > parts * part) parts *= 2;
  const mask = parts - 1;
  const read = new Int32Array(VALUE_READ);
  let x: Int32Array = new Int32Array(Math.min(a.length, part + (part >>> 2)) + 1);
  let y: Int32Array = new Int32Array(Math.min(b.length, part + (part >>> 2)) + 1);
  const both: number[] = [];
  // one part of a file's values into `into` (grown when the part is larger than it): how many
  const collect = (file: Int32File, p: number, into: Int32Array): [Int32Array, number] => {
    let m = 0;
    for (const chunk of file.chunks(VALUE_READ, read)) {
      for (let j = 0; j < chunk.length; j++) {
        const v = chunk[j] as number;
        if ((v & mask) !== p) continue;
        if (m === into.length) {
          const grown = new Int32Array(into.length * 2);
          grown.set(into);
          into = grown;
        }
        into[m++] = v;
      }
    }
    return [into, m];
  };
  for (let p = 0; p < parts; p++) {
    let m: number;
    let k: number;
    [x, m] = collect(a, p, x);
    if (m === 0) continue;
    [y, k] = collect(b, p, y);
    if (k === 0) continue;
    const xs = x.subarray(0, m).sort();
    const ys = y.subarray(0, k).sort();
    let i = 0;
    let j = 0;
    while (i < m && j < k) {
      const u = xs[i] as number;
      const w = ys[j] as number;
      if (u < w) i++;
      else if (w < u) j++;
      else {
        both.push(u);
        while (i < m && xs[i] === u) i++;
        while (j < k && ys[j] === u) j++;
      }
    }
  }
  return Int32Array.from(both).sort();
}

/** The post of each observation in turn, from each post's first observation: asked in order, it walks forward. */
export class PostOfObservation {
  private p = 0;
  private readonly posts: number;

  /** firsts: by position, the post's first observation; n: the observations */
  constructor(
    private readonly firsts: { readonly length: number; get(i: number): number },
    private readonly n: number,
  ) {
    this.posts = firsts.length;
  }

  /** the post of observation i (i not below any asked before) */
  at(i: number): number {
    while (this.p + 1 < this.posts && this.firsts.get(this.p + 1) <= i) this.p++;
    return this.p;
  }

  /** whether observation i is one of post p's */
  holds(p: number, i: number): boolean {
    return i >= this.firsts.get(p) && i < (p + 1 < this.posts ? this.firsts.get(p + 1) : this.n);
  }
}

/** bytes written at once; records are copied or encoded into it as they come, so their strings die young */
const WRITE_CHUNK = 1 << 20;
/** bytes read at once when records are read back in order (strings() decodes one record at a time, so the chunk makes no large string) */
const RECORD_READ_CHUNK = 1 << 20;

/** A record as read back: bytes[start, end), valid until the reader moves on. */
export interface RecordView {
  bytes: Buffer;
  start: number;
  end: number;
  index: number;
}

/** a RecordFile keeps the byte offset of every 2^OFFSET_EVERY_BITS-th record, and each record's length */
const OFFSET_EVERY_BITS = 6;
const OFFSET_EVERY = 1 << OFFSET_EVERY_BITS;

/**
 * An append-only file of binary records, written in large sequential chunks; each record's length
 * is kept in a PagedInt32Column (4 bytes a record on disk), and the offset of every 64th in memory
 * (a record's offset is that plus the lengths between), so records are read back in order in large chunks, or one by index, without a
 * separator to scan for.
 */
export class RecordFile {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(WRITE_CHUNK);
  private used = 0;
  private bytes = 0;
  /** each record's length, on disk */
  private readonly lengths: PagedInt32Column;
  /** the offset of record k * OFFSET_EVERY */
  private readonly offsets = new Float64List();
  private closedForWrite = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w+');
    try {
      this.lengths = new PagedInt32Column(`${path}.lengths`, BLOCK_PAGES);
    } catch (err) {
      // the corpus never gets this object to close it
      closeQuietly(this.fd);
      throw err;
    }
  }

  get count(): number {
    return this.lengths.length;
  }

  /** a new record of this many bytes starts at the end of the file */
  private begin(length: number): void {
    if ((this.lengths.length & (OFFSET_EVERY - 1)) === 0) this.offsets.push(this.bytes);
    this.lengths.push(length);
  }

  append(src: Uint8Array, length: number): void {
    this.begin(length);
    if (this.used + length > this.buf.length) {
      this.flush();
      if (length > this.buf.length) {
        writeAll(this.fd, src, length);
        this.bytes += length;
        return;
      }
    }
    this.buf.set(src.subarray(0, length), this.used);
    this.used += length;
    this.bytes += length;
  }

  /** A string as one record, in UTF-8, encoded straight into the write buffer. */
  appendString(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    const room = s.length * 3;
    if (this.used + room > this.buf.length) {
      this.flush();
      if (room > this.buf.length) {
        const bytes = Buffer.from(s, 'utf8');
        this.begin(bytes.length);
        writeAll(this.fd, bytes, bytes.length);
        this.bytes += bytes.length;
        return;
      }
    }
    const n = this.buf.write(s, this.used);
    this.begin(n);
    this.used += n;
    this.bytes += n;
  }

  private flush(): void {
    writeAll(this.fd, this.buf, this.used);
    this.used = 0;
  }

  finishWrites(): void {
    if (this.closedForWrite) return;
    this.flush();
    this.closedForWrite = true;
    this.buf = Buffer.alloc(0);
  }

  private offsetOf(i: number): number {
    let at = this.offsets.get(i >>> OFFSET_EVERY_BITS);
    for (let j = i & ~(OFFSET_EVERY - 1); j < i; j++) at += this.lengths.get(j);
    return at;
  }

  /** The first bytes of record i (after finishWrites), as many as `into` holds: how many were read. */
  readHead(i: number, into: Buffer): number {
    const n = Math.min(this.lengths.get(i), into.length);
    readAll(this.fd, into.subarray(0, n), this.offsetOf(i), this.path);
    return n;
  }

  /** The record at index i (after finishWrites). */
  read(i: number): Buffer {
    const buf = Buffer.allocUnsafe(this.lengths.get(i));
    readAll(this.fd, buf, this.offsetOf(i), this.path);
    return buf;
  }

  /** Every record in order, read in large chunks; the view yielded is reused. */
  *records(): Generator<RecordView> {
    this.finishWrites();
    const n = this.lengths.length;
    const chunk = Buffer.allocUnsafe(RECORD_READ_CHUNK);
    const view: RecordView = { bytes: chunk, start: 0, end: 0, index: 0 };
    let i = 0;
    // the offset of record i
    let at = 0;
    while (i < n) {
      const size = this.lengths.get(i);
      if (size > chunk.length) {
        view.bytes = Buffer.allocUnsafe(size);
        readAll(this.fd, view.bytes, at, this.path);
        view.start = 0;
        view.end = size;
        view.index = i++;
        at += size;
        yield view;
        continue;
      }
      const from = at;
      const want = Math.min(chunk.length, this.bytes - from);
      readAll(this.fd, chunk.subarray(0, want), from, this.path);
      view.bytes = chunk;
      for (; i < n; i++) {
        const end = at + this.lengths.get(i);
        if (end - from > want) break;
        view.start = at - from;
        view.end = end - from;
        view.index = i;
        at = end;
        yield view;
      }
    }
  }

  /** Every record in order as a string (records written with appendString). */
  *strings(): Generator<string> {
    for (const r of this.records()) yield r.bytes.toString('utf8', r.start, r.end);
  }

  close(): void {
    this.lengths.close();
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/**
 * An append-only file of strings read back only in order: each is its UTF-8 bytes behind a 4-byte
 * length, so nothing per string stays in memory (a RecordFile keeps 4 bytes a record to find
 * records by index).
 */
export class StringStream {
  private readonly fd: number;
  /** made at the first append (a corpus makes its thread names' file long before it writes to it) */
  private buf = Buffer.alloc(0);
  private reading = false;
  private used = 0;
  private bytes = 0;
  private written = 0;

  /** encoding: 'utf16le' keeps lone surrogates (UTF-8 turns them into U+FFFD), for raw strings such as thread names */
  constructor(
    readonly path: string,
    private readonly encoding: 'utf8' | 'utf16le' = 'utf8',
  ) {
    this.fd = openSync(path, 'w+');
  }

  get count(): number {
    return this.written;
  }

  append(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit (UTF-16 2)
    const room = 4 + s.length * 3;
    if (!this.reading && this.buf.length === 0) this.buf = Buffer.allocUnsafe(WRITE_CHUNK);
    if (this.used + room > this.buf.length) {
      this.flush();
      if (room > this.buf.length) {
        const bytes = Buffer.from(s, this.encoding);
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32LE(bytes.length, 0);
        writeAll(this.fd, head, 4);
        writeAll(this.fd, bytes, bytes.length);
        this.bytes += 4 + bytes.length;
        this.written++;
        return;
      }
    }
    const n = this.buf.write(s, this.used + 4, this.encoding);
    this.buf.writeUInt32LE(n, this.used);
    this.used += 4 + n;
    this.bytes += 4 + n;
    this.written++;
  }

  private flush(): void {
    writeAll(this.fd, this.buf, this.used);
    this.used = 0;
  }

  /** Every string in order, read in large chunks (the file stays as it is; no more appends after). */
  *strings(): Generator<string> {
    this.flush();
    this.reading = true;
    this.buf = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(RECORD_READ_CHUNK);
    // the file offset of chunk[0], the bytes read into it, the next string's offset
    let from = 0;
    let have = 0;
    let at = 0;
    const fill = (): void => {
      from = at;
      have = Math.min(chunk.length, this.bytes - at);
      readAll(this.fd, chunk.subarray(0, have), from, this.path);
    };
    for (let k = 0; k < this.written; k++) {
      if (at + 4 > from + have) fill();
      const length = chunk.readUInt32LE(at - from);
      const start = at + 4;
      at = start + length;
      if (at > from + have) {
        if (4 + length > chunk.length) {
          const big = Buffer.allocUnsafe(length);
          readAll(this.fd, big, start, this.path);
          yield big.toString(this.encoding);
          continue;
        }
        at = start - 4;
        fill();
        at = start + length;
      }
      yield chunk.toString(this.encoding, start - from, at - from);
    }
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** closeSync, for a descriptor that may be closed already */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** length bytes of src from `from` written at the file's `position` */
function writeAt(fd: number, src: Uint8Array, from: number, length: number, position: number): void {
  let off = 0;
  while (off < length) off += writeSync(fd, src, from + off, length - off, position + off);
}

function writeAll(fd: number, src: Uint8Array, length: number): void {
  let off = 0;
  while (off < length) off += writeSync(fd, src, off, length - off);
}

function readAll(fd: number, into: Buffer, position: number, path: string): void {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) throw new Error(`spill file ${path} is shorter than written`);
    got += n;
  }
}
