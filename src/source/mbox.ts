/**
 * Splits an mbox into messages on Buffers, with the result mbox-reader gives (which src/source
 * used before, and which test/source-mbox.test.ts compares against): a line that starts with
 * `From ` begins a message and is dropped; line endings become LF (a CR right before an LF goes);
 * a line `>From `, `>>From `... loses one `>` (mboxrd); the line ending of the last line and one
 * empty line before the next envelope are not part of the message. Bytes before the first
 * envelope belong to no message.
 *
 * mbox-reader turned every line into a string and yielded to the event loop every 1,000 lines;
 * here messages are found with Buffer.indexOf and copied once, and only messages that hold a CR or
 * an escaped `From ` line are rewritten.
 */

export interface MboxMessage {
  /** 1-based, in file order */
  n: number;
  /** the message, or null when it was over maxBytes (then not held in memory) */
  content: Buffer | null;
  /** bytes of the message in the file, after its envelope line */
  bytes: number;
}

const FROM_LINE = Buffer.from('\nFrom ');

/** Yields messages one by one; `state.endedMidLine` tells at the end whether the file's last line had no line ending. */
export async function* splitMbox(
  source: AsyncIterable<Buffer>,
  maxBytes: number,
  state: { endedMidLine: boolean } = { endedMidLine: false },
): AsyncGenerator<MboxMessage> {
  let n = 0;
  // the message being read (after its envelope line): its pieces, or null once over the cap
  let inMessage = false;
  let pieces: Buffer[] | null = [];
  let bytes = 0;
  // bytes of an unfinished line carried into the next chunk
  // (kept as pieces: joining them chunk by chunk would copy a long line over and over)
  let carry: Buffer[] = [];
  let carryLength = 0;
  let carryDropped = 0;
  let lastByte = -1;

  const add = (b: Buffer): void => {
    if (!inMessage || b.length === 0) return;
    bytes += b.length;
    if (pieces && bytes > maxBytes) pieces = null;
    if (pieces) pieces.push(b);
  };
  const finish = (): MboxMessage | null => {
    if (!inMessage) return null;
    const m = { n, content: pieces ? messageContent(pieces, bytes) : null, bytes };
    pieces = [];
    bytes = 0;
    return m;
  };

  /** At an envelope line: the message read so far (null before the first), and the next one begins. */
  const startMessage = (): MboxMessage | null => {
    const done = finish();
    n++;
    inMessage = true;
    return done;
  };

  const dropLine = (lineBytes: number): void => {
    // a line longer than a whole message may be is never an envelope; it makes its message oversize
    if (!inMessage) return;
    bytes += lineBytes;
    pieces = null;
  };

  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    lastByte = chunk[chunk.length - 1]!;
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl < 0) {
      // no line ends in this chunk: it all continues the carried line
      if (carryDropped || carryLength + chunk.length > maxBytes) {
        carryDropped += carryLength + chunk.length;
        carry = [];
        carryLength = 0;
      } else {
        carry.push(chunk);
        carryLength += chunk.length;
      }
      continue;
    }
    // complete lines: the carried start of a line, then this chunk up to its last line ending
    let block: Buffer;
    if (carryDropped) {
      const first = chunk.indexOf(10);
      dropLine(carryDropped + first + 1);
      carryDropped = 0;
      block = chunk.subarray(first + 1, lastNl + 1);
    } else {
      block = carryLength ? Buffer.concat([...carry, chunk.subarray(0, lastNl + 1)]) : chunk.subarray(0, lastNl + 1);
    }
    carry = [];
    carryLength = 0;
    if (lastNl + 1 < chunk.length) {
      const tail = chunk.subarray(lastNl + 1);
      if (tail.length > maxBytes) carryDropped = tail.length;
      else {
        carry = [tail];
        carryLength = tail.length;
      }
    }

    // envelope lines in the block: at its start, or after a line ending
    let pos = 0;
    let at = isFromAt(block, 0) ? 0 : nextFrom(block, 0);
    while (at >= 0) {
      add(block.subarray(pos, at));
      const done = startMessage();
      if (done) yield done;
      pos = block.indexOf(10, at) + 1;
      at = nextFrom(block, pos - 1);
    }
    add(block.subarray(pos));
  }
  // the last line without a line ending
  if (carryDropped) dropLine(carryDropped);
  else if (carryLength) {
    const last = Buffer.concat(carry, carryLength);
    if (isFromAt(last, 0)) {
      const done = startMessage();
      if (done) yield done;
    } else add(last);
  }
  state.endedMidLine = lastByte !== -1 && lastByte !== 10;
  const done = finish();
  if (done) yield done;
}

function isFromAt(b: Buffer, i: number): boolean {
  return b[i] === 0x46 && b[i + 1] === 0x72 && b[i + 2] === 0x6f && b[i + 3] === 0x6d && b[i + 4] === 0x20;
}

/** Offset of the next envelope line after offset `from` (a line ending at or after `from`), or -1. */
function nextFrom(b: Buffer, from: number): number {
  const i = b.indexOf(FROM_LINE, Math.max(from, 0));
  return i < 0 ? -1 : i + 1;
}

/** The message as mbox-reader gives it: LF line endings, mboxrd `>From ` unescaped, the last line ending and one trailing empty line dropped. */
function messageContent(pieces: Buffer[], bytes: number): Buffer {
  let t = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes);
  // a view into one read chunk would keep the whole chunk alive as long as the message is held
  let own = pieces.length !== 1;
  if (t.indexOf(13) >= 0 || needsUnescape(t)) {
    t = rewrite(t);
    own = true;
  }
  let end = t.length;
  if (end > 0 && t[end - 1] === 10) end--;
  if (end > 0 && t[end - 1] === 10) end--;
  return own ? t.subarray(0, end) : Buffer.from(t.subarray(0, end));
}

/** A line `>+From ` somewhere in the message. */
function needsUnescape(t: Buffer): boolean {
  if (t[0] === 62 && escapedFromAt(t, 0)) return true;
  for (let i = t.indexOf('\n>'); i >= 0; i = t.indexOf('\n>', i + 2)) {
    if (escapedFromAt(t, i + 1)) return true;
  }
  return false;
}

function escapedFromAt(t: Buffer, i: number): boolean {
  let j = i;
  while (t[j] === 62) j++;
  return j > i && isFromAt(t, j);
}

/** CR LF → LF, one `>` off each `>+From ` line, line by line. */
function rewrite(t: Buffer): Buffer {
  const out = Buffer.allocUnsafe(t.length);
  let o = 0;
  let pos = 0;
  while (pos < t.length) {
    let nl = t.indexOf(10, pos);
    const hasNl = nl >= 0;
    if (!hasNl) nl = t.length;
    let end = nl;
    if (hasNl && end > pos && t[end - 1] === 13) end--;
    const skip = t[pos] === 62 && escapedFromAt(t, pos) ? 1 : 0;
    o += t.copy(out, o, pos + skip, end);
    if (hasNl) out[o++] = 10;
    pos = nl + 1;
  }
  return out.subarray(0, o);
}
