import { createRequire } from 'node:module';
import mailsplit from '@zone-eu/mailsplit';
import { decode as base64Decode } from 'libbase64';
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { decode as qpDecode } from 'libqp';
import { ownCopy } from '../extract/shared.js';

/**
 * A synchronous reader for the common message shapes, with the same result as mailparser's
 * `simpleParser` for what parse.ts reads (headers, subject, first From address, the text and
 * the text attachments), and every other part body skipped unread. It answers null for any
 * shape it does not handle exactly as mailparser does, and the caller then runs mailparser.
 *
 * The hard parts are mailparser's own building blocks: mailsplit's MimeNode parses each part's
 * headers (content type, charset, transfer encoding, disposition, filename, boundary), libmime
 * decodes encoded words, flowed text and charsets, libqp and libbase64 the transfer encodings,
 * and the From header goes through the addressparser mailparser itself loads. What is ours is
 * the walk over the lines between boundaries, which follows mailsplit's splitter for the whole
 * input in one chunk (parse.ts hands mailparser one Buffer).
 */

const { MimeNode, Headers } = mailsplit;

/**
 * What the reader uses of a part's headers, as mailsplit's MimeNode reads them (parseHeaders):
 * the header lines, and what MimeNode makes of the first Content-Type, Content-Disposition and
 * Content-Transfer-Encoding lines.
 */
interface Node extends MimeFacts {
  lines: HeaderLine[];
}

interface MimeFacts {
  contentType: string | false;
  multipart: string | false;
  boundary: Buffer | false;
  charset: string | false;
  encoding: string | false;
  disposition: string | false;
  filename: string | false;
  flowed: boolean;
  delSp: boolean;
  /** the parsed Content-Type's parameters, and the ones given in RFC 2231 form */
  params: Record<string, string>;
  decodedParams: string[];
}

interface Address {
  name?: string;
  address?: string;
  group?: Address[];
}
// the addressparser mailparser resolves (its nodemailer may differ from the one listwatch uses)
const requireFromMailparser = createRequire(createRequire(import.meta.url).resolve('mailparser'));
const addressparserModule = requireFromMailparser('nodemailer/lib/addressparser') as
  | ((s: string) => Address[])
  | { default: (s: string) => Address[] };
const addressparser = typeof addressparserModule === 'function' ? addressparserModule : addressparserModule.default;

export interface HeaderLine {
  key: string;
  line: string;
}

/** What parse.ts reads from a parsed message, from either reader. */
export interface MailParts {
  headerLines: readonly HeaderLine[];
  subject: string | undefined;
  /** the first address of the first From header as mailparser decodes it, and its formatted text */
  from: { first: { name?: string; address?: string } | undefined; text: string | undefined } | undefined;
  text: string | undefined;
  html: string | undefined;
  textConversionError: Error | undefined;
  attachments: { contentType: string; filename: string | undefined; content: Buffer; charset: string | undefined }[];
}

/** Messages larger than this go to mailparser (the lean reader is synchronous). */
export const LEAN_MAX_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_PARTS = 100;
const MAX_NESTING = 4;
/** an unterminated last line this long is flushed in pieces by mailsplit; not worth following */
const MAX_TAIL_LINE = 60 * 1024;
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);
const PLAIN_ENCODINGS = new Set(['', '7bit', '8bit', 'binary']);
const SAFE_CHARSET = /^[A-Za-z0-9._:-]{1,64}$/;

class Unhandled extends Error {}
function unhandled(): never {
  throw new Unhandled();
}

interface Open {
  node: Node;
  boundary: Buffer;
  alternative: boolean;
}

interface Leaf {
  node: Node;
  /** the part's body as mailsplit writes it to the part's decoder, one piece per write */
  pieces: Buffer[];
  alternative: boolean;
  hasContentTypeHeader: boolean;
  contentTypeLine: string | undefined;
}

/** The message read the lean way, or null when mailparser must read it. Never throws. */
export function parseLean(raw: Buffer): MailParts | null {
  if (raw.length > LEAN_MAX_BYTES) return null;
  try {
    return read(raw);
  } catch (err) {
    if (err instanceof Unhandled) return null;
    // a library throwing on odd input: mailparser decides what that message is
    return null;
  }
}

