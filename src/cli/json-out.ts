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

/**
 * An element of a streamed array already written out: `renderElement(x)`, the bytes `pieces` would
 * make for x at that place. The spilling corpus stores observations this way and passes most of
 * them through unparsed and unchanged.
 */
export class RenderedElement {
  constructor(readonly text: string) {}
}

/** JSON.stringify(x, null, 2) laid out as an element of an array directly under the top-level object. */
export function renderElement(value: unknown): string {
  return (JSON.stringify(value, null, 2) as string).replace(/\n/g, `\n${ELEMENT_INDENT}`);
}

const ELEMENT_INDENT = '    ';

async function writeStreamedArray(items: AsyncIterable<unknown> | Iterable<unknown>, w: ChunkWriter): Promise<void> {
  const inner = ELEMENT_INDENT;
  let n = 0;
  const one = async (item: unknown): Promise<void> => {
    if (w.add(n++ === 0 ? `[\n${inner}` : `,\n${inner}`)) await w.flush();
    if (item instanceof RenderedElement) {
      if (w.add(item.text)) await w.flush();
    } else for (const piece of pieces(item, inner, 2)) if (w.add(piece)) await w.flush();
  };
  if (Symbol.iterator in items) {
    // a sync source (e.g. reading a spill file with readSync) costs no tick per element
    for (const item of items) {
      const full = w.add(n++ === 0 ? `[\n${inner}` : `,\n${inner}`);
      if (item instanceof RenderedElement) w.add(item.text);
      else for (const piece of pieces(item, inner, 2)) w.add(piece);
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
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

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

  get full(): boolean {
    return this.pending.length > 0 || this.used >= this.buf.length - FLUSH_MARGIN;
  }

  private pending: Buffer[] = [];

  private queue(): void {
    this.pending.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  async flush(): Promise<void> {
    if (this.used > 0) this.queue();
    const chunks = this.pending;
    this.pending = [];
    for (const chunk of chunks) {
      if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
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
