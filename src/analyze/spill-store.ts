// The pieces a spilling corpus keeps its per-observation facts in, besides the growable typed
// arrays of src/correlate/typed-lists.ts: a table of id strings packed into one buffer, a hash
// table of 96-bit key hashes, and an append-only file of records (bytes or UTF-8 strings) read back
// in order or by index, found by their offsets.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { Float64List, Int32List, Uint8List } from '../correlate/typed-lists.js';

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
 * Observation ids by index: `obs-` and 16 hex digits (what stableId makes) as two 32-bit numbers,
 * 9 bytes an id; anything else in a StringTable.
 */
export class IdTable {
  private readonly hi = new Int32List();
  private readonly lo = new Int32List();
  private readonly packed = new Uint8List();
  private readonly others = new StringTable();

  push(id: string): void {
    if (id.length === 20 && id.startsWith('obs-')) {
      const h = hexWord(id, 4);
      const l = hexWord(id, 12);
      if (h !== null && l !== null) {
        this.hi.push(h);
        this.lo.push(l);
        this.packed.push(1);
        return;
      }
    }
    this.hi.push(0);
    this.lo.push(this.others.push(id));
    this.packed.push(0);
  }

  get(i: number): string {
    if (this.packed.get(i) === 0) return this.others.get(this.lo.get(i));
    const h = this.hi.get(i);
    const l = this.lo.get(i);
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

/** 8 lower-case hex digits at `at` as a 32-bit number, or null */
function hexWord(s: string, at: number): number | null {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return null;
    v = (v << 4) | d;
  }
  return v;
}

/** sub-tables of a HashIntTable, chosen by a key's top bits */
const SUB_BITS = 8;
const SUBS = 1 << SUB_BITS;
/** slots of one sub-table: below 2^23, so a slot number (local << SUB_BITS | sub) stays an int32 */
const MAX_SUB_CAP = 1 << 23;

/**
 * An open-addressing table from 96-bit key hashes to small ints (-1: absent). Keys are never
 * removed. Memory: 16 bytes a slot, at most 3/4 full. It is 256 tables, one per top byte of a
 * key, each growing by half on its own: growing never copies the whole table (nor holds two whole
 * copies at once), and the slots overshoot the keys by less than a table that doubles.
 */
export class HashIntTable {
  private readonly caps = new Int32Array(SUBS).fill(16);
  private readonly sizes = new Int32Array(SUBS);
  private readonly hs: Int32Array[] = [];
  private readonly vs: Int32Array[] = [];

  constructor() {
    for (let t = 0; t < SUBS; t++) {
      this.hs.push(new Int32Array(16 * 3));
      this.vs.push(new Int32Array(16).fill(-1));
    }
  }

  /** the slot of the key: where it is, or the empty slot it would go in */
  find(k: Int32Array): number {
    const k0 = k[0] as number;
    const k1 = k[1] as number;
    const k2 = k[2] as number;
    const t = k1 >>> (32 - SUB_BITS);
    const cap = this.caps[t] as number;
    const h = this.hs[t] as Int32Array;
    const v = this.vs[t] as Int32Array;
    // the first lane scaled to the table (any size, not only powers of two)
    let i = Math.floor((k0 >>> 0) * (cap / 4294967296));
    for (;;) {
      if (v[i] === -1) return (i << SUB_BITS) | t;
      const j = i * 3;
      if (h[j] === k0 && h[j + 1] === k1 && h[j + 2] === k2) return (i << SUB_BITS) | t;
      if (++i === cap) i = 0;
    }
  }

  valueAt(slot: number): number {
    return (this.vs[slot & (SUBS - 1)] as Int32Array)[slot >>> SUB_BITS] as number;
  }

  /** puts the key in an empty slot found by find() since the last put or reserve */
  putAt(slot: number, k: Int32Array, value: number): void {
    const t = slot & (SUBS - 1);
    const i = slot >>> SUB_BITS;
    const h = this.hs[t] as Int32Array;
    const j = i * 3;
    h[j] = k[0] as number;
    h[j + 1] = k[1] as number;
    h[j + 2] = k[2] as number;
    (this.vs[t] as Int32Array)[i] = value;
    this.sizes[t] = (this.sizes[t] as number) + 1;
  }

