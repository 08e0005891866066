import { WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { ownCopy } from '../extract/shared.js';

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
  await w.end();
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
  constructor(
    readonly forEach: (emit: (s: string) => void) => void,
    /** the same strings by number, written by ElementBytesRenderer from their table's bytes without making each string */
    readonly numbered?: { table: NumberedStrings; forEach: (emit: (i: number) => void) => void },
  ) {}

  toJSON(): string[] {
    const all: string[] = [];
    this.forEach((s) => all.push(s));
    return all;
  }
}

/** Strings by number that can write a string's JSON text (quotes included) as bytes (the spill's observation ids). */
export interface NumberedStrings {
  /** the most bytes writeJson writes */
  readonly maxJsonBytes: number;
  /** string i's JSON text written at buf[at...] and where it ends; -1 when it has no such form here (get(i) is written instead) */
  writeJson(i: number, buf: Buffer, at: number): number;
  get(i: number): string;
}

/** how deep the byte renderer follows nested values before handing the element to JSON.stringify */
const MAX_RENDER_DEPTH = 64;
const QUOTE = 34;
/** strings longer than this are checked with NEEDS_ESCAPE and copied natively */
const LONG_STRING = 40;
/** what JSON.stringify escapes, and anything that is not printable ASCII (UTF-8 then differs from latin1) */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[^\x20-\x7e]|["\\]/;
const BACKSLASH = 92;
/** byte runs longer than this are copied natively (a native call costs about what a JS loop does on ~8 bytes) */
const NATIVE_COPY = 8;

/**
 * renderElement(x) written as UTF-8 straight into a growing buffer, without building the string:
 * the spilling corpus stores every observation this way and the document writer writes them so.
 * Printable ASCII strings and integers are copied byte by byte; any other string or number goes
 * through JSON.stringify / String, and anything that is not a plain object, array or primitive (a
 * toJSON, a cycle too deep) through renderElement itself, so the bytes are always those of
 * renderElement(x).
 *
 * A plain object (an observation) is rendered from what its shape (its keys, in order) has seen:
 * each field whose values recur (post, reporter, source, format, flags, state, class, evidence)
 * numbers its distinct values, and a run of such fields between two that do not recur (id, line,
 * time, addresses) is copied whole from the bytes of the last time that run held those values,
 * together with the next field's key. See element().
 */
export class ElementBytesRenderer {
  /** the renderer's own buffer (render without a target writes there) */
  private own: Buffer = Buffer.allocUnsafe(1 << 14);
  /** where the last render is: buf[start, length) */
  buf: Buffer = this.own;
  start = 0;
  length = 0;
  /** the buffer given to render, while rendering into it */
  private target: Buffer | null = null;
  /** `\n` + the indent + `"key": ` per key and depth, as bytes */
  private readonly keyBytes = new Map<string, Buffer[]>();
  private readonly closeBytes: Buffer[] = [];
  /** per depth: the keys of the last object rendered there and their bytes */
  private readonly shapeKeys: Array<string[] | undefined> = [];
  private readonly shapeKeyBytes: Array<Buffer[] | undefined> = [];
  /** the element shapes seen (keys in order), the one used last first */
  private readonly elementShapes: ElementShape[] = [];

  /**
   * Renders `value` into buf[start, length). Into `into` from `at` when given (the document
   * writer's chunk: no copy of the element into it; an element that does not fit there moves to
   * the renderer's own buffer, from 0); else into the renderer's own buffer from `at`, what is
   * before `at` kept (the buffer replaced by a larger copy when the element does not fit).
   */
  render(value: unknown, at = 0, into?: Buffer): void {
    this.target = into ?? null;
    this.buf = into ?? this.own;
    this.start = at;
    this.length = at;
    if (!this.value(value, 0)) {
      this.target = into ?? null;
      this.buf = into ?? this.own;
      this.start = at;
      this.length = at;
      // what pieces() writes for it, also when JSON.stringify has nothing to say (undefined, a function)
      const s = JSON.stringify(value, null, 2) as string | undefined;
      this.raw(s === undefined ? 'null' : s.replace(/\n/g, `\n${ELEMENT_INDENT}`));
    }
    this.target = null;
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    if (this.buf === this.target) {
      // no room left in the caller's buffer: the element so far moves to the renderer's own, which is kept for the next
      const have = this.length - this.start;
      if (this.own.length < have + n) this.own = Buffer.allocUnsafe(Math.max(this.own.length * 2, have + n));
      this.buf.copy(this.own, 0, this.start, this.length);
      this.buf = this.own;
      this.start = 0;
      this.length = have;
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    if (this.buf === this.own) this.own = next;
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
    const n = b.length;
    this.ensure(n);
    const buf = this.buf;
    const p = this.length;
    if (n > NATIVE_COPY) buf.set(b, p);
    else for (let i = 0; i < n; i++) buf[p + i] = b[i] as number;
    this.length = p + n;
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
    if (!isPlainData(v)) return false;
    const keys = Object.keys(v);
    if (depth === 0) return this.element(v as Record<string, unknown>, keys);
    const keyBytes = this.shapeOf(keys, depth);
    let first = true;
    for (let j = 0; j < keys.length; j++) {
      const x = (v as Record<string, unknown>)[keys[j] as string];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      this.byte(first ? 0x7b : 0x2c);
      this.bytes(keyBytes[j] as Buffer);
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

  /**
   * A plain object as the element itself. Until its shape has seen PLAN_AFTER elements it is
   * rendered field by field, numbering the values of each field while they recur; then the
   * fields whose values recur are cut into segments (runs of at most SEGMENT_FIELDS between two
   * fields that do not recur), and a segment's bytes, with the separator and key of the field
   * after it (or the closing line), are kept per combination of its values' numbers and copied
   * whole when the combination comes again. A value its field has not numbered sends that
   * segment through the field-by-field path.
   */
  private element(v: Record<string, unknown>, keys: string[]): boolean {
    const shape = this.elementShapeOf(keys);
    const values = Object.values(v);
    // (a getter that adds or removes keys: the general path)
    if (values.length !== keys.length) return false;
    let plan = shape.plan;
    if (plan === null) {
      if (++shape.seen < PLAN_AFTER) {
        const wrote = this.fields(shape, values, 0, keys.length, false);
        if (wrote < 0) return false;
        this.close(wrote === 1);
        return true;
      }
      plan = shape.plan = planOf(shape.fields);
    }
    const fields = shape.fields;
    let wrote = false;
    for (let s = 0; s < plan.length; s++) {
      const seg = plan[s] as Segment;
      // the segment's key: whether anything was written before, its values' numbers, whether the field after is written
      let key = wrote ? 1 : 0;
      let writes: boolean = wrote;
      let known = true;
      for (let j = seg.from; j < seg.to; j++) {
        const x = values[j];
        let id = ABSENT;
        if (!(x === undefined || typeof x === 'function' || typeof x === 'symbol')) {
          id = (fields[j] as FieldCache).idOf(x);
          if (id < 0) {
            known = false;
            break;
          }
          writes = true;
        }
        key = key * ID_RANGE + id;
      }
      const after = seg.after;
      let afterValue: unknown;
      let afterWritten = false;
      if (after >= 0) {
        afterValue = values[after];
        afterWritten = !(afterValue === undefined || typeof afterValue === 'function' || typeof afterValue === 'symbol');
      }
      if (known) {
        key = key * 2 + (afterWritten ? 1 : 0);
        const cached = seg.bytes.get(key);
        if (cached !== undefined) this.bytes(cached);
        else {
          // (relative to the element's start: rendering may move the element to another buffer)
          const from = this.length - this.start;
          if (this.fields(shape, values, seg.from, seg.to, wrote) < 0) return false;
          this.segmentEnd(shape, seg, afterWritten, writes);
          if (seg.bytes.size < SEGMENT_CACHE_SIZE) seg.bytes.set(key, Buffer.from(this.buf.subarray(this.start + from, this.length)));
        }
      } else {
        const w = this.fields(shape, values, seg.from, seg.to, wrote);
        if (w < 0) return false;
        writes = w === 1;
        this.segmentEnd(shape, seg, afterWritten, writes);
        // a field that stopped numbering its values: the segments are cut again
        for (let j = seg.from; j < seg.to; j++) if (!(fields[j] as FieldCache).on) shape.plan = null;
      }
      wrote = writes;
      if (afterWritten) {
        wrote = true;
        if (typeof afterValue === 'string') this.string(afterValue);
        else if (typeof afterValue === 'number') this.number(afterValue);
        else if (!this.value(afterValue, 1)) return false;
      }
    }
    return true;
  }

  /** what follows a segment's fields: the separator and key of the field after it, or the closing line */
  private segmentEnd(shape: ElementShape, seg: Segment, afterWritten: boolean, wrote: boolean): void {
    if (afterWritten) {
      this.byte(wrote ? 0x2c : 0x7b);
      this.bytes(shape.keyBytes[seg.after] as Buffer);
    } else if (seg.close) this.close(wrote);
  }

  private close(wrote: boolean): void {
    if (wrote) {
      this.bytes(this.closeOf(0));
      this.byte(0x7d);
    } else this.ascii('{}');
  }

  /**
   * Fields [from, to) of an element one by one: separator, key, and the value's bytes from its
   * field's numbering, or rendered (and numbered while the field's values recur). The new
   * `wrote` (1: something was written), or -1: a value not renderable here.
   */
  private fields(shape: ElementShape, values: unknown[], from: number, to: number, wrote: boolean): number {
    const fields = shape.fields;
    const keyBytes = shape.keyBytes;
    for (let j = from; j < to; j++) {
      const x = values[j];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      this.byte(wrote ? 0x2c : 0x7b);
      wrote = true;
      this.bytes(keyBytes[j] as Buffer);
      const field = fields[j] as FieldCache;
      if (field.on) {
        const id = field.idOf(x);
        if (id >= 0) {
          this.bytes(field.bytes[id] as Buffer);
          continue;
        }
      }
      // (relative to the element's start: rendering may move the element to another buffer)
      const from = this.length - this.start;
      if (typeof x === 'string') this.string(x);
      else if (typeof x === 'number') this.number(x);
      else if (!this.value(x, 1)) return -1;
      if (field.on) field.add(x, this.buf, this.start + from, this.length);
    }
    return wrote ? 1 : 0;
  }

  private elementShapeOf(keys: string[]): ElementShape {
    const shapes = this.elementShapes;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s] as ElementShape;
      const known = shape.keys;
      if (known.length !== keys.length) continue;
      let same = true;
      for (let j = 0; j < keys.length; j++) {
        if (known[j] !== keys[j]) {
          same = false;
          break;
        }
      }
      if (same) {
        if (s > 0) {
          // the shape used last is tried first
          shapes[s] = shapes[0] as ElementShape;
          shapes[0] = shape;
        }
        return shape;
      }
    }
    const shape: ElementShape = { keys, keyBytes: keys.map((k) => this.keyOf(k, 0)), fields: keys.map(() => new FieldCache()), seen: 0, plan: null };
    if (shapes.length >= MAX_ELEMENT_SHAPES) shapes.pop();
    shapes.unshift(shape);
    return shape;
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
    const numbered = v.numbered;
    if (numbered !== undefined) {
      const table = numbered.table;
      const room = 1 + open.length + table.maxJsonBytes;
      const one = (i: number): void => {
        this.ensure(room);
        const buf = this.buf;
        let p = this.length;
        buf[p++] = n++ === 0 ? 0x5b : 0x2c;
        for (let k = 0; k < open.length; k++) buf[p++] = open[k] as number;
        const end = table.writeJson(i, buf, p);
        this.length = end < 0 ? p : end;
        if (end < 0) this.string(table.get(i));
      };
      numbered.forEach(one);
    } else {
      v.forEach((s) => {
        this.byte(n++ === 0 ? 0x5b : 0x2c);
        this.bytes(open);
        this.string(s);
      });
    }
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

/** element shapes kept (a list of observations has a few: flow records, alerts with and without a payload) */
const MAX_ELEMENT_SHAPES = 16;
/** elements of a shape rendered field by field before its segments are cut (its fields' caches settle by then) */
const PLAN_AFTER = 128;
/** fields in a segment at most: its key holds 7 bits per field (a value's number or ABSENT) and 2 more, within 2^53 */
const SEGMENT_FIELDS = 7;
const ID_RANGE = 128;
/** a field's value not written (undefined, a function, a symbol) */
const ABSENT = 127;
/** values a field numbers at most (below ABSENT) */
const FIELD_CACHE_SIZE = 32;
/** after this many misses a field whose values hit less often than they miss stops numbering them */
const FIELD_TRIAL = 64;
/** combinations a segment keeps the bytes of */
const SEGMENT_CACHE_SIZE = 64;

function isPlainData(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/** The elements of one shape (their keys, in order): see ElementBytesRenderer.element. */
interface ElementShape {
  keys: string[];
  /** `\n      "key": ` per field (no separator) */
  keyBytes: Buffer[];
  fields: FieldCache[];
  /** elements rendered before the plan */
  seen: number;
  plan: Segment[] | null;
}

/** fields [from, to), all numbering their values, then field `after` (-1: none) or, when close, the element's end */
interface Segment {
  from: number;
  to: number;
  after: number;
  close: boolean;
  /** the segment's bytes by its key (see element) */
  bytes: Map<number, Buffer>;
}

/** the segments of a shape's fields: cut at every field that does not number its values, and every SEGMENT_FIELDS fields */
function planOf(fields: readonly FieldCache[]): Segment[] {
  const plan: Segment[] = [];
  let from = 0;
  for (let j = 0; j < fields.length; j++) {
    if (!(fields[j] as FieldCache).on) {
      plan.push({ from, to: j, after: j, close: false, bytes: new Map() });
      from = j + 1;
    } else if (j + 1 - from === SEGMENT_FIELDS) {
      plan.push({ from, to: j + 1, after: -1, close: false, bytes: new Map() });
      from = j + 1;
    }
  }
  plan.push({ from, to: fields.length, after: -1, close: true, bytes: new Map() });
  return plan;
}

/** a plain object value (a reporter) numbered with what it held when rendered: its number stands while it holds the same */
interface CachedObject {
  keys: string[];
  values: unknown[];
}

/**
 * One field of an element shape: its distinct values numbered, with each one's bytes. Strings
 * and numbers by value (strings kept as copies of their own: a slice of a post's text would keep
 * the post alive); plain objects of primitives by identity, valid while their keys and values
 * are the same (checked on every use). A field whose values rarely recur (ids, times) stops.
 */
class FieldCache {
  on = true;
  /** each number's bytes */
  readonly bytes: Buffer[] = [];
  private hits = 0;
  private misses = 0;
  private readonly ids = new Map<string | number | boolean | null, number>();
  private objectIds: WeakMap<object, number> | null = null;
  private readonly objects: Array<CachedObject | null> = [];
  /** each number's value as kept (a string's copy) */
  private readonly keys: unknown[] = [];
  /** the value asked last (a string: the copy kept) and its number */
  private lastValue: unknown = undefined;
  private lastId = -1;

  /** the value's number, or -1 */
  idOf(x: unknown): number {
    if (typeof x === 'object' && x !== null) {
      let id = x === this.lastValue ? this.lastId : this.objectIds?.get(x);
      if (id === undefined || !sameObject(x, this.objects[id] as CachedObject)) return -1;
      this.hits++;
      this.lastValue = x;
      this.lastId = id;
      return id;
    }
    if (x === this.lastValue) {
      this.hits++;
      return this.lastId;
    }
    const id = this.ids.get(x as string | number | boolean | null);
    if (id === undefined) return -1;
    this.hits++;
    // (the key: a copy of its own, see above)
    this.lastValue = this.keys[id];
    this.lastId = id;
    return id;
  }

  /** x, not numbered, was rendered into buf[start, end) */
  add(x: unknown, buf: Buffer, start: number, end: number): void {
    if (++this.misses >= FIELD_TRIAL && this.hits < this.misses) {
      this.on = false;
      this.ids.clear();
      this.objectIds = null;
      this.objects.length = 0;
      this.keys.length = 0;
      this.bytes.length = 0;
      this.lastValue = undefined;
      return;
    }
    const id = this.bytes.length;
    if (id >= FIELD_CACHE_SIZE) return;
    if (typeof x === 'object' && x !== null) {
      if (Array.isArray(x) || !isPlainData(x)) return;
      const keys = Object.keys(x);
      const values: unknown[] = [];
      for (const k of keys) {
        const y = (x as Record<string, unknown>)[k];
        if ((typeof y === 'object' && y !== null) || typeof y === 'function') return;
        values.push(typeof y === 'string' ? ownCopy(y) : y);
      }
      (this.objectIds ??= new WeakMap()).set(x, id);
      this.objects.push({ keys, values });
      this.keys.push(undefined);
      // (an object changed in place and numbered again: asked next, it is found by its new number, not the old one)
      this.lastValue = x;
      this.lastId = id;
    } else {
      const key = typeof x === 'string' ? ownCopy(x) : (x as number | boolean | null);
      this.ids.set(key, id);
      this.objects.push(null);
      this.keys.push(key);
    }
    this.bytes.push(Buffer.from(buf.subarray(start, end)));
  }
}

/** does x still have the keys and (primitive) values it had when c was numbered? */
function sameObject(x: object, c: CachedObject): boolean {
  if (!isPlainData(x)) return false;
  const keys = Object.keys(x);
  const want = c.keys;
  if (keys.length !== want.length) return false;
  const values = c.values;
  for (let j = 0; j < keys.length; j++) {
    const k = keys[j] as string;
    if (k !== want[j] || (x as Record<string, unknown>)[k] !== values[j]) return false;
  }
  return true;
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
        // the bytes of pieces(item, inner, 2), without the string, straight into the chunk
        w.render(renderer, item);
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
    const n = piece.length;
    if (n <= SHORT_PIECE && n <= this.buf.length - this.used) {
      // a short piece (an element's separator) copied in JS: a native write costs ~0.1 µs a call
      const buf = this.buf;
      const at = this.used;
      let k = 0;
      for (; k < n; k++) {
        const c = piece.charCodeAt(k);
        if (c >= 0x80) break;
        buf[at + k] = c;
      }
      if (k === n) {
        this.used = at + n;
        return this.full;
      }
    }
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

  /** add() of what the renderer writes for an element, rendered in place */
  render(renderer: ElementBytesRenderer, item: unknown): boolean {
    renderer.render(item, this.used, this.buf);
    if (renderer.buf === this.buf) this.used = renderer.length;
    // (it did not fit: the renderer finished it in its own buffer)
    else this.addBytes(renderer.buf, renderer.start, renderer.length);
    return this.full;
  }

  get full(): boolean {
    return this.pending.length > 0 || this.used >= this.buf.length - FLUSH_MARGIN;
  }

  private pending: Buffer[] = [];

  /** chunk buffers the stream is done with, reused instead of allocated */
  private readonly free: Buffer[] = [];
  /**
   * Whether the stream is done with a chunk once its write calls back: files and sockets
   * (stdout) are; a stream in general may keep a chunk (a PassThrough hands it on to its reader).
   */
  private readonly reuses: boolean;
  /** the writes handed to the stream that have not called back yet, oldest first */
  private readonly writing: Array<Promise<void>> = [];
  /** the first error a write called back with: the document fails with it instead of being written on into a failed stream */
  private failed: Error | null = null;

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

  /**
   * Hands the queued chunks to the stream. Up to CHUNKS_IN_FLIGHT may be unwritten while the next
   * is filled (a file's writes run on libuv's threads, so rendering and writing overlap); past
   * that it waits for the oldest. A chunk's buffer is reused once its write has called back.
   */
  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.used > 0) this.queue();
    const chunks = this.pending;
    this.pending = [];
    for (const chunk of chunks) {
      const own = this.reuses ? this.owners.get(chunk) : undefined;
      this.writing.push(
        new Promise<void>((resolve) => {
          this.out.write(chunk, (err?: Error | null) => {
            if (err) this.failed ??= err;
            else if (own !== undefined) this.free.push(own);
            resolve();
          });
        }),
      );
      while (this.writing.length > CHUNKS_IN_FLIGHT) await this.writing.shift();
      if (this.failed) throw this.failed;
    }
  }

  /** flush, then wait until the stream has taken every chunk */
  async end(): Promise<void> {
    await this.flush();
    while (this.writing.length > 0) await this.writing.shift();
    if (this.failed) throw this.failed;
  }
}

/** pieces up to this long are copied into the chunk in JS (when ASCII) */
const SHORT_PIECE = 32;

/** chunks handed to the stream and not yet written at most, while the next is filled */
const CHUNKS_IN_FLIGHT = 4;

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
