// Seeded generator for the benchmark inputs: an mbox archive shaped like list traffic, and single
// posts with large pastes. Record lines are real lines from fixtures/ (argus `ra` layouts, Snort
// full and fast alerts) with addresses and times varied deterministically, width for width, so a
// fixed-column layout stays aligned. Everything is streamed to disk; nothing large goes into git.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** the package root: the nearest folder up with a package.json (this file also runs bundled, from dist/) */
const ROOT = ((): string => {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

// ------------------------------------------------------------------ seeded randomness

/** sfc32: small, fast, good enough for shaping test data; the same seed gives the same bytes. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

// ------------------------------------------------------------------ record templates from fixtures

interface ArgusLayout {
  name: string;
  header: string | null;
  lines: string[];
}

const ARGUS_LAYOUTS = [
  'default', 'n', 'fields', 'csv', 'seed-like', 'time-ymd', 'time-dmy', 'time-wmd', 'z', 'Zs', 'n-Zb', 'p0', 'u', 'no-header',
];
const SNORT_FULL_FILES = ['full-2x-triple', 'full-udp', 'full-icmp', 'full-1x-no-triple'];

const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g;
const HAS_IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/;
const CLOCK = /\b([01]\d|2[0-3]):([0-5]\d):([0-5]\d)\b/g;

function loadArgus(): ArgusLayout[] {
  return ARGUS_LAYOUTS.map((name) => {
    const all = readFileSync(join(ROOT, 'fixtures/argus/ra', `${name}.txt`), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const hasHeader = /SrcAddr/.test(all[0] ?? '');
    return { name, header: hasHeader ? all[0]!.replace(/\s+$/, '') : null, lines: (hasHeader ? all.slice(1) : all).filter((l) => HAS_IPV4.test(l)) };
  });
}

function loadSnortFull(): string[][] {
  const blocks: string[][] = [];
  for (const f of SNORT_FULL_FILES) {
    const text = readFileSync(join(ROOT, 'fixtures/extract/snort', `${f}.txt`), 'utf8');
    for (const chunk of text.split(/\n\s*\n/)) {
      const lines = chunk.split('\n').filter((l) => l !== '');
      if (lines[0]?.startsWith('[**]')) blocks.push(lines);
    }
  }
  return blocks;
}

function loadSnortFast(): string[] {
  return readFileSync(join(ROOT, 'fixtures/extract/snort/fast.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('[**]') && l.includes('{'));
}

let templates: { argus: ArgusLayout[]; snortFull: string[][]; snortFast: string[] } | null = null;
function tpl(): NonNullable<typeof templates> {
  templates ??= { argus: loadArgus(), snortFull: loadSnortFull(), snortFast: loadSnortFast() };
  return templates;
}

function octetLike(rng: Rng, orig: string): string {
  if (orig.length === 1) return String(rng.int(1, 9));
  if (orig.length === 2) return String(rng.int(10, 99));
  return String(rng.int(100, 254));
}

/** The same line with every IPv4 address and clock time replaced by others of the same width. */
function vary(rng: Rng, line: string, nets: readonly string[]): string {
  return line
    .replace(IPV4, (_m, a: string, b: string, c: string, d: string) => {
      // keep the two leading octets of one of a few networks when the widths match, so actors repeat
      const net = rng.pick(nets).split('.');
      const o1 = net[0]!.length === a.length ? net[0]! : octetLike(rng, a);
      const o2 = net[1]!.length === b.length ? net[1]! : octetLike(rng, b);
      return `${o1}.${o2}.${octetLike(rng, c)}.${octetLike(rng, d)}`;
    })
    .replace(CLOCK, () => `${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}`);
}

const NETS = ['130.67', '130.216', '192.0', '198.51', '203.0', '100.64', '172.16', '10.20', '141.30', '193.10'];

export interface RecordBlock {
  lines: string[];
  argus: number;
  snort: number;
}

/** An argus paste: header (when the layout has one) and n varied record lines of one layout. */
export function argusBlock(rng: Rng, n: number, layout?: string): RecordBlock {
  const layouts = tpl().argus;
  const l = layout ? layouts.find((x) => x.name === layout)! : rng.pick(layouts);
  const lines = l.header ? [l.header] : [];
  const nets = [rng.pick(NETS), rng.pick(NETS)];
  for (let i = 0; i < n; i++) lines.push(vary(rng, rng.pick(l.lines), nets));
  return { lines, argus: n, snort: 0 };
}

/** n Snort full alerts (blank line between), each a varied real alert. */
export function snortFullBlock(rng: Rng, n: number): RecordBlock {
  const blocks = tpl().snortFull;
  const nets = [rng.pick(NETS), rng.pick(NETS)];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) lines.push('');
    for (const l of rng.pick(blocks)) lines.push(vary(rng, l, nets));
  }
  return { lines, argus: 0, snort: n };
}

