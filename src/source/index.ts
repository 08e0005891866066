import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { binaryReason } from '../mail/parse.js';
import { splitMbox, type MboxMessage } from './mbox.js';

/**
 * Where posts come from on the command line: mbox files (streamed), Maildir folders, folders of
 * `.eml`/`.txt`/`.msg` files, single files, or `-` for standard input. Every message comes out as
 * raw bytes; a message that cannot be used becomes an error item and the stream goes on.
 */

export type SourceItem =
  | { kind: 'message'; input: string; raw: Buffer }
  | { kind: 'error'; input: string; message: string };

export class InputReadError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.name = 'InputReadError';
    this.input = input;
  }
}

export interface ReadInputsOptions {
  stdin?: NodeJS.ReadableStream;
  /** a message larger than this is skipped with an error item (default 25 MB) */
  maxMessageBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
const MESSAGE_EXTENSIONS = ['.eml', '.txt', '.msg'];

type Plan =
  | { kind: 'stdin' }
  | { kind: 'mbox'; path: string }
  | { kind: 'file'; path: string }
  | { kind: 'files'; path: string; files: string[]; what: string };

/** Streams messages. Validates every path first: a path that cannot be read at all (missing, permission) throws InputReadError before anything is yielded. '-' reads one message from opts.stdin (default process.stdin). */
export async function* readInputs(
  paths: string[],
  opts: ReadInputsOptions = {},
): AsyncGenerator<SourceItem> {
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const plans: Plan[] = [];
  for (const p of paths) plans.push(await planInput(p));
  for (const plan of plans) {
    switch (plan.kind) {
      case 'stdin':
        yield await readStdin(opts.stdin ?? process.stdin, maxBytes);
        break;
      case 'mbox':
        yield* readMbox(plan.path, maxBytes);
        break;
      case 'file':
        yield await readOneFile(plan.path, maxBytes);
        break;
      case 'files':
        if (plan.files.length === 0) {
          yield { kind: 'error', input: plan.path, message: `${plan.path}: ${plan.what} holds no messages` };
        }
        for (const f of plan.files) yield await readOneFile(f, maxBytes);
        break;
    }
  }
}

// ------------------------------------------------------------------ planning (all checks up front)

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'ELOOP') return 'too many symbolic links';
  return err instanceof Error ? err.message : String(err);
}

async function planInput(p: string): Promise<Plan> {
  if (p === '-') return { kind: 'stdin' };
  let st;
  try {
    st = await stat(p);
  } catch (err) {
    throw new InputReadError(p, `cannot read ${p}: ${why(err)}`);
  }
  if (st.isDirectory()) {
    const entries = await listDir(p);
    // tmp/ is optional: a Maildir checked into git loses its empty folders
    const isMaildir = ['cur', 'new'].every((d) => entries.some((e) => e.name === d && e.isDirectory()));
    if (isMaildir) {
      const files: { name: string; path: string }[] = [];
      for (const sub of ['new', 'cur']) {
        const dir = join(p, sub);
        for (const e of await listDir(dir)) {
          if ((e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.')) files.push({ name: e.name, path: join(dir, e.name) });
        }
      }
      files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : 1));
      return { kind: 'files', path: p, files: files.map((f) => f.path), what: 'the Maildir' };
    }
    const files = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && MESSAGE_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x)))
      .map((e) => e.name)
      .sort();
    return {
      kind: 'files',
      path: p,
      files: files.map((f) => join(p, f)),
      what: 'the folder (not a Maildir, no .eml/.txt/.msg files)',
    };
  }
  if (!st.isFile()) throw new InputReadError(p, `cannot read ${p}: not a file or a folder`);
  // open it now so a permission problem shows before anything is yielded
  let head: Buffer;
  try {
    const fh = await open(p, 'r');
    try {
      const buf = Buffer.alloc(5);
      const { bytesRead } = await fh.read(buf, 0, 5, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new InputReadError(p, `cannot read ${p}: ${why(err)}`);
  }
  return head.toString('latin1') === 'From ' ? { kind: 'mbox', path: p } : { kind: 'file', path: p };
}

async function listDir(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new InputReadError(dir, `cannot read folder ${dir}: ${why(err)}`);
  }
}

// ------------------------------------------------------------------ single messages

