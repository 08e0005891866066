// A small synchronous MIME builder on nodemailer's encoders. MailComposer can only build
// asynchronously (streams), but Outbox.enqueue must store the finished bytes in the same
// synchronous call that writes the row, so a resend is byte-identical.
import { createHash } from 'node:crypto';
import { encodeWord, encodeWords, foldLines, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { encode as b64Encode, wrap as b64Wrap } from 'nodemailer/lib/base64';

export interface MimeAttachment {
  filename: string;
  content: string;
  contentType: string;
}

export interface MimeMessage {
  from: { name?: string; address: string };
  to: string[];
  cc?: string[];
  subject: string;
  date: Date;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** extra headers, in order, values single-line (CR/LF are removed anyway) */
  headers: Array<[string, string]>;
  text: string;
  html?: string;
  attachments?: MimeAttachment[];
}

const MAX_ADDRESS = 320;
const ADDRESS_RE = /^[^\s@<>()",;:\\[\]]{1,64}@[A-Za-z0-9.-]{1,253}$/;
const HEADER_NAME_RE = /^[A-Za-z0-9-]{1,76}$/;

/** A bare address we are willing to put into a header or an envelope, else null. */
export function cleanAddress(address: string): string | null {
  if (typeof address !== 'string' || address.length > MAX_ADDRESS) return null;
  let a = address.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1);
  return ADDRESS_RE.test(a) ? a : null;
}

/** Message-ID without angle brackets, or null when it could not go into a header. */
export function cleanMessageId(id: string): string | null {
  if (typeof id !== 'string' || id.length > 998) return null;
  let v = id.trim();
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  // no whitespace, no brackets, printable ASCII only
  return /^[\x21-\x3b\x3d\x3f-\x7e]{1,900}$/.test(v) ? v : null;
}

function oneLine(value: string): string {
  // control characters have no place in a header (and CR/LF would start a new one)
  return String(value ?? '').replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

function header(name: string, value: string): string {
  if (!HEADER_NAME_RE.test(name)) throw new Error(`bad header name ${JSON.stringify(name)}`);
  const v = oneLine(value);
  // a word too long to fold is sent as encoded words, which can be split anywhere
  const longWord = /[^ ]{500}/.test(v);
  const encoded = longWord ? encodeWord(v, 'Q', 52) : isPlainText(v) ? v : encodeWords(v, 'Q', 52);
  return foldLines(`${name}: ${encoded}`, 76);
}

/** A header whose value we built from tokens (no encoding; folded at spaces). */
function rawHeader(name: string, value: string): string {
  return foldLines(`${name}: ${oneLine(value)}`, 76);
}

function displayAddress(name: string | undefined, address: string): string {
  if (!name) return address;
  const n = oneLine(name);
  if (!n) return address;
  // a whole encoded-word (not encodeWords): specials such as `:` or `,` must not stand bare
  const shown = isPlainText(n) ? quoteString(n) : encodeWord(n, 'Q', 52);
  return `${shown} <${address}>`;
}

function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

function textPart(contentType: string, body: string): string {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qpWrap(qpEncode(crlf(body)), 76),
  ].join('\r\n');
}

function asciiFilename(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  return cleaned || 'attachment';
}

function attachmentPart(a: MimeAttachment): string {
  const type = /^[a-z0-9.+-]{1,60}\/[a-z0-9.+-]{1,80}$/i.test(a.contentType) ? a.contentType : 'application/octet-stream';
  const filename = asciiFilename(a.filename);
  return [
    `Content-Type: ${type}; name="${filename}"`,
    `Content-Disposition: attachment; filename="${filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    b64Wrap(b64Encode(Buffer.from(a.content, 'utf8')), 76),
  ].join('\r\n');
}

/** `=_` never occurs in quoted-printable or base64 output, so these boundaries cannot collide. */
function boundary(kind: string, messageId: string): string {
  return `=_lw_${kind}_${createHash('sha256').update(messageId).digest('hex').slice(0, 24)}`;
}

function multipart(subtype: string, b: string, parts: string[]): { contentType: string; body: string } {
  const body = parts.map((p) => `--${b}\r\n${p}\r\n`).join('') + `--${b}--\r\n`;
  return { contentType: `multipart/${subtype}; boundary="${b}"`, body };
}

/** RFC 5322 date in UTC. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

export function buildMime(m: MimeMessage): Buffer {
  const lines: string[] = [];
  lines.push(rawHeader('From', displayAddress(m.from.name, m.from.address)));
  lines.push(rawHeader('To', m.to.join(', ')));
  if (m.cc && m.cc.length > 0) lines.push(rawHeader('Cc', m.cc.join(', ')));
  lines.push(header('Subject', m.subject));
  lines.push(rawHeader('Date', rfc5322Date(m.date)));
  lines.push(rawHeader('Message-ID', `<${m.messageId}>`));
  if (m.inReplyTo) lines.push(rawHeader('In-Reply-To', `<${m.inReplyTo}>`));
  if (m.references && m.references.length > 0) lines.push(rawHeader('References', m.references.map((r) => `<${r}>`).join(' ')));
  for (const [name, value] of m.headers) lines.push(header(name, value));
  lines.push('MIME-Version: 1.0');

  const textBody = textPart('text/plain', m.text);
  let top: { contentType: string; body: string; cte?: string };
  let inner: string;
  if (m.html !== undefined) {
    const alt = multipart('alternative', boundary('alt', m.messageId), [textBody, textPart('text/html', m.html)]);
    inner = `Content-Type: ${alt.contentType}\r\n\r\n${alt.body}`;
  } else {
    inner = textBody;
  }
  if (m.attachments && m.attachments.length > 0) {
    top = multipart('mixed', boundary('mixed', m.messageId), [inner, ...m.attachments.map(attachmentPart)]);
    lines.push(`Content-Type: ${top.contentType}`);
    return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + top.body, 'utf8');
  }
  // single-part or alternative at the top: its own part headers become message headers
  return Buffer.from(lines.join('\r\n') + '\r\n' + inner + (inner.endsWith('\r\n') ? '' : '\r\n'), 'utf8');
}