export function snortFastBlock(rng: Rng, n: number): RecordBlock {
  const fast = tpl().snortFast;
  const nets = [rng.pick(NETS), rng.pick(NETS)];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(vary(rng, rng.pick(fast), nets));
  return { lines, argus: 0, snort: n };
}

// ------------------------------------------------------------------ people, prose

const ORGS = [
  ['cert.fjordnet.example', 'Sigrid Holm', 'sigrid'],
  ['noc.harbour-uni.example', 'Aroha Ngata', 'aroha'],
  ['sec.northwind.example', 'Tomasz Wrona', 'tw'],
  ['csirt.lakeside.example', 'Marie Dubois', 'mdubois'],
  ['abuse.tundra-isp.example', 'Olli Virtanen', 'olli'],
  ['ops.meridian.example', 'Priya Raman', 'praman'],
  ['security.delta-college.example', 'Juan Ortega', 'jortega'],
  ['net.canyon.example', 'Hannah Berg', 'hberg'],
  ['ir.coastal.example', 'Kenji Sato', 'ksato'],
  ['cc.prairie-uni.example', 'Ruth Adeyemi', 'radeyemi'],
  ['noc.alpine.example', 'Lukas Meier', 'lmeier'],
  ['cert.isle.example', 'Fiona Walsh', 'fwalsh'],
] as const;

const WORDS = (
  'we see the same traffic from their network on port 80 since this morning our sensors logged it ' +
  'looks like a worm variant scanning hosts with bare ACKs and no handshake anyone else seeing this ' +
  'please check your logs for the following addresses the flows are unanswered and the payload ' +
  'carries a GET request for default.ida we have blocked the range at the border router but the ' +
  'rate keeps growing it might be backscatter from a spoofed flood rather than a scan I will ask ' +
  'upstream whether they can filter it thanks for the heads up we also noticed a spike of resets'
).split(' ');

const SUBJECTS = [
  'Code Red variants hitting port 80',
  'Scans from 130.67/16',
  'Slammer traffic on UDP 1434',
  'Backscatter from a spoofed SYN flood',
  'nmap XMAS probes against our DMZ',
  'Odd RST storm overnight',
  'Anyone else seeing bare ACKs?',
  'Weekly summary of blocked ranges',
  'Question about argus -Z output',
  'Snort cmd.exe alerts spike',
  'Meeting notes: incident coordination',
  'New member introduction',
];

