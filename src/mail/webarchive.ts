/**
 * Web-archive copies of posts (seclists.org and the like, saved as text): a title line, archive
 * chrome, the headers as plain lines (`From:`, `Date:`, maybe `Subject:`), addresses obfuscated as
 * `user () example com`, the body, then navigation such as `Current thread:`.
 */

export interface WebArchiveCopy {
  headers: {
    from: string | null;
    date: string | null;
    subject: string | null;
    to: string | null;
    cc: string | null;
    messageId: string | null;
    inReplyTo: string | null;
  };
  /** the title line above the headers (the subject on most archives) */
  title: string | null;
  body: string;
}

/** how far from the top the header lines may start */
const MAX_HEADER_SEARCH_LINES = 60;
const MAX_LINE = 1000;

const HEADER_NAMES: Record<string, keyof WebArchiveCopy['headers']> = {
  from: 'from',
  date: 'date',
  subject: 'subject',
  to: 'to',
  cc: 'cc',
  'message-id': 'messageId',
  'in-reply-to': 'inReplyTo',
};

/** header-like lines archives print that the post does not need */
const OTHER_HEADERS = new Set(['list', 'reply-to', 'organization', 'sender', 'x-mailer', 'references', 'newsgroups']);

/** lines that mark the end of the post on archive pages */
const TRAILERS = ['current thread:', 'thread index', '[ date index ]', '<prev in thread>', 'by date by thread', '[prev in list]'];

function headerOf(line: string): { name: keyof WebArchiveCopy['headers'] | null; value: string } | null {
  if (line.length > MAX_LINE || line.charAt(0) === ' ') return null;
  const colon = line.indexOf(':');
  if (colon <= 0 || colon > 15) return null;
  const key = line.slice(0, colon).trim().toLowerCase();
  const name = HEADER_NAMES[key];
  if (!name && !OTHER_HEADERS.has(key)) return null;
  return { name: name ?? null, value: line.slice(colon + 1).trim() };
}

/** MARC prints `[Download RAW message or body]` right under the headers */
function isHeaderChrome(line: string): boolean {
  const t = line.trim();
  return t.startsWith('[') && t.endsWith(']') && t.length < 80 && t.toLowerCase().includes('download');
}

function isChrome(line: string): boolean {
  const l = line.trim().toLowerCase();
  return (
    l.endsWith('mailing list archives') ||
    l.endsWith('mailing list archive') ||
    l.startsWith('[date prev]') ||
    l.startsWith('list:') ||
    l.startsWith('home |') ||
    l.startsWith('<<')
  );
}

/** True when the text looks like a web-archive copy rather than an RFC 822 message. */
export function isWebArchiveCopy(text: string): boolean {
  return parseWebArchive(text) !== null;
}

/** The headers and body of a web-archive copy, or null when the text is not one. */
export function parseWebArchive(text: string): WebArchiveCopy | null {
  // only the top of the text is examined for headers
  const topEnd = nthNewline(text, MAX_HEADER_SEARCH_LINES + 10);
  const topLines = text.slice(0, topEnd).split('\n').map((l) => l.replace(/\r$/, ''));
  const firstNonBlank = topLines.findIndex((l) => l.trim() !== '');
  if (firstNonBlank < 0) return null;
  // an RFC 822 message starts with its headers; a web copy starts with a title or chrome
  const firstHeader = headerOf(topLines[firstNonBlank]!);
  if (firstHeader !== null && firstHeader.name !== null && !isChrome(topLines[firstNonBlank]!)) return null;

  let start = -1;
  for (let i = firstNonBlank + 1; i < Math.min(topLines.length, MAX_HEADER_SEARCH_LINES); i++) {
    const h = headerOf(topLines[i]!);
    if (h && (h.name === 'from' || h.name === 'subject' || h.name === 'date')) {
      start = i;
      break;
    }
    if (h && h.name === null && start < 0) continue;
  }
  if (start < 0) return null;

  const headers: WebArchiveCopy['headers'] = {
    from: null,
    date: null,
    subject: null,
    to: null,
    cc: null,
    messageId: null,
    inReplyTo: null,
  };
  let end = start;
  let count = 0;
  while (end < topLines.length) {
    const h = headerOf(topLines[end]!);
    if (!h) break;
    if (h.name !== null && headers[h.name] === null) headers[h.name] = h.value;
    count++;
    end++;
  }
  if (end < topLines.length && isHeaderChrome(topLines[end]!)) end++;
  // a lone "From:" in prose is not a header block
  if (!headers.from || count < 2 || !(headers.date || headers.subject)) return null;
  if (end < topLines.length && topLines[end]!.trim() !== '') return null;

  let title: string | null = null;
  for (let i = start - 1; i >= firstNonBlank; i--) {
    const l = topLines[i]!.trim();
    if (l && !isChrome(l) && l.length <= MAX_LINE) {
      title = l;
      break;
    }
  }

  // body: after the blank line that closes the headers, up to the archive's trailer
  let offset = 0;
  for (let i = 0; i <= end && i < topLines.length; i++) offset = nthNewlineFrom(text, offset) + 1;
  const rest = offset > 0 && offset <= text.length ? text.slice(offset) : '';
  const bodyLines: string[] = [];
  let pos = 0;
  while (pos < rest.length) {
    let nl = rest.indexOf('\n', pos);
    if (nl < 0) nl = rest.length;
    const line = rest.slice(pos, nl).replace(/\r$/, '');
    const lower = line.length < 80 ? line.trim().toLowerCase() : '';
    if (lower && TRAILERS.some((t) => lower.startsWith(t))) break;
    bodyLines.push(line);
    pos = nl + 1;
  }
  while (bodyLines.length > 0 && bodyLines[bodyLines.length - 1]!.trim() === '') bodyLines.pop();
  const shown = dedent(bodyLines);
  return { headers, title, body: shown.length ? `${shown.join('\n')}\n` : '' };
}

/**
 * Some archives (hypermail at lists.jammed.com) indent the whole body; that indentation is the
 * page's, not the author's, and hides `> ` quote markers. Removed when every non-blank line has it.
 */
function dedent(lines: string[]): string[] {
  let common = Infinity;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const lead = /^ */.exec(line)![0].length;
    if (lead < common) common = lead;
    if (common < 2) return lines;
  }
  if (!Number.isFinite(common)) return lines;
  return lines.map((l) => (l.trim() === '' ? '' : l.slice(common)));
}

function nthNewline(text: string, n: number): number {
  let pos = 0;
  for (let k = 0; k < n; k++) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) return text.length;
    pos = nl + 1;
  }
  return pos;
}

function nthNewlineFrom(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}
