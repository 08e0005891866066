import { Readable, Transform, type TransformCallback } from 'node:stream';
import { mboxReader } from 'mbox-reader';
import type { MboxMessage } from '../../src/source/mbox.js';

/**
 * How src/source read an mbox before src/source/mbox.ts: mbox-reader behind a guard that passes
 * whole lines and drops a message's lines past the size cap (the code of commit 8aa1fa0, kept
 * here as the reference the Buffer splitter is compared with in test/source-mbox.test.ts).
 */
class MboxGuard extends Transform {
  /** message number (1-based, as mbox-reader counts `From ` lines) → bytes seen */
  readonly oversize = new Map<number, number>();
  endedMidLine = false;
  private messageNo = 0;
  private messageBytes = 0;
  private dropping = false;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private partialDropped = false;

  constructor(readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.addPartial(chunk.subarray(start));
        break;
      }
      this.line(chunk.subarray(start, nl + 1), out);
      start = nl + 1;
    }
    if (out.length) this.push(Buffer.concat(out));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.partialBytes > 0 || this.partialDropped) {
      this.endedMidLine = true;
      const out: Buffer[] = [];
      this.line(Buffer.alloc(0), out);
      if (out.length) this.push(Buffer.concat(out));
    }
    cb();
  }

  private addPartial(buf: Buffer): void {
    if (buf.length === 0) return;
    if (this.partialDropped) {
      this.partialBytes += buf.length;
      return;
    }
    this.partial.push(buf);
    this.partialBytes += buf.length;
    if (this.partialBytes > this.maxBytes) {
      // one line longer than a whole message may be: it is dropped and makes its message oversize
      // (mbox-reader then never sees it, so message numbers stay aligned even if it began "From ")
      this.partial = [];
      this.partialDropped = true;
    }
  }

  private line(tail: Buffer, out: Buffer[]): void {
    let piece: Buffer;
    let bytes: number;
    if (this.partialDropped) {
      bytes = this.partialBytes + tail.length;
      this.partialDropped = false;
      this.partial = [];
      this.partialBytes = 0;
      this.count(bytes);
      return;
    }
    if (this.partial.length) {
      piece = Buffer.concat([...this.partial, tail]);
      this.partial = [];
      this.partialBytes = 0;
    } else piece = tail;
    bytes = piece.length;
    if (bytes >= 5 && piece[0] === 0x46 && piece.subarray(0, 5).toString('latin1') === 'From ') {
      this.messageNo++;
      this.messageBytes = 0;
      this.dropping = false;
      out.push(piece);
      return;
    }
    if (this.messageNo === 0) {
      out.push(piece);
      return;
    }
    this.count(bytes);
    if (!this.dropping) out.push(piece);
  }

  private count(bytes: number): void {
    if (this.messageNo === 0) return;
    this.messageBytes += bytes;
    if (this.messageBytes > this.maxBytes) {
      this.dropping = true;
      this.oversize.set(this.messageNo, this.messageBytes);
    }
  }
}

export async function* mboxReaderSplit(
  chunks: Buffer[],
  maxBytes: number,
  state: { endedMidLine: boolean } = { endedMidLine: false },
): AsyncGenerator<MboxMessage> {
  const guard = new MboxGuard(maxBytes);
  Readable.from(chunks, { objectMode: false }).pipe(guard);
  let n = 0;
  for await (const m of mboxReader(guard) as AsyncIterable<{ content: Buffer }>) {
    n++;
    const big = guard.oversize.get(n);
    yield big === undefined ? { n, content: m.content, bytes: -1 } : { n, content: null, bytes: big };
  }
  state.endedMidLine = guard.endedMidLine;
}
