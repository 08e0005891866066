import { WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/**
 * Writes `JSON.stringify(value, null, 2) + '\n'` to a stream piece by piece: the top-level object
 * and the arrays directly under it are opened here and each element is stringified on its own, so
 * a large archive's document never becomes one string (V8 caps a string near 512 MB, and the
 * string doubled the peak memory). The bytes are the same as the one-string form.
 *
 * An array directly under the top-level object may also be given as an (async) iterable, e.g. a
 * generator that re-reads spilled observations: it is written as the array of what it yields.
 */
export async function writeJsonDocument(value: unknown, out: NodeJS.WritableStream): Promise<void> {
  const w = new ChunkWriter(out);
  if (!isPlainObject(value) || !Object.values(value as object).some(isStreamed)) {
    for (const piece of pieces(value, '', 0)) if (w.add(piece)) await w.flush();
  } else {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => keeps(v));
    w.add('{');
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i]!;
      if (w.add(`${i === 0 ? '' : ','}\n  ${JSON.stringify(k)}: `)) await w.flush();
      if (isStreamed(v)) await writeStreamedArray(v as AsyncIterable<unknown> | Iterable<unknown>, w);
      else for (const piece of pieces(v, '  ', 1)) if (w.add(piece)) await w.flush();
    }
    if (w.add(entries.length === 0 ? '}' : '\n}')) await w.flush();
  }
  w.add('\n');
  await w.flush();
}

/** JSON.stringify(x, null, 2) laid out as an element of an array directly under the top-level object. */
export function renderElement(value: unknown): string {
  return (JSON.stringify(value, null, 2) as string).replace(/\n/g, `\n${ELEMENT_INDENT}`);
}

const ELEMENT_INDENT = '    ';

/**
 * An element of a streamed array already written out as UTF-8 bytes: `bytes[start, end)` holds
 * `renderElement(x)`. Read before the source advances (the spilling corpus hands out slices of its
 * read buffer, and one RenderedBytes it sets anew for each element).
 */
export class RenderedBytes {
  constructor(
    public bytes: Buffer,
    public start: number,
    public end: number,
    /** written after the bytes (e.g. a field appended to the rendered object) */
    public tail = '',
  ) {}
}

/**
 * An array of strings given by a callback instead of held: ElementBytesRenderer writes each string
 * as it is given, so a long list (a finding's observation ids) never exists as an array of strings.
 * Anything else serialises it through toJSON, as the array it stands for.
 */
export class StreamedStrings {
  constructor(readonly forEach: (emit: (s: string) => void) => void) {}

  toJSON(): string[] {
    const all: string[] = [];
    this.forEach((s) => all.push(s));
    return all;
  }
}