function sentence(rng: Rng): string {
  const n = rng.int(6, 18);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(rng.pick(WORDS));
  const s = w.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}${rng.chance(0.15) ? '?' : '.'}`;
}

/** Prose wrapped at 72 columns; now and then a line that starts with "From " (mbox escaping). */
function paragraph(rng: Rng, sentences: number): string[] {
  let text = '';
  for (let i = 0; i < sentences; i++) text += (text ? ' ' : '') + sentence(rng);
  if (rng.chance(0.05)) text = `From what we see here, ${text[0]!.toLowerCase()}${text.slice(1)}`;
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > 72) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

function prose(rng: Rng, paragraphs: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < paragraphs; i++) {
    if (i) out.push('');
    out.push(...paragraph(rng, rng.int(1, 5)));
  }
  return out;
}

// ------------------------------------------------------------------ messages

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const OFFSETS = [0, 60, 120, -300, -240, 720, 540, -480];

function p2(n: number): string {
  return String(n).padStart(2, '0');
}

function rfc2822(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

function asctime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

function base64Lines(rng: Rng, bytes: number): string[] {
  const buf = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i += 4) buf.writeUInt32LE((rng.next() * 4294967296) >>> 0, Math.min(i, bytes - 4));
  const b64 = buf.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 76) out.push(b64.slice(i, i + 76));
  return out;
}

function htmlOf(lines: readonly string[]): string[] {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return ['<html><body>', ...lines.map((l) => (l === '' ? '<br>' : `<div>${esc(l)}</div>`)), '</body></html>'];
}

export interface GeneratedPost {
  id: string;
  subject: string;
  /** the message without the mbox envelope line, CRLF-free */
  raw: string;
  argus: number;
  snort: number;
  bytes: number;
}

interface Recent {
  id: string;
  subject: string;
  name: string;
  address: string;
  dateText: string;
  body: string[];
}

export interface ArchiveShape {
  /** share of posts that carry records (default 0.10) */
  recordShare: number;
  /** one post in this many is a 10,000-line paste (default 10,000) */
  pasteEvery: number;
  /** lines in a paste (default 10,000) */
  pasteLines: number;
  /** share of posts with a base64 attachment (default 0.03) */
  attachmentShare: number;
  /** share of multipart/alternative posts (default 0.15) */
  alternativeShare: number;
  /** share of replies (default 0.45) */
  replyShare: number;
  /**
   * true (default): a new thread takes one of 12 subjects, so subjects recur across the archive as
   * on a real list ("Weekly summary ..."); false: each new thread's subject is made unique.
   */
  recurringSubjects?: boolean;
}

export const DEFAULT_SHAPE: ArchiveShape = {
  recordShare: 0.1,
  pasteEvery: 10_000,
  pasteLines: 10_000,
  attachmentShare: 0.02,
  alternativeShare: 0.15,
  replyShare: 0.45,
};

/** Makes posts one after another; the same seed gives the same sequence. */
export class PostFactory {
  private readonly rng: Rng;
  private n = 0;
  private clock = Date.UTC(2001, 8, 1, 6, 0, 0);
  private readonly recent: Recent[] = [];
  constructor(
    seed: number,
    private readonly shape: ArchiveShape = DEFAULT_SHAPE,
    private readonly idPrefix = 'bench',
  ) {
    this.rng = new Rng(seed);
  }

  /** The next post. `extraBody` lines (e.g. a bot command) go first in the body. */
  next(opts: { extraBody?: string[]; forceRecords?: boolean; noReply?: boolean; subject?: string } = {}): GeneratedPost {
    const rng = this.rng;
    this.n++;
    this.clock += rng.int(10, 900) * 1000;
    const [domain, name, user] = rng.pick(ORGS);
    const address = `${user}@${domain}`;
    const offset = rng.pick(OFFSETS);
    const dateText = rfc2822(this.clock, offset);
    const id = `${this.idPrefix}-${this.n}.${rng.int(100000, 999999)}@${domain}`;
    const parent = !opts.noReply && this.recent.length && rng.chance(this.shape.replyShare) ? rng.pick(this.recent) : null;
    const picked = rng.pick(SUBJECTS);
    const fresh = this.shape.recurringSubjects === false ? `${picked} (${this.n})` : picked;
    const subject = opts.subject ?? (parent ? (parent.subject.startsWith('Re: ') ? parent.subject : `Re: ${parent.subject}`) : fresh);

    let argus = 0;
    let snort = 0;
    const body: string[] = [...(opts.extraBody ?? [])];
    if (opts.extraBody?.length) body.push('');
    body.push(rng.pick(['Hi all,', 'Hello,', 'Folks,', 'All,']), '');
    body.push(...prose(rng, rng.int(1, 4)));

    const paste = this.shape.pasteEvery > 0 && this.n % this.shape.pasteEvery === Math.floor(this.shape.pasteEvery / 2);
    if (paste || opts.forceRecords || rng.chance(this.shape.recordShare)) {
      let block: RecordBlock;
      if (paste) block = rng.chance(0.7) ? argusBlock(rng, this.shape.pasteLines) : snortFastBlock(rng, this.shape.pasteLines);
      else {
        const k = rng.next();
        const size = rng.chance(0.1) ? rng.int(50, 400) : rng.int(1, 25);
        block = k < 0.6 ? argusBlock(rng, size) : k < 0.8 ? snortFullBlock(rng, Math.max(1, Math.floor(size / 3))) : snortFastBlock(rng, size);
      }
      argus += block.argus;
      snort += block.snort;
      body.push('', rng.pick(['Our logs say:', 'argus shows:', 'From the sensor:', 'Here is what we have:']), '', ...block.lines, '');
      body.push(...prose(rng, 1));
    }

    if (parent) {
      const quoteOutlook = rng.chance(0.3);
      const quoted = parent.body.slice(0, 400);
      if (quoteOutlook) {
        body.push('', '-----Original Message-----', `From: ${parent.name} [mailto:${parent.address}]`, `Sent: ${parent.dateText}`, 'To: incidents@lists.example', `Subject: ${parent.subject}`, '', ...quoted);
      } else {
        body.push('', `On ${parent.dateText}, ${parent.name} wrote:`, ...quoted.map((l) => (l === '' ? '>' : `> ${l}`)));
      }
    }
    body.push('', '-- ', `${name}`, domain);

    const recentBody = body.filter((l) => !l.startsWith('> ') && l !== '>');
    this.recent.push({ id, subject, name, address, dateText, body: recentBody.slice(0, 60) });
    if (this.recent.length > 50) this.recent.shift();

    const headers = [
      `Return-Path: <${address}>`,
      `From: ${name} <${address}>`,
      'To: incidents@lists.example',
      `Subject: ${subject}`,
      `Date: ${dateText}`,
      `Message-ID: <${id}>`,
    ];
    if (parent) headers.push(`In-Reply-To: <${parent.id}>`, `References: <${parent.id}>`);
    headers.push('List-Id: Incident handlers <incidents.lists.example>', 'MIME-Version: 1.0');

    let lines: string[];
    const boundary = `=_bench_${this.n}_${rng.int(1000, 9999)}`;
    if (rng.chance(this.shape.attachmentShare)) {
      const bytes = rng.chance(0.1) ? rng.int(100_000, 400_000) : rng.int(4_000, 40_000);
      const fname = rng.pick(['capture.pcap', 'report.pdf', 'screenshot.png', 'logs.tar.gz']);
      lines = [
        ...headers,
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        'This is a multi-part message in MIME format.',
        `--${boundary}`,
        'Content-Type: text/plain; charset="us-ascii"',
        'Content-Transfer-Encoding: 7bit',
        '',
        ...body,
        `--${boundary}`,
        `Content-Type: application/octet-stream; name="${fname}"`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename="${fname}"`,
        '',
        ...base64Lines(rng, bytes),
        `--${boundary}--`,
        '',
      ];
    } else if (rng.chance(this.shape.alternativeShare)) {
      lines = [
        ...headers,
        `Content-Type: multipart/alternative; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain; charset="utf-8"',
        'Content-Transfer-Encoding: 8bit',
        '',
        ...body,
        `--${boundary}`,
        'Content-Type: text/html; charset="utf-8"',
        'Content-Transfer-Encoding: 8bit',
        '',
        ...htmlOf(body),
        `--${boundary}--`,
        '',
      ];
    } else {
      lines = [...headers, 'Content-Type: text/plain; charset="us-ascii"', 'Content-Transfer-Encoding: 7bit', '', ...body];
    }
    const raw = `${lines.join('\n')}\n`;
    return { id, subject, raw, argus, snort, bytes: Buffer.byteLength(raw) };
  }

  /** mbox envelope line for the last post's sender and date */
  envelope(post: GeneratedPost): string {
    const from = /^Return-Path: <([^>]*)>/m.exec(post.raw)?.[1] ?? 'MAILER-DAEMON';
    return `From ${from} ${asctime(this.clock)}`;
  }
}

/** mboxrd: a body line that starts with (">"*)"From " gets one more ">". */
export function mboxEscape(raw: string): string {
  return raw.replace(/^(>*From )/gm, '>$1');
}

export interface ArchiveManifest {
  path: string;
  seed: number;
  posts: number;
  bytes: number;
  /** records the generator wrote in own text (quoted copies not counted) */
  argus: number;
  snort: number;
  pastes: number;
}

/** Streams an mbox of `posts` generated posts to `path` (backpressure respected). */
export async function writeArchive(path: string, posts: number, seed: number, shape: ArchiveShape = DEFAULT_SHAPE): Promise<ArchiveManifest> {
  const out = createWriteStream(path);
  const factory = new PostFactory(seed, shape);
  const m: ArchiveManifest = { path, seed, posts, bytes: 0, argus: 0, snort: 0, pastes: 0 };
  let pending = '';
  for (let i = 0; i < posts; i++) {
    const p = factory.next();
    const chunk = `${factory.envelope(p)}\n${mboxEscape(p.raw)}\n`;
    m.argus += p.argus;
    m.snort += p.snort;
    if (p.argus + p.snort >= shape.pasteLines) m.pastes++;
    pending += chunk;
    if (pending.length > 1 << 20) {
      m.bytes += Buffer.byteLength(pending);
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  m.bytes += Buffer.byteLength(pending);
  out.end(pending);
  await once(out, 'finish');
  return m;
}

/** One post carrying a paste of `lines` records (argus `ra` of one layout, or Snort full alerts). */
export function pastePost(kind: 'argus' | 'snort-full', lines: number, seed: number): GeneratedPost {
  const rng = new Rng(seed);
  const block = kind === 'argus' ? argusBlock(rng, lines, 'default') : snortFullBlock(rng, lines);
  const body = ['Hi all,', '', ...paragraph(rng, 3), '', 'Full log from last night:', '', ...block.lines, '', '-- ', 'ops'];
  const raw = [
    'From: Sigrid Holm <sigrid@cert.fjordnet.example>',
    'To: incidents@lists.example',
    `Subject: Big paste (${lines} ${kind} records)`,
    'Date: Thu, 06 Sep 2001 10:49:20 +0100',
    `Message-ID: <paste-${kind}-${lines}-${seed}@cert.fjordnet.example>`,
    'List-Id: Incident handlers <incidents.lists.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
    '',
    ...body,
    '',
  ].join('\n');
  return { id: `paste-${kind}-${lines}-${seed}`, subject: 'paste', raw, argus: block.argus, snort: block.snort, bytes: Buffer.byteLength(raw) };
}

// `node --import tsx bench/generate.ts N out.mbox [seed] [--varied-subjects]` writes an archive on its own.
// (the name check keeps it from running inside a bundle that includes this module)
if (process.argv[1]?.endsWith('generate.ts') && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 1000);
  const path = process.argv[3] ?? join(ROOT, 'bench/out', `archive-${n}.mbox`);
  const seed = Number(process.argv[4] ?? 1);
  const shape = process.argv.includes('--varied-subjects') ? { ...DEFAULT_SHAPE, recurringSubjects: false } : DEFAULT_SHAPE;
  const m = await writeArchive(path, n, seed, shape);
  process.stdout.write(`${JSON.stringify(m)}\n`);
}
