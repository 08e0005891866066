import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ParsedMail } from 'mailparser';
import { parseLean, type HeaderLine, type MailParts } from './lean.js';
import type { Party } from '../contract.js';
import { deobfuscateAddress, orgOf, parseParty } from './org.js';
import { segmentBody } from './quotes.js';
import { detectTlp } from './tlp.js';
import type { MailPost } from './types.js';
import { parseWebArchive } from './webarchive.js';

export class MailParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailParseError';
  }
}

export const DEFAULT_MAX_TEXT_BYTES = 2 * 1024 * 1024;
export const DEFAULT_TIME_BUDGET_MS = 10_000;
/** lines longer than this are cut before analysis */
export const MAX_LINE_CHARS = 64 * 1024;
/** MIME multiparts nested deeper than this are refused before mailparser sees them */
export const MAX_MIME_DEPTH = 50;
/** raw input beyond this is refused outright (the source layer caps messages well below it) */
const MAX_RAW_BYTES = 64 * 1024 * 1024;
const MAX_HEADER_VALUE = 4000;

export interface ParseMailOptions {
  maxTextBytes?: number;
  timeBudgetMs?: number;
  /** 'mailparser' skips the lean reader (the differential tests compare the two) */
  mimeParser?: MimeParserChoice;
}

/** raw RFC 822 bytes, or a web-archive text copy → MailPost. Throws MailParseError with a clear reason for input that is not a message. */
export async function parseMail(raw: Buffer, input: string, opts: ParseMailOptions = {}): Promise<MailPost> {
  const maxTextBytes = opts.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const timeBudgetMs = opts.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS;
  if (raw.length === 0) throw new MailParseError(`${input}: empty input, not a mail message`);
  if (raw.length > MAX_RAW_BYTES) throw new MailParseError(`${input}: ${raw.length} bytes is over the ${MAX_RAW_BYTES}-byte limit for one message`);
  const binary = binaryReason(raw);
  if (binary) throw new MailParseError(`${input}: ${binary}, not a mail message`);

  const body = stripEnvelope(raw);
  if (hasHeaderBlock(body)) {
    const charsetless = declareLegacyCharset(body);
    return parseRfc822(charsetless.raw, input, maxTextBytes, timeBudgetMs, charsetless.warnings, opts.mimeParser ?? 'auto');
  }

  const decoded = decodeText(raw);
  const web = parseWebArchive(decoded.text);
  if (!web) throw new MailParseError(`${input}: no mail headers at the top and not a web-archive copy of a post`);
  const warnings = [...decoded.warnings];
  const subject = web.headers.subject ?? web.title;
  const from = web.headers.from ? parseParty(web.headers.from) : emptyParty();
  const date = parseMailDate(web.headers.date);
  return finish({
    input,
    messageId: web.headers.messageId ? webMsgId(web.headers.messageId) : null,
    inReplyTo: web.headers.inReplyTo ? webMsgId(web.headers.inReplyTo) : null,
    references: [],
    subject,
    date,
    from,
    text: web.body,
    headers: emptyHeaders(),
    warnings,
    maxTextBytes,
  });
}

// ------------------------------------------------------------------ RFC 822

async function parseRfc822(
  raw: Buffer,
  input: string,
  maxTextBytes: number,
  timeBudgetMs: number,
  earlyWarnings: string[],
  mimeParser: MimeParserChoice,
): Promise<MailPost> {
  const depth = mimeDepth(raw);
  if (depth > MAX_MIME_DEPTH) {
    throw new MailParseError(`${input}: MIME multiparts nested ${depth} deep (limit ${MAX_MIME_DEPTH}); refusing to parse`);
  }
  // the common shapes are read synchronously from the Buffer; every other shape goes to mailparser
  const started = performance.now();
  const lean = mimeParser === 'mailparser' ? null : parseLean(raw);
  const spent = performance.now() - started;
  if (spent > timeBudgetMs) throw new MailParseError(`${input}: parsing took longer than ${timeBudgetMs} ms; gave up`);
  if (mimeParser !== 'mailparser') mimeReaderCounts[lean ? 'lean' : 'mailparser']++;
  const parsed = lean ?? (await mailparserParts(raw, input, maxTextBytes, timeBudgetMs, Math.max(1, timeBudgetMs - spent)));
  return partsToPost(parsed, input, maxTextBytes, earlyWarnings);
}