/** how deep the byte renderer follows nested values before handing the element to JSON.stringify */
const MAX_RENDER_DEPTH = 64;
const QUOTE = 34;
/** strings longer than this are checked with NEEDS_ESCAPE and copied natively */
const LONG_STRING = 24;
/** what JSON.stringify escapes, and anything that is not printable ASCII (UTF-8 then differs from latin1) */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[^\x20-\x7e]|["\\]/;
const BACKSLASH = 92;

/**
 * renderElement(x) written as UTF-8 straight into a growing buffer, without building the string:
 * the spilling corpus stores every observation this way. Printable ASCII strings and integers are
 * copied byte by byte; any other string or number goes through JSON.stringify / String, and
 * anything that is not a plain object, array or primitive (a toJSON, a cycle too deep) through
 * renderElement itself, so the bytes are always those of renderElement(x).
 */
export class ElementBytesRenderer {
  buf: Buffer = Buffer.allocUnsafe(1 << 14);
  /** bytes of the last render */
  length = 0;
  /** `\n` + the indent + `"key": ` per key and depth, as bytes */
  private readonly keyBytes = new Map<string, Buffer[]>();
  private readonly closeBytes: Buffer[] = [];
  /** per depth: the keys of the last object rendered there and their bytes */
  private readonly shapeKeys: Array<string[] | undefined> = [];
  private readonly shapeKeyBytes: Array<Buffer[] | undefined> = [];

  /** Renders `value` into buf[at, length); what is before `at` is kept (the buffer may be replaced by a larger one). */
  render(value: unknown, at = 0): void {
    this.length = at;
    if (!this.value(value, 0)) {
      this.length = at;
      // what pieces() writes for it, also when JSON.stringify has nothing to say (undefined, a function)
      const s = JSON.stringify(value, null, 2) as string | undefined;
      this.raw(s === undefined ? 'null' : s.replace(/\n/g, `\n${ELEMENT_INDENT}`));
    }
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  private raw(s: string): void {
    this.ensure(s.length * 3);
    this.length += this.buf.write(s, this.length);
  }

  /** a string known to be ASCII (JSON punctuation, literals, number forms), copied in JS: no native call */
  private ascii(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let p = this.length;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.length = p;
  }

  private byte(c: number): void {
    this.ensure(1);
    this.buf[this.length++] = c;
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    const buf = this.buf;
    let p = this.length;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i] as number;
    this.length = p;
  }

  /** the value at a nesting depth (0: the element itself); false: not renderable here */
  private value(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return true;
      case 'number':
        this.number(v);
        return true;
      case 'boolean':
        this.ascii(v ? 'true' : 'false');
        return true;
      case 'object':
        if (v === null) {
          this.ascii('null');
          return true;
        }
        if (depth >= MAX_RENDER_DEPTH) return false;
        if (Array.isArray(v)) return this.array(v, depth);
        if (v instanceof StreamedStrings) return this.streamed(v, depth);
        return this.object(v, depth);
      default:
        return false;
    }
  }

  private object(v: object, depth: number): boolean {
    const proto = Object.getPrototypeOf(v) as unknown;
    if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
    const keys = Object.keys(v);
    const keyBytes = this.shapeOf(keys, depth);
    let first = true;
    for (let j = 0; j < keys.length; j++) {
      const x = (v as Record<string, unknown>)[keys[j] as string];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      const kb = keyBytes[j] as Buffer;
      this.ensure(kb.length + 1);
      const buf = this.buf;
      let p = this.length;
      buf[p++] = first ? 0x7b : 0x2c;
      for (let i = 0; i < kb.length; i++) buf[p++] = kb[i] as number;
      this.length = p;
      first = false;
      if (typeof x === 'string') this.string(x);
      else if (typeof x === 'number') this.number(x);
      else if (!this.value(x, depth + 1)) return false;
    }
    if (first) this.ascii('{}');
    else {
      this.bytes(this.closeOf(depth));
      this.byte(0x7d);
    }
    return true;
  }

  /** the key bytes of an object with these keys at this depth; the last shape seen at each depth is kept */
  private shapeOf(keys: string[], depth: number): Buffer[] {
    const last = this.shapeKeys[depth];
    if (last !== undefined && last.length === keys.length) {
      let same = true;
      for (let j = 0; j < keys.length; j++) {
        if (last[j] !== keys[j]) {
          same = false;
          break;
        }
      }
      if (same) return this.shapeKeyBytes[depth] as Buffer[];
    }
    const bytes = keys.map((k) => this.keyOf(k, depth));
    this.shapeKeys[depth] = keys;
    this.shapeKeyBytes[depth] = bytes;
    return bytes;
  }

  private array(v: unknown[], depth: number): boolean {
    if (v.length === 0) {
      this.ascii('[]');
      return true;
    }
    const open = this.closeOf(depth + 1);
    for (let i = 0; i < v.length; i++) {
      this.byte(i === 0 ? 0x5b : 0x2c);
      this.bytes(open);
      const x = v[i];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') this.ascii('null');
      else if (!this.value(x, depth + 1)) return false;
    }
    this.bytes(this.closeOf(depth));
    this.byte(0x5d);
    return true;
  }

  /** what array() writes for the strings given */
  private streamed(v: StreamedStrings, depth: number): boolean {
    const open = this.closeOf(depth + 1);
    let n = 0;
    v.forEach((s) => {
      this.byte(n++ === 0 ? 0x5b : 0x2c);
      this.bytes(open);
      this.string(s);
    });
    if (n === 0) this.ascii('[]');
    else {
      this.bytes(this.closeOf(depth));
      this.byte(0x5d);
    }
    return true;
  }

  private keyOf(k: string, depth: number): Buffer {
    let list = this.keyBytes.get(k);
    if (!list) this.keyBytes.set(k, (list = []));
    let b = list[depth];
    if (!b) list[depth] = b = Buffer.from(`${this.closeOf(depth + 1).toString()}${JSON.stringify(k)}: `);
    return b;
  }

  /** the newline and indent a line at this depth starts with */
  private closeOf(depth: number): Buffer {
    let b = this.closeBytes[depth];
    if (!b) this.closeBytes[depth] = b = Buffer.from(`\n${ELEMENT_INDENT}${'  '.repeat(depth)}`);
    return b;
  }

  private string(s: string): void {
    const n = s.length;
    if (n > LONG_STRING) {
      // one native scan and one native copy beat a JS loop on long strings
      if (NEEDS_ESCAPE.test(s)) this.raw(JSON.stringify(s));
      else {
        this.ensure(n + 2);
        const buf = this.buf;
        buf[this.length] = QUOTE;
        buf.write(s, this.length + 1, n, 'latin1');
        buf[this.length + n + 1] = QUOTE;
        this.length += n + 2;
      }
      return;
    }
    this.ensure(n + 2);
    const buf = this.buf;
    const start = this.length;
    let p = start;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        // escapes or non-ASCII: JSON.stringify's own form
        this.length = start;
        this.raw(JSON.stringify(s));
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = QUOTE;
    this.length = p;
  }

  private number(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 0x80000000) {
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      this.ensure(digits);
      const buf = this.buf;
      const end = this.length + digits;
      let x = v;
      for (let p = end - 1; p >= this.length; p--) {
        buf[p] = 48 + (x % 10);
        x = Math.floor(x / 10);
      }
      this.length = end;
      return;
    }
    this.ascii(Number.isFinite(v) ? String(v) : 'null');
  }
}