function checked(input: string, raw: Buffer): SourceItem {
  if (raw.length === 0) return { kind: 'error', input, message: `${input}: empty, no message` };
  const binary = binaryReason(raw);
  if (binary) return { kind: 'error', input, message: `${input}: ${binary}; not a mail message, skipped` };
  return { kind: 'message', input, raw };
}

function overCap(input: string, size: number, maxBytes: number): SourceItem {
  return {
    kind: 'error',
    input,
    message: `${input}: message of ${size} bytes is over the ${maxBytes}-byte size limit; skipped`,
  };
}

async function readOneFile(path: string, maxBytes: number): Promise<SourceItem> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return { kind: 'error', input: path, message: `${path}: not a regular file; skipped` };
    if (st.size > maxBytes) return overCap(path, st.size, maxBytes);
    const raw = await readFile(path);
    if (raw.length > maxBytes) return overCap(path, raw.length, maxBytes);
    return checked(path, raw);
  } catch (err) {
    return { kind: 'error', input: path, message: `${path}: cannot read: ${why(err)}` };
  }
}

async function readStdin(stream: NodeJS.ReadableStream, maxBytes: number): Promise<SourceItem> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      // keep counting past the cap so the error can say how big it was, but hold nothing more
      if (size <= maxBytes) chunks.push(buf);
    }
  } catch (err) {
    return { kind: 'error', input: '-', message: `-: reading standard input failed: ${why(err)}` };
  }
  if (size > maxBytes) return overCap('-', size, maxBytes);
  return checked('-', Buffer.concat(chunks, size));
}

// ------------------------------------------------------------------ mbox

async function* readMbox(path: string, maxBytes: number): AsyncGenerator<SourceItem> {
  const file = createReadStream(path);
  const state = { endedMidLine: false };
  let n = 0;
  // one message of look-ahead: only the last one can be cut off by a truncated file
  let held: MboxMessage | null = null;
  try {
    for await (const m of splitMbox(file as AsyncIterable<Buffer>, maxBytes, state)) {
      n = m.n;
      if (held) yield mboxItem(path, held, maxBytes);
      held = m;
    }
  } catch (err) {
    if (held) yield mboxItem(path, held, maxBytes);
    held = null;
    yield { kind: 'error', input: `${path}#${n + 1}`, message: `${path}: reading the mbox failed after ${n} message(s): ${why(err)}` };
  } finally {
    file.destroy();
  }
  if (!held) return;
  const last = mboxItem(path, held, maxBytes);
  const cut = last.kind === 'message' && held.content ? truncation(held.content, state.endedMidLine) : null;
  if (cut && !cut.headersComplete) {
    yield { kind: 'error', input: last.input, message: `${last.input}: truncated mbox: ${cut.reason}; the message was skipped` };
    return;
  }
  yield last;
  if (cut) yield { kind: 'error', input: last.input, message: `${last.input}: truncated mbox: ${cut.reason}; what was there was read` };
}

function mboxItem(path: string, m: MboxMessage, maxBytes: number): SourceItem {
  const input = `${path}#${m.n}`;
  if (m.content === null) {
    return { kind: 'error', input, message: `${input}: message of ${m.bytes} bytes is over the ${maxBytes}-byte size limit; skipped` };
  }
  return checked(input, m.content);
}

/** Signs that the last message of an mbox was cut off, or null. */
function truncation(content: Buffer, endedMidLine: boolean): { reason: string; headersComplete: boolean } | null {
  const headEnd = Math.min(content.length, 256 * 1024);
  const head = content.toString('latin1', 0, headEnd);
  const sep = head.search(/\r?\n\r?\n/);
  if (sep < 0) {
    // a message that is all headers is legal; cut inside them is only visible when the file ends mid-line
    return endedMidLine ? { reason: 'the file ends inside the message headers', headersComplete: false } : null;
  }
  const headers = head.slice(0, sep);
  const ct = /^content-type:[ \t]*multipart\/[^\n]*(?:\n[ \t][^\n]*){0,10}/im.exec(headers);
  if (ct) {
    const b = /boundary="?([^";\r\n]{1,200})"?/i.exec(ct[0]);
    if (b && !content.includes(`--${b[1]}--`, 0, 'latin1')) {
      return { reason: 'the file ends before the closing MIME boundary', headersComplete: true };
    }
  }
  if (endedMidLine) return { reason: 'the file ends in the middle of a line', headersComplete: true };
  return null;
}