function read(raw: Buffer): MailParts {
  const headEnd = headerBlockEnd(raw, 0);
  if (headEnd < 0) unhandled();
  const root = nodeOf(raw.subarray(0, headEnd), false);
  const headerLines = root.lines;
  const leaves: Leaf[] = [];
  if (root.multipart) walkMultipart(raw, headEnd, root, leaves);
  else {
    if (root.boundary) unhandled();
    const body = raw.subarray(headEnd);
    const nl = body.lastIndexOf(10);
    let pieces: Buffer[];
    if (body.length === 0) pieces = [];
    else if (nl === body.length - 1) pieces = [body];
    else {
      if (body.length - nl - 1 > MAX_TAIL_LINE) unhandled();
      pieces = nl < 0 ? [body] : [body.subarray(0, nl + 1), body.subarray(nl + 1)];
    }
    leaves.push(leafOf(root, pieces, false, headerLines));
  }

  const texts: string[] = [];
  const attachments: MailParts['attachments'] = [];
  for (const leaf of leaves) readLeaf(leaf, texts, attachments);
  return {
    headerLines,
    subject: subjectOf(headerLines),
    from: fromOf(headerLines),
    text: texts.length ? texts.join('\n') : undefined,
    html: undefined,
    textConversionError: undefined,
    attachments,
  };
}

/**
 * A part's headers read as MimeNode reads them. MimeNode's reading (two libmime header parses,
 * encoded-word decoding, its part numbering) was most of the lean reader's time, and what it makes
 * of a part depends only on three header lines that recur across a list's messages; so it is
 * worked out once per distinct triple of lines, and a part's whole header block, which recurs
 * too, is read once.
 */
function nodeOf(header: Buffer, isPart: boolean): Node {
  if (header.length > MAX_HEADER_BYTES) unhandled();
  const blockKey = isPart && header.length <= MAX_CACHED_BLOCK ? header.toString('latin1') : null;
  let node = blockKey === null ? undefined : blockCache.get(blockKey);
  if (!node) {
    const lines = (new Headers(header) as unknown as { getList(): HeaderLine[] }).getList();
    node = { lines, ...mimeFacts(header, lines) };
    // a multipart's block names its boundary, which no other message shares
    if (blockKey !== null && node.boundary === false) {
      if (blockCache.size >= MAX_CACHED) blockCache.clear();
      blockCache.set(blockKey, node);
    }
  }
  if (!node.contentType || node.contentType.startsWith('message/')) unhandled();
  return node;
}

// (the blocks, lines and triples that recur are few; unique ones, e.g. attachments named in their headers, fill it)
const MAX_CACHED = 500;
const MAX_CACHED_BLOCK = 2048;
/** part header blocks (latin1) → their reading; a block's lines are shared by every part that has it (read only) */
const blockCache = new Map<string, Node>();
/** the first Content-Type, Content-Disposition and Content-Transfer-Encoding lines → MimeNode's reading of them */
const factsCache = new Map<string, MimeFacts>();

function mimeFacts(header: Buffer, lines: readonly HeaderLine[]): MimeFacts {
  // MimeNode.parseHeaders reads getFirst() of these three (the first line of each key) and whether a Content-Type exists
  let type: string | undefined;
  let disposition: string | undefined;
  let encoding: string | undefined;
  for (const l of lines) {
    if (l.key === 'content-type') type ??= l.line;
    else if (l.key === 'content-disposition') disposition ??= l.line;
    else if (l.key === 'content-transfer-encoding') encoding ??= l.line;
  }
  const key =
    (type?.length ?? 0) + (disposition?.length ?? 0) + (encoding?.length ?? 0) > MAX_CACHED_BLOCK
      ? null
      : `${type === undefined ? '-' : `${type.length}:${type}`}|${disposition === undefined ? '-' : `${disposition.length}:${disposition}`}|${encoding ?? ''}`;
  let facts = key === null ? undefined : factsCache.get(key);
  if (!facts) {
    const node = new MimeNode(false);
    node.addHeaderChunk(header);
    node.parseHeaders();
    const ct = (node as unknown as { _parsedContentType: { params: Record<string, string>; decodedParams: string[] } })._parsedContentType;
    facts = {
      contentType: node.contentType,
      multipart: node.multipart,
      boundary: node._boundary,
      charset: node.charset,
      encoding: node.encoding,
      disposition: node.disposition,
      filename: node.filename,
      flowed: node.flowed,
      delSp: node.delSp,
      params: ct.params,
      decodedParams: ct.decodedParams,
    };
    // (a multipart's Content-Type names its boundary, which no other message shares; and its boundary
    // Buffer, cut from the shared pool, would hold an 8 KB slab of other messages' bytes alive)
    if (key !== null && facts.boundary === false) {
      if (factsCache.size >= MAX_CACHED) factsCache.clear();
      // cached keys are copies of their own: header lines are slices of their block's string, and a
      // slice (or a key joined from slices) kept in a cache would keep each message's whole block alive
      factsCache.set(ownCopy(key), facts);
    }
  }
  return facts;
}