/** How many messages each reader has read in this process (default choice only): the lean reader's share. */
export const mimeReaderCounts = { lean: 0, mailparser: 0 };

/** Which MIME reader parseRfc822 uses: the lean reader with mailparser behind it (default), or mailparser alone. */
export type MimeParserChoice = 'auto' | 'mailparser';

// mailparser (with its html-to-text and nodemailer) is ~30 MB of resident memory; most archives
// never need it once the lean reader takes the common shapes, so it is loaded on first use
let mailparserModule: Promise<typeof import('mailparser')> | undefined;

async function mailparserParts(raw: Buffer, input: string, maxTextBytes: number, timeBudgetMs: number, remainingMs: number): Promise<MailParts> {
  let parsed: ParsedMail;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { simpleParser } = await (mailparserModule ??= import('mailparser'));
    parsed = await Promise.race([
      simpleParser(raw, {
        skipTextToHtml: true,
        skipImageLinks: true,
        skipTextLinks: true,
        keepCidLinks: true,
        maxHtmlLengthToParse: 4 * maxTextBytes,
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MailParseError(`${input}: parsing took longer than ${timeBudgetMs} ms; gave up`)), remainingMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof MailParseError) throw err;
    throw new MailParseError(`${input}: mailparser failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
  const first = parsed.from?.value?.[0];
  return {
    headerLines: parsed.headerLines ?? [],
    subject: parsed.subject,
    from: parsed.from ? { first: first ? { name: first.name, address: first.address } : undefined, text: parsed.from.text } : undefined,
    text: parsed.text,
    html: typeof parsed.html === 'string' ? parsed.html : undefined,
    textConversionError: parsed.textConversionError,
    attachments: (parsed.attachments ?? []).flatMap((a) => {
      if (!Buffer.isBuffer(a.content)) return [];
      const ct = a.headers?.get('content-type') as { params?: Record<string, string> } | undefined;
      return [{ contentType: a.contentType, filename: a.filename, content: a.content, charset: ct?.params?.charset }];
    }),
  };
}

function partsToPost(parsed: MailParts, input: string, maxTextBytes: number, earlyWarnings: string[]): MailPost {
  const warnings: string[] = [...earlyWarnings];
  const h = headerMap(parsed.headerLines);
  const one = (k: string): string | null => h.get(k)?.[0] ?? null;

  let text = parsed.text ?? '';
  if (!text && typeof parsed.html === 'string' && parsed.textConversionError) {
    warnings.push(`HTML body could not be converted to text: ${parsed.textConversionError.message}`);
  }
  if (text.includes('\uFFFD')) warnings.push('invalid bytes for the declared charset were replaced (U+FFFD)');
  text = withTextAttachments(text, parsed, maxTextBytes, warnings);

  return finish({
    input,
    messageId: one('message-id') ? firstMsgId(one('message-id')!) : null,
    inReplyTo: one('in-reply-to') ? firstMsgId(one('in-reply-to')!) : null,
    references: msgIds(one('references') ?? ''),
    subject: parsed.subject ?? null,
    date: parseMailDate(one('date')),
    from: fromParty(parsed, one('from')),
    text,
    headers: {
      listId: listIdOf(one('list-id')),
      autoSubmitted: one('auto-submitted'),
      precedence: one('precedence'),
      xLoop: h.get('x-loop') ?? [],
      returnPath: angleValue(one('return-path')),
      replyTo: one('reply-to') ? (parseParty(one('reply-to')!).address ?? one('reply-to')) : null,
      autoReplyMarkers: AUTO_REPLY_HEADERS.flatMap((k) => (h.get(k) ?? []).map((v) => `${k}: ${v}`)),
      ...archivedAtOf(one('archived-at')),
    },
    warnings,
    maxTextBytes,
  });
}

/**
 * Logs are often attached rather than pasted: text attachments (not HTML) are appended to the
 * text after a `[attachment: name]` line, so their records are found and attributed to the sender.
 */
function withTextAttachments(text: string, parsed: MailParts, maxTextBytes: number, warnings: string[]): string {
  let out = text;
  for (const a of parsed.attachments) {
    const type = (a.contentType ?? '').toLowerCase();
    if (!type.startsWith('text/') || type === 'text/html') continue;
    const name = (a.filename ?? 'unnamed').replace(/[\r\n\]]/g, ' ').slice(0, 200);
    if (a.content.length > maxTextBytes || binaryReason(a.content)) {
      warnings.push(`text attachment ${name} not read (${a.content.length} bytes)`);
      continue;
    }
    const body = decodeCharset(a.content, a.charset);
    if (out && !out.endsWith('\n')) out += '\n';
    out += `\n[attachment: ${name}]\n${body.endsWith('\n') ? body : `${body}\n`}`;
  }
  return out;
}

function decodeCharset(buf: Buffer, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase();
  try {
    return new TextDecoder(label, { fatal: true }).decode(buf);
  } catch {
    try {
      return new TextDecoder('windows-1252').decode(buf);
    } catch {
      return buf.toString('latin1');
    }
  }
}

const AUTO_REPLY_HEADERS = [
  'x-autoreply',
  'x-autorespond',
  'x-auto-response-suppress',
  'x-autoresponder',
  'x-autogenerated',
  'x-autoreply-from',
  'x-mail-autoreply',
];

/** header name (lower case) → unfolded raw values, in order */
/** The headers parseRfc822 reads (keep in step with it): the rest, mostly Received, are not worth normalising. */
const READ_HEADERS = new Set([
  'message-id', 'in-reply-to', 'references', 'date', 'from', 'list-id', 'auto-submitted', 'precedence',
  'x-loop', 'return-path', 'reply-to', 'archived-at', ...AUTO_REPLY_HEADERS,
]);

/** whitespace that /\s+/g → ' ' changes: two in a row, or one that is not a space */
const WHITESPACE_TO_FOLD = /\s\s|[^\S ]/;

function headerMap(headerLines: readonly HeaderLine[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const hl of headerLines) {
    const key = hl.key.toLowerCase();
    if (!READ_HEADERS.has(key)) continue;
    const colon = hl.line.indexOf(':');
    if (!key || colon < 0) continue;
    const raw = hl.line.slice(colon + 1, colon + 1 + MAX_HEADER_VALUE);
    // (the replacement is the identity unless some whitespace is not a single space)
    const value = (WHITESPACE_TO_FOLD.test(raw) ? raw.replace(/\s+/g, ' ') : raw).trim();
    const list = m.get(key);
    if (list) {
      if (list.length < 100) list.push(value);
    } else m.set(key, [value]);
  }
  return m;
}

function fromParty(parsed: MailParts, rawFrom: string | null): Party {
  const v = parsed.from?.first;
  if (v && v.address && v.address.includes('@') && !/\s/.test(v.address)) {
    return { name: v.name ? v.name.trim() || null : null, address: v.address, org: orgOf(v.address) };
  }
  if (parsed.from?.text) return parseParty(parsed.from.text);
  return rawFrom ? parseParty(rawFrom) : emptyParty();
}

function listIdOf(v: string | null): string | null {
  if (!v) return null;
  const inner = angleValue(v);
  return inner || null;
}

/** `<x@y>` → `x@y`; a value without brackets is returned trimmed; `<>` gives ''. */
function angleValue(v: string | null): string | null {
  if (v === null) return null;
  const lt = v.lastIndexOf('<');
  const gt = lt >= 0 ? v.indexOf('>', lt) : -1;
  if (lt >= 0 && gt > lt) return v.slice(lt + 1, gt).trim();
  return v.trim();
}

/** `<3B96A8B2.8030203 () auckland ! ac ! nz>` as archives print it → `3B96A8B2.8030203@auckland.ac.nz` */
function webMsgId(v: string): string | null {
  const inner = angleValue(v) ?? '';
  const id = deobfuscateAddress(inner);
  return id && id.length <= 998 && !/\s/.test(id) ? id : firstMsgId(v);
}

function firstMsgId(v: string): string | null {
  const ids = msgIds(v);
  return ids[0] ?? null;
}

/** Message-IDs in a header value, without brackets, in order (bounded). */
function msgIds(v: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (out.length < 500) {
    const lt = v.indexOf('<', pos);
    if (lt < 0) break;
    const gt = v.indexOf('>', lt + 1);
    if (gt < 0) break;
    const id = v.slice(lt + 1, gt).trim();
    if (id && id.length <= 998 && !/\s/.test(id)) out.push(id);
    pos = gt + 1;
  }
  if (out.length === 0) {
    for (const tok of v.split(/\s+/)) if (tok.includes('@') && tok.length <= 998 && out.length < 500) out.push(tok);
  }
  return out;
}

// ------------------------------------------------------------------ the post

interface Draft {
  input: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string | null;
  date: { iso: string; offsetMinutes: number } | null;
  from: Party;
  text: string;
  headers: MailPost['headers'];
  warnings: string[];
  maxTextBytes: number;
}

function finish(d: Draft): MailPost {
  const text = capText(d.text.includes('\r') ? d.text.replace(/\r\n?/g, '\n') : d.text, d.maxTextBytes, d.warnings);
  const subject = d.subject === null ? null : d.subject.replace(/\s+/g, ' ').trim().slice(0, MAX_HEADER_VALUE);
  const id = d.messageId ?? stableId(subject, d.date?.iso ?? null, d.from.address, text);
  return {
    id,
    hasMessageId: d.messageId !== null,
    inReplyTo: d.inReplyTo,
    references: d.references,
    subject,
    date: d.date?.iso ?? null,
    offsetMinutes: d.date?.offsetMinutes ?? 0,
    from: d.from,
    text,
    blocks: segmentBody(text),
    tlp: detectTlp(subject, text),
    headers: d.headers,
    input: d.input,
    warnings: d.warnings,
  };
}

/** `lw-` + 24 hex of sha256 over what identifies the post when it has no Message-ID. */
function stableId(subject: string | null, date: string | null, from: string | null, text: string): string {
  const h = createHash('sha256');
  h.update(`${subject ?? ''}\0${date ?? ''}\0${from ?? ''}\0`);
  h.update(text);
  return `lw-${h.digest('hex').slice(0, 24)}`;
}

/** Is any '\n'-separated line of text longer than max characters? */
function hasLineLongerThan(text: string, max: number): boolean {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (end - start > max) return true;
    if (nl < 0) return false;
    start = nl + 1;
  }
}

/** Truncates the body at a line boundary under the byte cap and cuts over-long lines. */
function capText(text: string, maxBytes: number, warnings: string[]): string {
  let t = text;
  const bytes = Buffer.byteLength(t, 'utf8');
  if (bytes > maxBytes) {
    // chars <= bytes, so cutting at maxBytes chars and then trimming to the byte budget is enough
    let cut = t.slice(0, maxBytes);
    while (Buffer.byteLength(cut, 'utf8') > maxBytes) cut = cut.slice(0, Math.floor(cut.length * 0.9));
    const nl = cut.lastIndexOf('\n');
    t = nl > 0 ? cut.slice(0, nl + 1) : cut;
    warnings.push(`text body of ${bytes} bytes truncated to ${Buffer.byteLength(t, 'utf8')} bytes (limit ${maxBytes})`);
  }
  let longLines = 0;
  // the split copy only when some line is over the cap (a 100,000-line paste has none)
  if (t.length > MAX_LINE_CHARS && hasLineLongerThan(t, MAX_LINE_CHARS)) {
    const parts = t.split('\n');
    for (let i = 0; i < parts.length; i++) {
      if (parts[i]!.length > MAX_LINE_CHARS) {
        parts[i] = parts[i]!.slice(0, MAX_LINE_CHARS);
        longLines++;
      }
    }
    if (longLines) {
      t = parts.join('\n');
      warnings.push(`${longLines} line(s) longer than ${MAX_LINE_CHARS} characters cut to that length`);
    }
  }
  return t;
}

/** RFC 5064 `Archived-At: <https://...>`: kept only when it is a plain http(s) URL. */
function archivedAtOf(v: string | null): { archivedAt?: string } {
  if (!v) return {};
  const url = (angleValue(v) ?? v).trim();
  return /^https?:\/\/[^\s<>"]{1,2000}$/i.test(url) ? { archivedAt: url } : {};
}

function emptyParty(): Party {
  return { name: null, address: null, org: null };
}

function emptyHeaders(): MailPost['headers'] {
  return { listId: null, autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] };
}

// ------------------------------------------------------------------ raw-byte checks

/** a NUL or a control byte other than tab, LF, FF, CR and ESC */
const NUL_OR_CONTROL = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/;

/** Why the bytes are not text at all (NUL bytes, mostly control bytes), or null. */
export function binaryReason(raw: Buffer): string | null {
  if (raw.length >= 8 && raw.readUInt32BE(0) === 0xd0cf11e0 && raw.readUInt32BE(4) === 0xa1b11ae1) {
    return 'an Outlook .msg (OLE compound file); save the message as .eml instead';
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) return 'gzip-compressed data; decompress it first';
  const n = Math.min(raw.length, 64 * 1024);
  // the usual message has neither: one native scan answers (the loop below counts them when there are)
  if (!NUL_OR_CONTROL.test(raw.toString('latin1', 0, n))) return null;
  let nul = 0;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = raw[i]!;
    if (b === 0) nul++;
    else if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) control++;
  }
  if (nul > 0) return `binary data (${nul} NUL bytes in the first ${n} bytes)`;
  if (control > n / 20) return `binary data (${control} control bytes in the first ${n} bytes)`;
  return null;
}

/**
 * Old posts often carry 8-bit Latin-1 text without any MIME headers; mailparser would turn every
 * such byte into U+FFFD. When a message has no Content-Type and its body is not valid UTF-8,
 * declare Windows-1252 (a superset of Latin-1 for text) before parsing.
 */
function declareLegacyCharset(raw: Buffer): { raw: Buffer; warnings: string[] } {
  const headEnd = headerEnd(raw);
  if (headEnd < 0) return { raw, warnings: [] };
  const headers = raw.toString('latin1', 0, headEnd);
  if (/^content-type:/im.test(headers)) return { raw, warnings: [] };
  const body = raw.subarray(headEnd);
  let has8bit = false;
  for (let i = 0; i < body.length; i++) {
    if (body[i]! >= 0x80) {
      has8bit = true;
      break;
    }
  }
  if (!has8bit) return { raw, warnings: [] };
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return { raw, warnings: [] };
  } catch {
    return {
      raw: Buffer.concat([Buffer.from('Content-Type: text/plain; charset=windows-1252\n'), raw]),
      warnings: ['8-bit body without a declared charset read as Windows-1252'],
    };
  }
}

/** The offset just after the blank line that ends the header block, or -1. */
function headerEnd(raw: Buffer): number {
  const limit = Math.min(raw.length, 256 * 1024);
  for (let i = 0; i < limit; i++) {
    if (raw[i] !== 10) continue;
    if (raw[i + 1] === 10) return i + 2;
    if (raw[i + 1] === 13 && raw[i + 2] === 10) return i + 3;
  }
  return -1;
}

/** Drops a UTF-8 BOM, leading blank lines and an mbox `From ` envelope line from the start. */
function stripEnvelope(raw: Buffer): Buffer {
  let start = 0;
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) start = 3;
  while (start < raw.length && start < 1000 && (raw[start] === 10 || raw[start] === 13)) start++;
  const b = raw.subarray(start);
  if (b.length > 5 && b.toString('latin1', 0, 5) === 'From ') {
    const nl = b.indexOf(10);
    return nl < 0 ? Buffer.alloc(0) : b.subarray(nl + 1);
  }
  return b;
}