  /** makes room for n more keys in the table of key k (slots found before a reserve are stale) */
  reserve(k: Int32Array, n: number): void {
    const t = (k[1] as number) >>> (32 - SUB_BITS);
    const size = this.sizes[t] as number;
    const oldCap = this.caps[t] as number;
    if ((size + n) * 4 <= oldCap * 3) return;
    const cap = Math.ceil(Math.max(oldCap * 1.5, ((size + n) * 4) / 3 + 1));
    if (cap > MAX_SUB_CAP) throw new Error('duplicate-key table full');
    const oldH = this.hs[t] as Int32Array;
    const oldV = this.vs[t] as Int32Array;
    const h = new Int32Array(cap * 3);
    const v = new Int32Array(cap).fill(-1);
    for (let i = 0; i < oldCap; i++) {
      const value = oldV[i] as number;
      if (value === -1) continue;
      const k0 = oldH[i * 3] as number;
      let j = Math.floor((k0 >>> 0) * (cap / 4294967296));
      while (v[j] !== -1) if (++j === cap) j = 0;
      h[j * 3] = k0;
      h[j * 3 + 1] = oldH[i * 3 + 1] as number;
      h[j * 3 + 2] = oldH[i * 3 + 2] as number;
      v[j] = value;
    }
    this.hs[t] = h;
    this.vs[t] = v;
    this.caps[t] = cap;
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

/**
 * An append-only file of binary records, written in large sequential chunks; each record's byte
 * offset is kept, so records are read back in order in large chunks, or one by index, without a
 * separator to scan for.
 */
export class RecordFile {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(WRITE_CHUNK);
  private used = 0;
  private bytes = 0;
  private readonly offsets = new Float64List();
  private closedForWrite = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w+');
  }

  get count(): number {
    return this.offsets.length;
  }

  append(src: Uint8Array, length: number): void {
    this.offsets.push(this.bytes);
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
        this.offsets.push(this.bytes);
        writeAll(this.fd, bytes, bytes.length);
        this.bytes += bytes.length;
        return;
      }
    }
    this.offsets.push(this.bytes);
    const n = this.buf.write(s, this.used);
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

  private endOf(i: number): number {
    return i + 1 < this.offsets.length ? this.offsets.get(i + 1) : this.bytes;
  }

  /** The record at index i (after finishWrites). */
  read(i: number): Buffer {
    const start = this.offsets.get(i);
    const buf = Buffer.allocUnsafe(this.endOf(i) - start);
    readAll(this.fd, buf, start, this.path);
    return buf;
  }

  /** Every record in order, read in large chunks; the view yielded is reused. */
  *records(): Generator<RecordView> {
    this.finishWrites();
    const n = this.offsets.length;
    const chunk = Buffer.allocUnsafe(RECORD_READ_CHUNK);
    const view: RecordView = { bytes: chunk, start: 0, end: 0, index: 0 };
    let i = 0;
    while (i < n) {
      const from = this.offsets.get(i);
      const size = this.endOf(i) - from;
      if (size > chunk.length) {
        view.bytes = this.read(i);
        view.start = 0;
        view.end = size;
        view.index = i++;
        yield view;
        continue;
      }
      const want = Math.min(chunk.length, this.bytes - from);
      readAll(this.fd, chunk.subarray(0, want), from, this.path);
      view.bytes = chunk;
      for (; i < n; i++) {
        const end = this.endOf(i) - from;
        if (end > want) break;
        view.start = this.offsets.get(i) - from;
        view.end = end;
        view.index = i;
        yield view;
      }
    }
  }

  /** Every record in order as a string (records written with appendString). */
  *strings(): Generator<string> {
    for (const r of this.records()) yield r.bytes.toString('utf8', r.start, r.end);
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
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