async function writeStreamedArray(items: AsyncIterable<unknown> | Iterable<unknown>, w: ChunkWriter): Promise<void> {
  const inner = ELEMENT_INDENT;
  let n = 0;
  const one = async (item: unknown): Promise<void> => {
    if (w.add(n++ === 0 ? `[\n${inner}` : `,\n${inner}`)) await w.flush();
    if (item instanceof RenderedBytes) {
      w.addBytes(item.bytes, item.start, item.end);
      if (w.add(item.tail)) await w.flush();
    } else for (const piece of pieces(item, inner, 2)) if (w.add(piece)) await w.flush();
  };
  if (Symbol.iterator in items) {
    // a sync source (e.g. reading a spill file with readSync) costs no tick per element
    const renderer = new ElementBytesRenderer();
    for (const item of items) {
      const full = w.add(n++ === 0 ? `[\n${inner}` : `,\n${inner}`);
      if (item instanceof RenderedBytes) {
        w.addBytes(item.bytes, item.start, item.end);
        if (item.tail) w.add(item.tail);
      } else {
        // the bytes of pieces(item, inner, 2), without the string
        renderer.render(item);
        w.addBytes(renderer.buf, 0, renderer.length);
      }
      if (full || w.full) await w.flush();
    }
  } else {
    for await (const item of items) await one(item);
  }
  if (w.add(n === 0 ? '[]' : '\n  ]')) await w.flush();
}

/**
 * Encodes pieces into a 256 KB buffer and writes it when full, waiting for the stream to take it
 * before the buffer is filled again. Encoding at once (instead of concatenating strings until a
 * chunk is full) lets every piece die young: a large document's pieces are garbage for the
 * young generation, not promoted strings the old generation has to grow for.
 */