function leafOf(node: Node, pieces: Buffer[], alternative: boolean, lines: HeaderLine[]): Leaf {
  const ct = lines.find((l) => l.key === 'content-type');
  return { node, pieces, alternative, hasContentTypeHeader: ct !== undefined, contentTypeLine: ct?.line };
}

/** Offset just past the empty line that ends the header block starting at `from`, or -1. */
function headerBlockEnd(raw: Buffer, from: number): number {
  let pos = from;
  while (pos < raw.length) {
    const nl = raw.indexOf(10, pos);
    if (nl < 0) return -1;
    if (nl === pos || (nl === pos + 1 && raw[pos] === 13)) return nl + 1;
    if (nl + 1 - from > MAX_HEADER_BYTES) return -1;
    pos = nl + 1;
  }
  return -1;
}

/**
 * The lines of a multipart body, as mailsplit's splitter reads them, for the shapes where every
 * delimiter line belongs to the innermost open multipart: parts are collected with their bodies;
 * anything else (a delimiter of an outer multipart cutting an inner one short, a closing
 * delimiter in a preamble, a delimiter line inside part headers, an unclosed multipart) is left
 * to mailparser.
 */
function walkMultipart(raw: Buffer, start: number, root: Node, leaves: Leaf[]): void {
  if (!root.boundary) unhandled();
  const stack: Open[] = [{ node: root, boundary: root.boundary, alternative: root.contentType === 'multipart/alternative' }];
  // where we are: in a multipart's preamble or epilogue (`leaf` null), or in a leaf's body
  let leaf: { node: Node; bodyStart: number; alternative: boolean; lines: HeaderLine[] } | null = null;
  let epilogue = false;
  let parts = 0;
  let pos = start;
  // Only lines that start with `--` (a delimiter) or with CR and `-` (refused below) matter. Without
  // any of the latter the walk goes from one `--` line to the next with one search each, instead of
  // one search per line of every part body and attachment.
  const dashLinesOnly = raw.indexOf(NL_CR_DASH, start - 1) < 0;
  while (pos < raw.length) {
    if (dashLinesOnly && (raw[pos] !== 45 || raw[pos + 1] !== 45)) {
      const next = raw.indexOf(NL_DASHES, pos);
      if (next < 0) break;
      pos = next + 1;
    }
    const nl = raw.indexOf(10, pos);
    const end = nl < 0 ? raw.length : nl + 1;
    const lineStart = pos;
    pos = end;
    // cheap test first: a delimiter starts with "--" (or a line ending and "--", which we leave to mailparser)
    const b0 = raw[lineStart];
    if (b0 === 13 && raw[lineStart + 1] === 45) unhandled();
    if (b0 !== 45 || raw[lineStart + 1] !== 45 || end - lineStart < 4) continue;
    const top = stack[stack.length - 1]!;
    let kind: 1 | 2 | false = false;
    let owner = -1;
    if (leaf) {
      // a leaf's own boundary was refused when it was opened; its parent is the top of the stack
      [kind, owner] = enclosingBoundary(raw, lineStart, end, stack, stack.length - 1);
    } else {
      if (!epilogue) kind = compareBoundary(raw, lineStart, end, top.boundary);
      if (kind) owner = stack.length - 1;
      else [kind, owner] = enclosingBoundary(raw, lineStart, end, stack, stack.length - 2);
    }
    if (!kind) continue;
    if (leaf) {
      if (owner !== stack.length - 1) unhandled();
      leaves.push(leafOf(leaf.node, bodyPieces(raw, leaf.bodyStart, lineStart, kind === 1), leaf.alternative, leaf.lines));
      leaf = null;
    } else if (epilogue) {
      // a delimiter of the closed multipart's parent
      if (owner !== stack.length - 2) unhandled();
      stack.pop();
    } else {
      // a delimiter of the multipart whose preamble this is
      if (owner !== stack.length - 1 || kind === 2) unhandled();
    }
    epilogue = false;
    if (kind === 2) {
      // the parent multipart ends: its epilogue follows
      epilogue = true;
      if (stack.length === 1) return;
      continue;
    }
    // a new part of the top multipart: its headers
    if (++parts > MAX_PARTS) unhandled();
    const parent = stack[stack.length - 1]!;
    const headEnd = headerBlockEnd(raw, pos);
    if (headEnd < 0) unhandled();
    // no delimiter line may hide in the part's headers
    for (let p = pos; p < headEnd; ) {
      const e = raw.indexOf(10, p) + 1;
      if (raw[p] === 45 && raw[p + 1] === 45) {
        for (const o of stack) if (compareBoundary(raw, p, e, o.boundary)) unhandled();
      }
      if (raw[p] === 13) unhandled();
      p = e;
    }
    const node = nodeOf(raw.subarray(pos, headEnd), true);
    const lines = node.lines;
    pos = headEnd;
    if (node.multipart) {
      if (!node.boundary || stack.length >= MAX_NESTING) unhandled();
      stack.push({ node, boundary: node.boundary, alternative: parent.alternative || node.contentType === 'multipart/alternative' });
    } else {
      if (node.boundary) unhandled();
      leaf = { node, bodyStart: headEnd, alternative: parent.alternative, lines };
    }
  }
  // the input ended inside the message (no closing delimiter of the root)
  unhandled();
}

