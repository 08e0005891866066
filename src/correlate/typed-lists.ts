// Growable typed arrays: correlate's GroupAccumulator keeps its members in them, and the spilling
// corpus (src/analyze/spill.ts) its per-observation index. Three classes rather than one generic
// one, so each stays monomorphic on the hot paths that push and read them. They grow by half, not
// doubling: a large index overshoots its length by less, and a growth holds less twice.

/** An Int32Array that grows as pushed. */
export class Int32List {
  private a: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.a = new Int32Array(capacity);
  }

  push(v: number): number {
    if (this.length === this.a.length) {
      const b = new Int32Array(grown(this.a.length));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length] = v;
    return this.length++;
  }

  get(i: number): number {
    return this.a[i] as number;
  }

  set(i: number, v: number): void {
    this.a[i] = v;
  }

  /** the filled part (a view; valid until the next push) */
  view(): Int32Array {
    return this.a.subarray(0, this.length);
  }
}

/** A Float64Array that grows as pushed (byte offsets past 4 GB). */
export class Float64List {
  private a: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.a = new Float64Array(capacity);
  }

  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Float64Array(grown(this.a.length));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }

  get(i: number): number {
    return this.a[i] as number;
  }
}

/** A Uint8Array that grows as pushed. */
export class Uint8List {
  private a: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.a = new Uint8Array(capacity);
  }

  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Uint8Array(grown(this.a.length));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }

  get(i: number): number {
    return this.a[i] as number;
  }
}

function grown(capacity: number): number {
  return Math.max(16, capacity + (capacity >>> 1));
}