class ChunkWriter {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  constructor(private readonly out: NodeJS.WritableStream) {
    this.reuses = out === process.stdout || out instanceof WriteStream || out instanceof Socket;
  }

  /** true when the buffer is nearly full and should be flushed */
  add(piece: string): boolean {
    if (piece.length * 3 > this.buf.length - this.used) {
      // may not fit (UTF-8 takes up to 3 bytes a UTF-16 unit): first flush what is there, synchronously
      // queued; a piece larger than the buffer goes on its own
      if (this.used > 0) this.queue();
      if (piece.length * 3 > this.buf.length) {
        this.pending.push(Buffer.from(piece));
        return true;
      }
    }
    this.used += this.buf.write(piece, this.used);
    return this.full;
  }

  /** add() of bytes already encoded; a run longer than the buffer goes through it a buffer at a time (no copy of the whole) */
  addBytes(bytes: Buffer, start: number, end: number): boolean {
    while (end - start > this.buf.length - this.used) {
      const room = this.buf.length - this.used;
      this.used += bytes.copy(this.buf, this.used, start, start + room);
      start += room;
      this.queue();
    }
    this.used += bytes.copy(this.buf, this.used, start, end);
    return this.full;
  }

  get full(): boolean {
    return this.pending.length > 0 || this.used >= this.buf.length - FLUSH_MARGIN;
  }

  private pending: Buffer[] = [];

  /** chunk buffers the stream is done with, reused instead of allocated */
  private readonly free: Buffer[] = [];
  /** chunk buffers written and maybe not yet written out */
  private readonly inFlight: Buffer[] = [];
  /**
   * Whether the stream is done with every chunk once it holds nothing more to write: files and
   * sockets (stdout) are; a stream in general may keep a chunk (a PassThrough hands it on to its
   * reader). Not write callbacks: a synchronous stream (stdout to a file) defers them to ticks that
   * do not run while the document is written, and each would hold its chunk until then.
   */
  private readonly reuses: boolean;

  private recycle(): void {
    if (this.inFlight.length === 0 || (this.out as Writable).writableLength !== 0) return;
    for (const b of this.inFlight) this.free.push(b);
    this.inFlight.length = 0;
  }

  /** the chunk buffer a queued chunk is a view of */
  private readonly owners = new WeakMap<Buffer, Buffer>();

  private queue(): void {
    const chunk = this.buf.subarray(0, this.used);
    this.owners.set(chunk, this.buf);
    this.pending.push(chunk);
    // a new buffer per chunk left hundreds of MB of dead external memory for the GC to find
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  async flush(): Promise<void> {
    if (this.used > 0) this.queue();
    const chunks = this.pending;
    this.pending = [];
    for (const chunk of chunks) {
      const own = this.reuses ? this.owners.get(chunk) : undefined;
      if (own !== undefined) this.inFlight.push(own);
      if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
      this.recycle();
    }
  }
}

const CHUNK_BYTES = 256 * 1024;
/** flushed once less than this is left, so most pieces fit whole */
const FLUSH_MARGIN = 16 * 1024;

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

function isStreamed(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' || typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function keeps(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

/** how deep the structure is opened by hand; below it JSON.stringify does each element */
const OPEN_DEPTH = 2;

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
  if (depth >= OPEN_DEPTH || !isPlainObject(value)) {
    // JSON strings never hold a raw newline, so every newline here is layout and takes the indent
    const s = JSON.stringify(value, null, 2) as string | undefined;
    yield s === undefined ? 'null' : s.replace(/\n/g, `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield i === 0 ? `\n${inner}` : `,\n${inner}`;
      yield* pieces(value[i], inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => keeps(v));
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]!;
    yield `${i === 0 ? '' : ','}\n${inner}${JSON.stringify(k)}: `;
    yield* pieces(v, inner, depth + 1);
  }
  yield `\n${indent}}`;
}
