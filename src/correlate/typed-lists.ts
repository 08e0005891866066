// Growable typed arrays: correlate's GroupAccumulator keeps its members in them, and the spilling
// corpus (src/analyze/spill.ts) its per-observation index. Three classes rather than one generic
// one, so each stays monomorphic on the hot paths that push and read them. They grow in fixed
// chunks instead of copying into a larger array: a large index overshoots its length by at most a
// chunk, and growing leaves no dead copy behind for the GC (nor holds old and new at once).

/** elements per chunk (a power of two), after a first chunk that grows up to it */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const FIRST = 256;

/** An Int32Array that grows as pushed. */
export class Int32List {
  private readonly chunks: Int32Array[] = [new Int32Array(FIRST)];
  length = 0;

  push(v: number): number {
    const i = this.length;
    let c = this.chunks[i >>> CHUNK_BITS];
    if (c === undefined || (i & MASK) >= c.length) c = this.grow(i);
    c[i & MASK] = v;
    return this.length++;
  }

  private grow(i: number): Int32Array {
    const k = i >>> CHUNK_BITS;
    const old = this.chunks[k];
    // only the first chunk grows (doubling up to a whole chunk); the others start whole
    const c = new Int32Array(old === undefined ? CHUNK : Math.min(CHUNK, old.length * 2));
    if (old !== undefined) c.set(old);
    this.chunks[k] = c;
    return c;
  }

  get(i: number): number {
    return (this.chunks[i >>> CHUNK_BITS] as Int32Array)[i & MASK] as number;
  }

  set(i: number, v: number): void {
    (this.chunks[i >>> CHUNK_BITS] as Int32Array)[i & MASK] = v;
  }
}

/** A Float64Array that grows as pushed (byte offsets past 4 GB). */
export class Float64List {
  private readonly chunks: Float64Array[] = [new Float64Array(FIRST)];
  length = 0;

  push(v: number): void {
    const i = this.length;
    let c = this.chunks[i >>> CHUNK_BITS];
    if (c === undefined || (i & MASK) >= c.length) c = this.grow(i);
    c[i & MASK] = v;
    this.length++;
  }

  private grow(i: number): Float64Array {
    const k = i >>> CHUNK_BITS;
    const old = this.chunks[k];
    const c = new Float64Array(old === undefined ? CHUNK : Math.min(CHUNK, old.length * 2));
    if (old !== undefined) c.set(old);
    this.chunks[k] = c;
    return c;
  }

  get(i: number): number {
    return (this.chunks[i >>> CHUNK_BITS] as Float64Array)[i & MASK] as number;
  }
}

/** A Uint8Array that grows as pushed. */
export class Uint8List {
  private readonly chunks: Uint8Array[] = [new Uint8Array(FIRST)];
  length = 0;

  push(v: number): void {
    const i = this.length;
    let c = this.chunks[i >>> CHUNK_BITS];
    if (c === undefined || (i & MASK) >= c.length) c = this.grow(i);
    c[i & MASK] = v;
    this.length++;
  }

  private grow(i: number): Uint8Array {
    const k = i >>> CHUNK_BITS;
    const old = this.chunks[k];
    const c = new Uint8Array(old === undefined ? CHUNK : Math.min(CHUNK, old.length * 2));
    if (old !== undefined) c.set(old);
    this.chunks[k] = c;
    return c;
  }

  get(i: number): number {
    return (this.chunks[i >>> CHUNK_BITS] as Uint8Array)[i & MASK] as number;
  }
}