const FIELD_NAME = /^[!-9;-~]{1,76}:/;
const MESSAGE_HEADERS = new Set(['from', 'date', 'subject', 'message-id', 'received', 'return-path', 'to', 'sender', 'mime-version', 'delivered-to']);

/** The bytes start with an RFC 822 header block naming at least one message header. */
function hasHeaderBlock(raw: Buffer): boolean {
  // the loop below stops at the first blank line: only the bytes up to it are made a string
  // (not the first 256 KB of every message, attachments and all)
  const limit = Math.min(raw.length, 256 * 1024);
  const blank = firstBlankLine(raw, limit);
  const head = raw.toString('latin1', 0, blank < 0 ? limit : Math.min(limit, blank + 1));
  let pos = 0;
  let seen = false;
  for (let lines = 0; lines < 2000 && pos < head.length; lines++) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    let line = head.slice(pos, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = nl + 1;
    if (line === '') return seen;
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
      if (lines === 0) return false;
      continue;
    }
    const m = FIELD_NAME.exec(line.slice(0, 80));
    if (!m) return false;
    if (!seen && MESSAGE_HEADERS.has(m[0].slice(0, -1).toLowerCase())) seen = true;
  }
  return seen;
}

/** Where the first empty line (`\n\n`, `\n\r\n`, or one at the very start) begins, within limit; -1 when none. */
function firstBlankLine(raw: Buffer, limit: number): number {
  if (raw[0] === 10 || (raw[0] === 13 && raw[1] === 10)) return 0;
  const lf = raw.indexOf('\n\n');
  // only a CRLF blank line before the LF one matters (searching the whole message for one was a full scan of every LF message)
  const crlf = (lf < 0 ? raw : raw.subarray(0, lf + 1)).indexOf('\n\r\n');
  const at = lf < 0 ? crlf : crlf < 0 ? lf : Math.min(lf, crlf);
  return at < 0 || at >= limit ? -1 : at + 1;
}