const NL_DASHES = Buffer.from('\n--');
const NL_CR_DASH = Buffer.from('\n\r-');

/**
 * A part body ends before the line ending in front of its delimiter. mailsplit keeps a body that
 * is nothing but one line ending as it is before a next-part delimiter (it flushes the body then, and
 * re-slices only a body that trimming leaves non-empty) and drops it before a closing delimiter.
 */
function bodyPieces(raw: Buffer, start: number, delimiter: number, nextPart: boolean): Buffer[] {
  if (delimiter <= start) return [];
  let end = delimiter;
  if (raw[end - 1] === 10) {
    end--;
    if (end > start && raw[end - 1] === 13) end--;
  }
  if (end === start) return nextPart ? [raw.subarray(start, delimiter)] : [];
  return [raw.subarray(start, end)];
}

/** mailsplit's compareBoundary for a line at raw[start, end) (startpos 0): 1 next part, 2 closing, false. */
/** The innermost of stack[0..from] whose boundary the line is, as [compareBoundary's answer, its index], else [false, -1]. */
function enclosingBoundary(raw: Buffer, start: number, end: number, stack: readonly Open[], from: number): [1 | 2 | false, number] {
  for (let k = from; k >= 0; k--) {
    const r = compareBoundary(raw, start, end, stack[k]!.boundary);
    if (r) return [r, k];
  }
  return [false, -1];
}

function compareBoundary(raw: Buffer, start: number, end: number, boundary: Buffer): 1 | 2 | false {
  const len = end - start;
  if (len < boundary.length + 3 || len > boundary.length + 2 + 2 + 998 + 2) return false;
  for (let i = 0; i < boundary.length; i++) if (raw[start + 2 + i] !== boundary[i]) return false;
  let i = start + 2 + boundary.length;
  let result: 1 | 2 = 1;
  if (raw[i] === 45) {
    if (raw[i + 1] !== 45) return false;
    result = 2;
    i += 2;
  }
  while (i < end && (raw[i] === 32 || raw[i] === 9)) i++;
  if (i === end) return result === 2 ? 2 : false;
  while (i < end && raw[i] === 13) i++;
  if (i < end && raw[i] === 10) i++;
  return i === end ? result : false;
}

// ------------------------------------------------------------------ part contents

function readLeaf(leaf: Leaf, texts: string[], attachments: MailParts['attachments']): void {
  const node = leaf.node;
  const contentType = node.contentType as string;
  const isTextType = TEXT_TYPES.has(contentType);
  let disposition = node.disposition || '';
  if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
  if (!disposition) disposition = isTextType ? 'inline' : 'attachment';
  const isAttachment = !isTextType || disposition !== 'inline';
  const encoding = node.encoding || '';
  if (!PLAIN_ENCODINGS.has(encoding) && encoding !== 'base64' && encoding !== 'quoted-printable') unhandled();

  if (isAttachment) {
    let type = contentType;
    if (type === 'application/octet-stream' && node.filename) type = libmime.detectMimeType(node.filename) || type;
    // only text attachments are read (parse.ts appends them); the rest are skipped unread
    if (!type.toLowerCase().startsWith('text/') || type.toLowerCase() === 'text/html') return;
    let charset: string | undefined;
    if (leaf.hasContentTypeHeader) {
      if (/[^\x00-\x7f]/.test(leaf.contentTypeLine ?? '')) unhandled();
      charset = node.params.charset;
      if (charset !== undefined && (!SAFE_CHARSET.test(charset) || node.decodedParams.includes('charset'))) unhandled();
    }
    attachments.push({ contentType: type, filename: node.filename || undefined, content: transferDecode(leaf.pieces, encoding), charset });
    return;
  }
  if (contentType === 'text/html') {
    // inside multipart/alternative mailparser keeps the HTML aside and converts nothing; elsewhere it converts it to text
    if (!leaf.alternative) unhandled();
    return;
  }
  if (contentType !== 'text/plain') unhandled();
  let bytes = transferDecode(leaf.pieces, encoding);
  if (node.flowed) bytes = Buffer.from(libmime.decodeFlowed(bytes.toString('binary'), node.delSp), 'binary');
  const charset = node.charset || 'utf-8';
  let text: string;
  if (['ascii', 'usascii', 'utf8'].includes(charset.toLowerCase().replace(/[^a-z0-9]+/g, ''))) text = bytes.toString();
  else {
    text = decodeCharset(bytes, charset);
    // mailparser's decode stream hands the text on as UTF-8 bytes: a lone surrogate becomes U+FFFD
    if (/[\uD800-\uDFFF]/.test(text)) text = Buffer.from(text, 'utf-8').toString();
  }
  // without a CR the replacement is the identity (and on a long text a costly one: millions of matches)
  if (text.includes('\r')) text = text.replace(/\r?\n/g, '\n');
  if (text) texts.push(text);
}

