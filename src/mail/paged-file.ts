// Arrays on disk behind a small cache of pages, for the per-post state of a large archive's
// thread index: a file is read and written at page offsets (positional reads and writes; the
// kernel's page cache holds the file, not the process's heap), and only a fixed number of pages
// stay in memory, so what the process holds does not grow with the archive. A file smaller than
// the cache never touches the disk. The accesses these serve are mostly near the end (appends,
// parents a few posts back) or in order, which a direct-mapped cache of consecutive pages keeps.

import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { Float64List, Int32List } from '../correlate/typed-lists.js';

/** bytes per page (a power of two, a multiple of 8 so no aligned value spans two pages) */
const PAGE_BITS = 12;
const PAGE_BYTES = 1 << PAGE_BITS;
/** pages a file keeps in memory unless told otherwise (256 KB) */
const DEFAULT_CACHE_PAGES = 64;

/**
 * A file of bytes addressed by offset, growing as written, behind a direct-mapped cache of
 * `cachePages` pages (a power of two; page k lives in slot k mod cachePages). A page evicted dirty
 * is written back; bytes never written read as 0.
 */
export class PagedFile {
  private fd: number;
  private readonly slotMask: number;
  /** the cached pages, slot by slot; its memory is touched only as slots fill */
  private readonly mem: Buffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** by slot: the page it holds, -1 for none */
  private readonly tags: Int32Array;
  private readonly dirty: Uint8Array;
  /** bytes of the file on disk (every page below this was written there once) */
  private diskBytes = 0;
  private closed = false;

  constructor(
    readonly path: string,
    cachePages = DEFAULT_CACHE_PAGES,
  ) {
    if (cachePages < 1 || (cachePages & (cachePages - 1)) !== 0) throw new Error(`cachePages must be a power of two: ${cachePages}`);
    this.fd = openSync(path, 'w+');
    this.slotMask = cachePages - 1;
    this.mem = Buffer.allocUnsafeSlow(cachePages * PAGE_BYTES);
    this.i32 = new Int32Array(this.mem.buffer, this.mem.byteOffset, this.mem.length >>> 2);
    this.f64 = new Float64Array(this.mem.buffer, this.mem.byteOffset, this.mem.length >>> 3);
    this.tags = new Int32Array(cachePages).fill(-1);
    this.dirty = new Uint8Array(cachePages);
  }

  /** The byte offset in `mem` (or i32/f64 times their width) where the byte at `at` of the file is cached, its page loaded. */
  at(at: number, write: boolean): number {
    const page = Math.floor(at / PAGE_BYTES);
    const slot = page & this.slotMask;
    if (this.tags[slot] !== page) this.load(slot, page);
    if (write) this.dirty[slot] = 1;
    return slot * PAGE_BYTES + (at - page * PAGE_BYTES);
  }

  /** The cached bytes of the page holding `at` (a view valid until the next access), from `at` to the page's end. */
  bytesFrom(at: number): Buffer {
    const i = this.at(at, false);
    const end = (Math.floor(i / PAGE_BYTES) + 1) * PAGE_BYTES;
    return this.mem.subarray(i, end);
  }

  /** `length` bytes from `src` written at `at` (they may span pages). */
  write(at: number, src: Buffer, length: number): void {
    let done = 0;
    while (done < length) {
      const i = this.at(at + done, true);
      const room = PAGE_BYTES - (i & (PAGE_BYTES - 1));
      const n = Math.min(room, length - done);
      src.copy(this.mem, i, done, done + n);
      done += n;
    }
  }

  /** `length` bytes at `at` copied into `into` (they may span pages). */
  read(at: number, into: Buffer, length: number): void {
    let done = 0;
    while (done < length) {
      const i = this.at(at + done, false);
      const room = PAGE_BYTES - (i & (PAGE_BYTES - 1));
      const n = Math.min(room, length - done);
      this.mem.copy(into, done, i, i + n);
      done += n;
    }
  }

  private load(slot: number, page: number): void {
    if (this.closed) throw new Error(`paged file ${this.path} is closed`);
    const held = this.tags[slot] as number;
    const base = slot * PAGE_BYTES;
    if (held >= 0 && this.dirty[slot] === 1) {
      const at = held * PAGE_BYTES;
      let off = 0;
      while (off < PAGE_BYTES) off += writeSync(this.fd, this.mem, base + off, PAGE_BYTES - off, at + off);
      if (at + PAGE_BYTES > this.diskBytes) this.diskBytes = at + PAGE_BYTES;
    }
    const from = page * PAGE_BYTES;
    const have = Math.max(0, Math.min(PAGE_BYTES, this.diskBytes - from));
    let got = 0;
    while (got < have) {
      const n = readSync(this.fd, this.mem, base + got, have - got, from + got);
      if (n === 0) throw new Error(`paged file ${this.path} is shorter than written`);
      got += n;
    }
    if (got < PAGE_BYTES) this.mem.fill(0, base + got, base + PAGE_BYTES);
    this.tags[slot] = page;
    this.dirty[slot] = 0;
  }

  /** Closes and removes the file (its pages are let go with this object). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.path, { force: true });
  }
}

/** A growable column of numbers: Int32List in memory, or PagedInt32Column on disk. */
export interface Int32Column {
  readonly length: number;
  push(v: number): void;
  get(i: number): number;
  set(i: number, v: number): void;
  /** lets its storage go (a no-op in memory) */
  close(): void;
}

export interface Float64Column {
  readonly length: number;
  push(v: number): void;
  get(i: number): number;
  close(): void;
}

/** An Int32List on a PagedFile; a slot never written reads as `fill`. */
export class PagedInt32Column implements Int32Column {
  length = 0;
  private readonly file: PagedFile;

  /** fill: what an element never written reads as (stored as v ^ fill, so the file's zeros read as fill) */
  constructor(
    path: string,
    cachePages = DEFAULT_CACHE_PAGES,
    private readonly fill = 0,
  ) {
    this.file = new PagedFile(path, cachePages);
  }

  push(v: number): void {
    this.set(this.length, v);
    this.length++;
  }

  get(i: number): number {
    return ((this.file.i32[this.file.at(i * 4, false) >>> 2] as number) ^ this.fill) | 0;
  }

  set(i: number, v: number): void {
    this.file.i32[this.file.at(i * 4, true) >>> 2] = v ^ this.fill;
  }

  close(): void {
    this.file.close();
  }
}

export class PagedFloat64Column implements Float64Column {
  length = 0;
  private readonly file: PagedFile;

  constructor(path: string, cachePages = DEFAULT_CACHE_PAGES) {
    this.file = new PagedFile(path, cachePages);
  }

  push(v: number): void {
    this.file.f64[this.file.at(this.length * 8, true) >>> 3] = v;
    this.length++;
  }

  get(i: number): number {
    return this.file.f64[this.file.at(i * 8, false) >>> 3] as number;
  }

  close(): void {
    this.file.close();
  }
}

/** Int32List as an Int32Column */
export class MemoryInt32Column extends Int32List implements Int32Column {
  close(): void {}
}

/** Float64List as a Float64Column */
export class MemoryFloat64Column extends Float64List implements Float64Column {
  close(): void {}
}