/**
 * How deep multipart bodies nest, from the raw text alone (boundary stack, linear, bounded):
 * lets a hostile 200-level message be refused before mailparser recurses into it.
 */
const NL_DASHES = Buffer.from('\n--');

export function mimeDepth(raw: Buffer): number {
  // read on the bytes: only header lines and `--` lines become (latin1) strings, not the whole message
  const stack: string[] = [];
  let maxDepth = 0;
  let inHeaders = true;
  let contentType = '';
  let inContentType = false;
  let pos = 0;
  while (pos < raw.length) {
    let nl = raw.indexOf(10, pos);
    if (nl < 0) nl = raw.length;
    if (!inHeaders) {
      // in a body only a boundary line of an open multipart changes anything; with none open, nothing can
      if (stack.length === 0) return maxDepth;
      if (raw[pos] !== 45 || raw[pos + 1] !== 45 || pos + 1 >= nl) {
        // on to the next line that starts with `--` (one search, not one per line of an attachment)
        const next = raw.indexOf(NL_DASHES, pos);
        if (next < 0) return maxDepth;
        pos = next + 1;
        continue;
      }
    }
    const lineEnd = Math.min(nl, pos + 2000);
    if (inHeaders) {
      // header lines are read on the bytes: only a Content-Type line and its continuations become strings
      const start = pos;
      pos = nl + 1;
      if (lineEnd === start || (lineEnd === start + 1 && raw[start] === 13)) {
        inHeaders = false;
        inContentType = false;
        const ct = contentType.toLowerCase();
        contentType = '';
        if (ct.startsWith('multipart/')) {
          const b = boundaryOf(ct);
          if (b) {
            stack.push(b);
            if (stack.length > maxDepth) maxDepth = stack.length;
            if (maxDepth > MAX_MIME_DEPTH) return maxDepth;
          }
        } else if (ct.startsWith('message/rfc822') || ct.startsWith('message/global')) {
          inHeaders = true;
        }
        continue;
      }
      const first = raw[start];
      if (first === 32 || first === 9) {
        if (inContentType && contentType.length < 2000) contentType += lineText(raw, start, lineEnd);
        continue;
      }
      inContentType = lineEnd - start >= 13 && isContentTypeField(raw, start);
      if (inContentType) contentType = raw.toString('latin1', start + 13, lineEnd).trim();
      continue;
    }
    const line = lineText(raw, pos, lineEnd);
    pos = nl + 1;
    if (line.startsWith('--') && stack.length > 0) {
      const lower = line.toLowerCase().trimEnd();
      for (let k = stack.length - 1; k >= 0; k--) {
        const b = stack[k]!;
        if (lower === `--${b}--`) {
          stack.length = k;
          break;
        }
        if (lower === `--${b}`) {
          stack.length = k + 1;
          inHeaders = true;
          break;
        }
      }
    }
  }
  return maxDepth;
}

