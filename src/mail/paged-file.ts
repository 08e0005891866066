// Arrays on disk behind a small cache of pages: the spilling corpus's per-post and
// per-observation state and a large archive's thread index. A file is read and written at page
// offsets (positional reads and writes; the kernel's page cache holds the file, not the process's
// heap), and only a fixed number of pages stay in memory, so what the process holds does not grow
// with the archive. A file smaller than the cache never touches the disk. The accesses these serve
// are mostly near the end (appends, parents a few posts back), in order, or near the last ones,
// which a direct-mapped cache of consecutive pages keeps.

import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float64List, Int32List } from '../correlate/typed-lists.js';

/** log2 of the bytes per page unless told otherwise (4 KB) */
const DEFAULT_PAGE_BITS = 12;
/** the smallest page: 8 bytes, so no aligned value spans two pages */
const MIN_PAGE_BITS = 3;
const MAX_PAGE_BITS = 24;
/** pages a file keeps in memory unless told otherwise (256 KB) */
const DEFAULT_CACHE_PAGES = 64;

/** A new file in dir (os.tmpdir() when not given), unlinked at once: gone when its descriptor is closed. */
export function openScratch(dir?: string): number {
  const path = join(dir ?? tmpdir(), `listwatch-scratch-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(path, 'w+');
  try {
    unlinkSync(path);
  } catch {
    // left behind
  }
  return fd;
}

/** How a paged file keeps its pages: `cachePages` (a power of two) of 2^pageBits bytes. */
export interface PageOptions {
  cachePages?: number;
  pageBits?: number;
}

/**
 * A file of bytes addressed by offset, growing as written, behind a direct-mapped cache of pages
 * (page k lives in slot k mod cachePages). A page evicted dirty is written back; bytes never
 * written read as 0. Without a path the file is unnamed (made in os.tmpdir() and unlinked at once).
 */
export class PagedFile {
  private readonly fd: number;
  private readonly pageBits: number;
  private readonly pageBytes: number;
  private readonly slotMask: number;
  /** the cached pages, slot by slot; its memory is touched only as slots fill */
  private mem: Buffer;
  i32: Int32Array;
  f64: Float64Array;
  /** by slot: the page it holds, -1 for none (-2 once closed: every access then loads, which throws) */
  private readonly tags: Int32Array;
  private readonly dirty: Uint8Array;
  /** bytes of the file on disk (every page below this was written there once) */
  private diskBytes = 0;
  private closed = false;

  constructor(
    readonly path: string | undefined,
    { cachePages = DEFAULT_CACHE_PAGES, pageBits = DEFAULT_PAGE_BITS }: PageOptions = {},
  ) {
    if (cachePages < 1 || (cachePages & (cachePages - 1)) !== 0) throw new Error(`cachePages must be a power of two: ${cachePages}`);
    if (!Number.isInteger(pageBits) || pageBits < MIN_PAGE_BITS || pageBits > MAX_PAGE_BITS) throw new Error(`pageBits must be ${MIN_PAGE_BITS}-${MAX_PAGE_BITS}: ${pageBits}`);
    this.pageBits = pageBits;
    this.pageBytes = 1 << pageBits;
    this.slotMask = cachePages - 1;
    this.tags = new Int32Array(cachePages).fill(-1);
    this.dirty = new Uint8Array(cachePages);
    this.fd = path === undefined ? openScratch() : openSync(path, 'w+');
    try {
      this.mem = Buffer.allocUnsafeSlow(cachePages * this.pageBytes);
    } catch (err) {
      // the caller never gets this object to close the file
      closeSync(this.fd);
      throw err;
    }
    this.i32 = new Int32Array(this.mem.buffer, this.mem.byteOffset, this.mem.length >>> 2);
    this.f64 = new Float64Array(this.mem.buffer, this.mem.byteOffset, this.mem.length >>> 3);
  }

  /** The byte offset in `mem` (or i32/f64 times their width) where the byte at `at` of the file is cached, its page loaded. */
  at(at: number, write: boolean): number {
    // a shift below 2 GB (the hot path), a division past it
    const page = at < 0x80000000 ? at >>> this.pageBits : Math.floor(at / this.pageBytes);
    const slot = page & this.slotMask;
    if (this.tags[slot] !== page) this.load(slot, page);
    if (write) this.dirty[slot] = 1;
    return slot * this.pageBytes + (at - page * this.pageBytes);
  }

  /** The cached bytes of the page holding `at` (a view valid until the next access), from `at` to the page's end. */
  bytesFrom(at: number): Buffer {
    const i = this.at(at, false);
    const end = (Math.floor(i / this.pageBytes) + 1) * this.pageBytes;
    return this.mem.subarray(i, end);
  }

  /** `length` bytes from `src` written at `at` (they may span pages). */
  write(at: number, src: Buffer, length: number): void {
    this.copy(at, src, length, true);
  }

  /** `length` bytes at `at` copied into `into` (they may span pages). */
  read(at: number, into: Buffer, length: number): void {
    this.copy(at, into, length, false);
  }

  /** `length` bytes between the file at `at` and `buf`, a page at a time: into the file when `toFile`, else out of it. */
  private copy(at: number, buf: Buffer, length: number, toFile: boolean): void {
    let done = 0;
    while (done < length) {
      const i = this.at(at + done, toFile);
      const n = Math.min(this.pageBytes - (i & (this.pageBytes - 1)), length - done);
      if (toFile) buf.copy(this.mem, i, done, done + n);
      else this.mem.copy(buf, done, i, i + n);
      done += n;
    }
  }

  private load(slot: number, page: number): void {
    if (this.closed) throw new Error(`paged file ${this.path ?? '(unnamed)'} is closed`);
    const size = this.pageBytes;
    const held = this.tags[slot] as number;
    const base = slot * size;
    if (held >= 0 && this.dirty[slot] === 1) {
      const at = held * size;
      let off = 0;
      while (off < size) off += writeSync(this.fd, this.mem, base + off, size - off, at + off);
      if (at + size > this.diskBytes) this.diskBytes = at + size;
    }
    const from = page * size;
    const have = Math.max(0, Math.min(size, this.diskBytes - from));
    let got = 0;
    while (got < have) {
      const n = readSync(this.fd, this.mem, base + got, have - got, from + got);
      if (n === 0) throw new Error(`paged file ${this.path ?? '(unnamed)'} is shorter than written`);
      got += n;
    }
    if (got < size) this.mem.fill(0, base + got, base + size);
    this.tags[slot] = page;
    this.dirty[slot] = 0;
  }

  /** Closes and removes the file and lets its pages go; an access after it throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tags.fill(-2);
    this.mem = Buffer.alloc(0);
    this.i32 = new Int32Array(0);
    this.f64 = new Float64Array(0);
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    if (this.path !== undefined) rmSync(this.path, { force: true });
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
  /** what an element never written reads as (stored as v ^ fill, so the file's zeros read as fill) */
  private readonly fill: number;

  constructor(path: string | undefined, opts: PageOptions & { fill?: number } = {}) {
    this.file = new PagedFile(path, opts);
    this.fill = opts.fill ?? 0;
  }

  /** Appends v; its index. */
  push(v: number): number {
    const i = this.length++;
    this.set(i, v);
    return i;
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

  constructor(path: string | undefined, opts: PageOptions = {}) {
    this.file = new PagedFile(path, opts);
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