function transferDecode(pieces: Buffer[], encoding: string): Buffer {
  if (encoding === 'quoted-printable') {
    return pieces.length ? qpDecode(pieces.map((p) => p.toString('binary')).join('')) : Buffer.alloc(0);
  }
  if (encoding === 'base64') return base64Stream(pieces);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/** libbase64's Decoder stream, write by write (a padding run restarts the quartet alignment). */
function base64Stream(pieces: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let cur = '';
  for (const piece of pieces) {
    if (!piece.length) continue;
    let b64 = cur + piece.toString('latin1');
    cur = '';
    if (/[^a-zA-Z0-9+/=]/.test(b64)) b64 = b64.replace(/[^a-zA-Z0-9+/=]/g, '');
    let padded = '';
    const lastPad = b64.lastIndexOf('=');
    if (lastPad >= 0) {
      padded = b64.slice(0, lastPad + 1);
      b64 = b64.slice(lastPad + 1);
    }
    if (b64.length < 4) {
      cur = b64;
      b64 = '';
    } else if (b64.length % 4) {
      cur = b64.slice(-(b64.length % 4));
      b64 = b64.slice(0, b64.length - cur.length);
    }
    b64 = padded + b64;
    if (b64) out.push(base64Decode(b64));
  }
  if (cur) out.push(base64Decode(cur));
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

// ------------------------------------------------------------------ headers, as mailparser's processHeaders decodes them

function headerValue(line: string): string {
  const v = ((libmime.decodeHeader(line) || { value: '' }).value || '').toString().trim();
  return Buffer.from(v, 'binary').toString();
}

function subjectOf(lines: readonly HeaderLine[]): string | undefined {
  for (const l of lines) {
    if (l.key !== 'subject') continue;
    // a list's subjects recur (a thread's replies): each distinct line is decoded once
    let v = subjectCache.get(l.line);
    if (v === undefined) {
      v = decodeSubject(l.line);
      if (l.line.length <= MAX_CACHED_BLOCK) {
        if (subjectCache.size >= MAX_CACHED) subjectCache.clear();
        subjectCache.set(ownCopy(l.line), v);
      }
    }
    if (v) return v;
  }
  return undefined;
}

const subjectCache = new Map<string, string>();

function decodeSubject(line: string): string {
  let v = headerValue(line);
  try {
    v = libmime.decodeWords(v);
  } catch {
    // kept as is, as mailparser does
  }
  return v;
}

/** The first address of the first From header, when it is a plain address; anything else is mailparser's. */
function fromOf(lines: readonly HeaderLine[]): MailParts['from'] {
  const l = lines.find((x) => x.key === 'from');
  if (!l) return undefined;
  const value = headerValue(l.line);
  let first = fromCache.get(value);
  if (first === undefined) {
    first = firstAddress(value);
    // a list's posters recur: addressparser was a quarter of the lean reader's time
    if (fromCache.size >= 2000) fromCache.clear();
    fromCache.set(value, first);
  }
  if (first === null) unhandled();
  return { first: { name: first.name, address: first.address }, text: undefined };
}

const fromCache = new Map<string, { name: string; address: string } | null>();

function firstAddress(value: string): { name: string; address: string } | null {
  const a = addressparser(value)[0];
  if (!a || a.group || !a.address || !a.address.includes('@') || /\s/.test(a.address)) return null;
  // encoded words and punycode in the address are decoded (or refused) by mailparser
  if (a.address.includes('=?') || a.address.includes('@xn--')) return null;
  let name = (a.name || '').toString().trim();
  if (name) {
    try {
      name = libmime.decodeWords(name);
    } catch {
      // kept as is
    }
  }
  return { name, address: a.address };
}