/** raw[start, end) as latin1 without one trailing CR */
function lineText(raw: Buffer, start: number, end: number): string {
  return raw.toString('latin1', start, end > start && raw[end - 1] === 13 ? end - 1 : end);
}

const CONTENT_TYPE_FIELD = Buffer.from('content-type:');

/** The 13 bytes at start lower-case (as a latin1 string's toLowerCase) to `content-type:`. */
function isContentTypeField(raw: Buffer, start: number): boolean {
  for (let k = 0; k < 13; k++) {
    const want = CONTENT_TYPE_FIELD[k]!;
    const b = raw[start + k]!;
    // only ASCII capitals lower-case to ASCII letters in latin1
    if (b !== want && !(want >= 97 && want <= 122 && b === want - 32)) return false;
  }
  return true;
}

function boundaryOf(ct: string): string | null {
  const i = ct.indexOf('boundary=');
  if (i < 0) return null;
  let v = ct.slice(i + 9).trim();
  if (v.startsWith('"')) {
    const end = v.indexOf('"', 1);
    v = end > 0 ? v.slice(1, end) : v.slice(1);
  } else {
    const end = v.search(/[;\s]/);
    if (end >= 0) v = v.slice(0, end);
  }
  return v || null;
}

/** UTF-8 when valid, else Windows-1252/Latin-1 with a warning. */
function decodeText(raw: Buffer): { text: string; warnings: string[] } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(raw), warnings: [] };
  } catch {
    return { text: raw.toString('latin1'), warnings: ['text is not valid UTF-8; read as Latin-1'] };
  }
}

// ------------------------------------------------------------------ dates

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const COMMON_DATE = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? ([+-])(\d{2})(\d{2})$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  bst: 60, cet: 60, cest: 120, met: 60, mest: 120, eet: 120, eest: 180, nzst: 720, nzdt: 780, jst: 540,
};

/**
 * An RFC 2822 date (or ISO 8601, or asctime) → ISO 8601 keeping the sender's offset:
 * `Thu, 06 Sep 2001 10:49:20 +0100` → `2001-09-06T10:49:20+01:00`. A bare `2019-07-28` stays a date.
 */
export function parseMailDate(value: string | null): { iso: string; offsetMinutes: number } | null {
  if (!value) return null;
  const s = value.slice(0, 200).trim();
  // a bare calendar date (GitHub and forum copies print only the day): kept as printed, no time invented
  const bare = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (bare) {
    const built = build(+bare[1]!, +bare[2]!, +bare[3]!, 0, 0, 0, 0);
    return built ? { iso: built.iso.slice(0, 10), offsetMinutes: 0 } : null;
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,9})?\s?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (iso) {
    const off = iso[7] ? zoneMinutes(iso[7]) : 0;
    return build(+iso[1]!, +iso[2]!, +iso[3]!, +iso[4]!, +iso[5]!, iso[6] ? +iso[6] : 0, off ?? 0);
  }
  const common = COMMON_DATE.exec(s);
  if (common) {
    // `Thu, 06 Sep 2001 10:49:20 +0100`, nearly every Date header: the token walk below gives the same
    const zh = +common[8]!;
    const zm = +common[9]!;
    if (zh <= 14 && zm <= 59) {
      const off = (common[7] === '-' ? -1 : 1) * (zh * 60 + zm);
      return build(+common[3]!, MONTH_NAMES.indexOf(common[2]!) + 1, +common[1]!, +common[4]!, +common[5]!, common[6] ? +common[6] : 0, off);
    }
  }
  const tokens = s
    .replace(/\([^()]{0,100}\)/g, ' ')
    .replace(/,/g, ' ')
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .slice(0, 12);
  let month = -1;
  let monthAt = -1;
  const nums: { v: number; at: number; len: number }[] = [];
  let time: number[] | null = null;
  let timeAt = -1;
  let offset: number | null = null;
  tokens.forEach((tok, at) => {
    const lower = tok.toLowerCase();
    if (month < 0 && /^[a-z]{3,9}\.?$/.test(lower) && MONTHS.includes(lower.slice(0, 3)) && !(lower.slice(0, 3) in ZONES)) {
      month = MONTHS.indexOf(lower.slice(0, 3));
      monthAt = at;
      return;
    }
    if (/^\d{1,4}$/.test(tok)) {
      nums.push({ v: +tok, at, len: tok.length });
      return;
    }
    const tm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(tok);
    if (tm && !time) {
      time = [+tm[1]!, +tm[2]!, tm[3] ? +tm[3] : 0];
      timeAt = at;
      return;
    }
    const z = zoneMinutes(tok);
    if (z !== null && offset === null && at > 0 && (timeAt >= 0 || at > monthAt)) offset = z;
  });
  if (month < 0 || !time) return null;
  const before = nums.filter((n) => n.at < monthAt && n.len <= 2);
  const after = nums.filter((n) => n.at > monthAt && n.at !== timeAt);
  let day: number | undefined;
  let year: { v: number; len: number } | undefined;
  if (before.length) {
    day = before[before.length - 1]!.v;
    year = after[0];
  } else {
    day = after[0]?.v;
    year = after[1];
  }
  if (day === undefined || !year) return null;
  let y = year.v;
  if (year.len <= 2) y += y < 50 ? 2000 : 1900;
  else if (year.len === 3) y += 1900;
  const [hh, mm, ss] = time as number[];
  return build(y, month + 1, day, hh!, mm!, ss!, offset ?? 0);
}

function zoneMinutes(tok: string): number | null {
  const t = tok.trim();
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (m) {
    const v = +m[2]! * 60 + +m[3]!;
    if (+m[2]! > 14 || +m[3]! > 59) return null;
    return m[1] === '-' ? -v : v;
  }
  const z = ZONES[t.toLowerCase()];
  return z === undefined ? null : z;
}

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, off: number): { iso: string; offsetMinutes: number } | null {
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCDate() !== d) return null;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return {
    iso: `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(Math.min(s, 59))}${sign}${p2(Math.floor(a / 60))}:${p2(a % 60)}`,
    offsetMinutes: off,
  };
}
