import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encode as qpEncode, wrap as qpWrap } from 'libqp';
import { describe, expect, it } from 'vitest';
import { writeArchive } from '../bench/generate.js';
import { parseLean } from '../src/mail/lean.js';
import { mimeReaderCounts, parseMail, parseMailDate } from '../src/mail/parse.js';
import { readInputs } from '../src/source/index.js';

/**
 * The lean reader (src/mail/lean.ts) must give exactly the MailPost that mailparser gives, field
 * by field, for every message; messages it does not handle go to mailparser. Each message here is
 * parsed twice, once the default way and once with mailparser alone, and the two are compared.
 */

type Outcome = { ok: true; post: unknown } | { ok: false; error: string };

async function outcome(raw: Buffer, input: string, mimeParser: 'auto' | 'mailparser'): Promise<Outcome> {
  try {
    return { ok: true, post: await parseMail(raw, input, { mimeParser }) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** Parses both ways, expects the same outcome; answers which reader the default way used ('none': not RFC 822, or refused before). */
async function same(raw: Buffer, input: string): Promise<'lean' | 'mailparser' | 'none'> {
  const before = { ...mimeReaderCounts };
  const lean = await outcome(raw, input, 'auto');
  const path = mimeReaderCounts.lean > before.lean ? 'lean' : mimeReaderCounts.mailparser > before.mailparser ? 'mailparser' : 'none';
  const mp = await outcome(raw, input, 'mailparser');
  expect(lean, `${input} (${path} path)`).toEqual(mp);
  return path;
}

async function sameOverInputs(paths: string[]): Promise<{ messages: number; rfc822: number; lean: number }> {
  let messages = 0;
  let rfc822 = 0;
  let lean = 0;
  for await (const item of readInputs(paths)) {
    if (item.kind !== 'message') continue;
    messages++;
    const path = await same(item.raw, item.input);
    if (path !== 'none') rfc822++;
    if (path === 'lean') lean++;
  }
  return { messages, rfc822, lean };
}

describe('lean reader = mailparser, on the fixtures', () => {
  it('every fixture message (eml, mbox, field posts, the demo list Maildir)', async () => {
    const { messages, rfc822, lean } = await sameOverInputs([
      'fixtures/mail',
      'fixtures/mbox/code-red-thread.mbox',
      'fixtures/field',
      'fixtures/demo-list',
      'fixtures/seed',
    ]);
    expect(messages).toBeGreaterThan(30);
    // the web-archive copies are not RFC 822; of the rest only html-only.eml needs mailparser
    expect(rfc822).toBeGreaterThan(15);
    expect(lean).toBe(rfc822 - 1);
  }, 120_000);

  it('every .eml under fixtures/', async () => {
    const { readdir } = await import('node:fs/promises');
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.name.endsWith('.eml')) found.push(p);
      }
    };
    await walk('fixtures');
    expect(found.length).toBeGreaterThan(5);
    const { messages } = await sameOverInputs(found);
    expect(messages).toBe(found.length);
  }, 60_000);

  it('a generated 2,000-post archive, nearly all read the lean way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-lean-'));
    try {
      const path = join(dir, 'a.mbox');
      await writeArchive(path, 2000, 20010906);
      const { messages, lean } = await sameOverInputs([path]);
      expect(messages).toBe(2000);
      expect(lean).toBeGreaterThan(0.95 * messages);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

// ------------------------------------------------------------------ hand-made shapes

const HEAD = 'From: Ana Lima <ana@cert.example>\nTo: list@example.org\nDate: Thu, 06 Sep 2001 10:49:20 +0100\nMessage-ID: <m1@example>\n';
const RECORD = '09-06-01 10:01:02 tcp 10.1.2.3.1025 -> 192.168.1.5.80 s 1 0 60 0 REQ';

function mixed(parts: string[], boundary = 'XYZ', type = 'mixed'): string {
  return `${HEAD}Subject: parts\nMIME-Version: 1.0\nContent-Type: multipart/${type}; boundary="${boundary}"\n\npreamble\n${parts
    .map((p) => `--${boundary}\n${p}\n`)
    .join('')}--${boundary}--\nepilogue\n`;
}

const b64 = (s: string | Buffer): string => (Buffer.isBuffer(s) ? s : Buffer.from(s)).toString('base64').replace(/.{76}/g, '$&\n');

const SHAPES: Record<string, string | Buffer> = {
  plain: `${HEAD}Subject: plain\n\nHello\n${RECORD}\n`,
  // the walk jumps from one `--` line to the next only when no line starts with CR and '-'; these have such lines
  'CR-dash line in a part': `${HEAD}Subject: x\nContent-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nhi\n\r--B\nmore\n--B--\n`,
  'CR-dash line in the epilogue': `${HEAD}Subject: x\nContent-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nhi\n--B--\n\r-x\n`,
  'dash lines that are no delimiter': `${HEAD}Subject: x\nContent-Type: multipart/mixed; boundary="B"\n\n-\n--\n--C\n--B\nContent-Type: text/plain\n\n--\n---\n--Bx\n-- B\nhi\n--B--\n--\n`,
  'no final newline': `${HEAD}Subject: x\n\nHello\n${RECORD}`,
  'base64 root without final newline': `${HEAD}Subject: x\nContent-Transfer-Encoding: base64\n\n${b64(`Hi\n${RECORD}\n`).trimEnd()}`,
  'qp latin-1': `${HEAD}Subject: =?iso-8859-1?Q?caf=E9?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 is soft=\nly broken   \n${RECORD}\n`,
  'base64 utf-8': `${HEAD}Subject: =?utf-8?B?${Buffer.from('Überwachung').toString('base64')}?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${b64(`Grüße\n${RECORD}\n`)}\n`,
  'windows-1252 8bit': Buffer.concat([
    Buffer.from(`${HEAD}Subject: x\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n`),
    Buffer.from([0x93, 0x71, 0x94, 0x20, 0x80, 0x0a]),
  ]),
  'koi8-r': Buffer.concat([Buffer.from(`${HEAD}Subject: x\nContent-Type: text/plain; charset=koi8-r\n\n`), Buffer.from([0xf0, 0xd2, 0xc9, 0x0a])]),
  'invalid utf-8': Buffer.concat([Buffer.from(`${HEAD}Subject: x\nContent-Type: text/plain; charset=utf-8\n\n`), Buffer.from([0xc3, 0x28, 0xff, 0x0a])]),
  'unknown charset': `${HEAD}Subject: x\nContent-Type: text/plain; charset=x-no-such\n\nhi\n`,
  'flowed delsp': `${HEAD}Subject: x\nContent-Type: text/plain; format=flowed; delsp=yes\n\nThis is a long \nflowed line\n> quoted \n> more\n`,
  'flowed': `${HEAD}Subject: x\nContent-Type: text/plain; charset=utf-8; format=flowed\n\nsoft \nbreak\n-- \nsig\n`,
  alternative: mixed(['Content-Type: text/plain\n\ntext part\n' + RECORD, 'Content-Type: text/html\n\n<p>html</p>'], 'ALT', 'alternative'),
  'mixed with pdf': mixed([
    'Content-Type: text/plain; charset=us-ascii\n\nsee attached\n',
    `Content-Type: application/pdf; name="r.pdf"\nContent-Disposition: attachment; filename="r.pdf"\nContent-Transfer-Encoding: base64\n\n${b64(Buffer.alloc(3000, 7))}`,
  ]),
  'text attachment': mixed([
    'Content-Type: text/plain\n\nlog attached',
    `Content-Type: text/plain; charset=iso-8859-1; name=flows.txt\nContent-Disposition: attachment; filename=flows.txt\nContent-Transfer-Encoding: quoted-printable\n\n${RECORD}=E9\n`,
  ]),
  'octet-stream named .txt': mixed([
    'Content-Type: text/plain\n\nlog attached',
    `Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="ra.txt"\nContent-Transfer-Encoding: base64\n\n${b64(`${RECORD}\n`)}`,
  ]),
  'octet-stream named .bin': mixed([
    'Content-Type: text/plain\n\nbinary attached',
    `Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="x.bin"\nContent-Transfer-Encoding: base64\n\n${b64('abc')}`,
  ]),
  'nested alternative and image': mixed([
    'Content-Type: multipart/alternative; boundary=INNER\n\n--INNER\nContent-Type: text/plain\n\ninner text\n--INNER\nContent-Type: text/html\n\n<b>x</b>\n--INNER--\n',
    'Content-Type: image/png\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=',
  ]),
  'empty and one-newline bodies': mixed(['Content-Type: text/plain\n', 'Content-Type: text/plain\n\n', 'Content-Type: text/plain\n\n\n', '\nno headers at all']),
  'two inline texts': mixed(['Content-Type: text/plain\n\none', 'Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ntw=F6']),
  'inline with filename': mixed(['Content-Type: text/plain\nContent-Disposition: inline; filename="note.txt"\n\ninline note']),
  'odd disposition': mixed(['Content-Type: text/plain\n\nbody', 'Content-Type: text/plain\nContent-Disposition: foo\n\nodd']),
  'boundary with trailing blanks, closing without newline': `${HEAD}Subject: x\nContent-Type: multipart/mixed; boundary=B\n\n--B  \nContent-Type: text/plain\n\nbody\n--B-- \t`,
  'dash lines in body': mixed(['Content-Type: text/plain\n\n-- \nsig\n--XYZX\n--XY\n---']),
  'subjects': `${HEAD}Subject:\nSubject: =?utf-8?Q?second_one?= =?utf-8?Q?_joined?=\n\nbody\n`,
  'folded subject': `${HEAD}Subject: a folded\n\tsubject line\n\nbody\n`,
  'from forms': `From: "Lima, Ana" (CERT) <ana@cert.example>\nSubject: x\nDate: Thu, 06 Sep 2001 10:49:20 +0100\n\nbody\n`,
  'from encoded name': `From: =?iso-8859-1?Q?Ren=E9?= <rene@x.example>\nSubject: x\n\nbody\n`,
  'from bare': `From: ops@x.example\nSubject: x\n\nbody\n`,
  'from group': `From: Team: a@x.example, b@x.example;\nSubject: x\n\nbody\n`,
  'from 8-bit name': Buffer.concat([Buffer.from('From: '), Buffer.from('Jürgen <j@x.example>'), Buffer.from('\nSubject: x\n\nbody\n')]),
  'no content-type, 8-bit': Buffer.concat([Buffer.from(`${HEAD}Subject: x\n\n`), Buffer.from([0xe9, 0x0a])]),
  // shapes the lean reader leaves to mailparser
  'html only': `${HEAD}Subject: x\nContent-Type: text/html\n\n<p>Hello <b>there</b></p>\n<pre>${RECORD}</pre>\n`,
  'html in mixed next to text': mixed(['Content-Type: text/plain\n\ntext', 'Content-Type: text/html\n\n<p>html</p>']),
  'message/rfc822': mixed(['Content-Type: text/plain\n\nforwarded', `Content-Type: message/rfc822\nContent-Disposition: inline\n\n${HEAD}Subject: inner\n\ninner body\n`]),
  uuencode: `${HEAD}Subject: x\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n\`\nend\n`,
  unclosed: `${HEAD}Subject: x\nContent-Type: multipart/mixed; boundary=U\n\n--U\nContent-Type: text/plain\n\nnever closed\n`,
  'outer delimiter closes inner': mixed(['Content-Type: multipart/alternative; boundary=IN\n\n--IN\nContent-Type: text/plain\n\nunclosed inner', 'Content-Type: text/plain\n\nafter']),
  'delivery status': mixed(['Content-Type: text/plain\n\nbounce', 'Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n']),
  'boundary param on a leaf': `${HEAD}Subject: x\nContent-Type: text/plain; boundary=L\n\n--L\nbody\n--L--\n`,
  'only headers': `${HEAD}Subject: x\n`,
};

describe('lean reader = mailparser, on hand-made shapes', () => {
  for (const [name, body] of Object.entries(SHAPES)) {
    it(name, async () => {
      const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
      await same(raw, `${name}.eml`);
      // the same message with CRLF line endings
      await same(Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'), `${name}-crlf.eml`);
    });
  }

  it('reads the common shapes itself and leaves the odd ones to mailparser', () => {
    const lean = (k: string): boolean => parseLean(Buffer.from(SHAPES[k] as string)) !== null;
    for (const k of ['plain', 'qp latin-1', 'alternative', 'mixed with pdf', 'text attachment', 'nested alternative and image', 'flowed']) {
      expect(lean(k), k).toBe(true);
    }
    for (const k of ['html only', 'html in mixed next to text', 'message/rfc822', 'uuencode', 'unclosed', 'outer delimiter closes inner', 'delivery status', 'from group']) {
      expect(lean(k), k).toBe(false);
    }
  });

  it('skips attachment bodies unread: a broken base64 image does not matter', () => {
    const parts = parseLean(Buffer.from(SHAPES['mixed with pdf'] as string));
    expect(parts?.attachments).toEqual([]);
    expect(parts?.text).toBe('see attached\n');
  });
});

describe('lean reader = mailparser, when part headers recur (its caches)', () => {
  // the lean reader reads each distinct part header block once, and what MimeNode makes of a
  // Content-Type/-Disposition/-Transfer-Encoding triple once: blocks that differ only in order, in
  // a second line of a key, in the case of a key or in one of the three must still read as mailparser reads them
  const heads = [
    'Content-Type: text/plain; charset=us-ascii\n',
    'Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n',
    'Content-Transfer-Encoding: base64\nContent-Type: text/plain; charset=us-ascii\n',
    'Content-Type: text/plain; charset=us-ascii\nContent-Disposition: attachment; filename="a.txt"\n',
    'Content-Disposition: inline\nContent-Type: text/plain; charset=us-ascii\n',
    'Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n',
    'Content-Type: text/plain; charset=us-ascii\nContent-Type: text/html\n',
    'Content-Type: text/html\nContent-Type: text/plain; charset=us-ascii\n',
    'Content-Type: text/plain; format=flowed; delsp=yes\n',
    'Content-type: TEXT/PLAIN; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n',
    'Content-Type: application/octet-stream; name="x.txt"\nContent-Disposition: attachment\n',
    'X-Note: no content type at all\n',
  ];
  const body = 'aGVsbG8gPUMzPUE5IHRoZXJl \nsecond =3D line\n';
  it('every pair of part header blocks, each message read twice', async () => {
    let lean = 0;
    for (let round = 0; round < 2; round++) {
      for (const [i, a] of heads.entries()) {
        for (const [j, b] of heads.entries()) {
          const raw = Buffer.from(
            `From: a@example.org\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b${i}"\n\n` +
              `--b${i}\n${a}\n${body}--b${i}\n${b}\n${body}--b${i}--\n`,
          );
          if ((await same(raw, `pair-${i}-${j}-${round}.eml`)) === 'lean') lean++;
        }
        // the same lines as the message's own headers (not cached as a block, the triple is)
        const single = Buffer.from(`From: a@example.org\nSubject: s\n${a}\n${body}`);
        await same(single, `single-${i}-${round}.eml`);
      }
    }
    expect(lean).toBeGreaterThan(heads.length * heads.length);
  });
});

// ------------------------------------------------------------------ generated messages

const lineArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '--', '-- ', 'From here', '=', '=3D', '=\r', 'a \t ', '\r', '.', RECORD, '--B', '--B--', 'Subject: x', ' folded'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const bodyArb = fc.array(lineArb, { maxLength: 8 });

interface PartSpec {
  type: string;
  charset: string | null;
  disposition: string | null;
  encoding: string | null;
  flowed: boolean;
  lines: string[];
  raw8bit: boolean;
}

const partArb: fc.Arbitrary<PartSpec> = fc.record({
  type: fc.constantFrom('text/plain', 'text/plain', 'text/html', 'application/octet-stream', 'image/png', 'text/csv'),
  charset: fc.constantFrom(null, 'utf-8', 'us-ascii', 'iso-8859-1', 'windows-1252', 'koi8-r', 'UTF-8'),
  disposition: fc.constantFrom(null, null, 'inline', 'attachment', 'attachment; filename="log.txt"', 'attachment; filename=x.bin', 'inline; filename=a.txt'),
  encoding: fc.constantFrom(null, '7bit', '8bit', 'quoted-printable', 'base64', 'Quoted-Printable', 'binary'),
  flowed: fc.boolean(),
  lines: bodyArb,
  raw8bit: fc.boolean(),
});

function encodeBody(p: PartSpec, eol: string): Buffer {
  const text = p.lines.join('\n') + (p.lines.length ? '\n' : '');
  const bytes = p.raw8bit ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
  const enc = (p.encoding ?? '').toLowerCase();
  let out: string;
  if (enc === 'base64') out = bytes.toString('base64').replace(/.{76}/g, '$&\n');
  else if (enc === 'quoted-printable') out = qpWrap(qpEncode(bytes), 76);
  else return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, eol), 'latin1');
  return Buffer.from(out.replace(/\r?\n/g, eol), 'latin1');
}

function partHead(p: PartSpec, eol: string): string {
  const h: string[] = [];
  h.push(`Content-Type: ${p.type}${p.charset ? `; charset=${p.charset}` : ''}${p.flowed ? '; format=flowed' : ''}`);
  if (p.disposition) h.push(`Content-Disposition: ${p.disposition}`);
  if (p.encoding) h.push(`Content-Transfer-Encoding: ${p.encoding}`);
  return h.join(eol) + eol;
}

const messageArb = fc.record({
  multipart: fc.constantFrom(null, 'mixed', 'alternative', 'related'),
  parts: fc.array(partArb, { minLength: 1, maxLength: 4 }),
  // a multipart/alternative (or mixed) nested as the first part, closed or cut short by the outer delimiter
  nested: fc.option(fc.record({ type: fc.constantFrom('alternative', 'mixed'), parts: fc.array(partArb, { minLength: 1, maxLength: 3 }), closed: fc.boolean() }), { nil: null }),
  utf8Headers: fc.boolean(),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  boundaryPad: fc.constantFrom('', ' ', '\t '),
  subject: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('=?utf-8?B?w7xiZXI=?= x')),
  fromName: fc.oneof(fc.constant(''), fc.string({ maxLength: 15 }).filter((s) => !/[<>@,;:"\\\r\n()]/.test(s))),
});

describe('lean reader = mailparser, on generated messages (property)', () => {
  it('any generated message parses the same both ways', async () => {
    const paths = { lean: 0, mailparser: 0, none: 0 };
    await fc.assert(
      fc.asyncProperty(messageArb, async (m) => {
        const eol = m.crlf ? '\r\n' : '\n';
        const head = [
          `From: ${m.fromName ? `${m.fromName} ` : ''}<ops@cert.example>`,
          `Subject: ${m.subject.replace(/[\r\n]/g, ' ')}`,
          'Date: Thu, 06 Sep 2001 10:49:20 +0100',
          'Message-ID: <p@example>',
          'MIME-Version: 1.0',
        ];
        const chunks: Buffer[] = [];
        const headEnc = m.utf8Headers ? 'utf8' : 'latin1';
        if (m.multipart === null) {
          const p = m.parts[0]!;
          chunks.push(Buffer.from(head.join(eol) + eol + partHead(p, eol) + eol, headEnc), encodeBody(p, eol));
        } else {
          chunks.push(Buffer.from(head.join(eol) + eol + `Content-Type: multipart/${m.multipart}; boundary="B"` + eol + eol + 'preamble' + eol, headEnc));
          if (m.nested) {
            chunks.push(Buffer.from(`--B${eol}Content-Type: multipart/${m.nested.type}; boundary=N${eol}${eol}`, 'latin1'));
            for (const p of m.nested.parts) chunks.push(Buffer.from(`--N${eol}${partHead(p, eol)}${eol}`, 'latin1'), encodeBody(p, eol), Buffer.from(eol));
            if (m.nested.closed) chunks.push(Buffer.from(`--N--${eol}epilogue${eol}`));
          }
          for (const p of m.parts) {
            chunks.push(Buffer.from(`--B${m.boundaryPad}${eol}${partHead(p, eol)}${eol}`, 'latin1'), encodeBody(p, eol), Buffer.from(eol));
          }
          chunks.push(Buffer.from(`--B--${m.boundaryPad}${eol}`));
        }
        let raw = Buffer.concat(chunks);
        if (!m.finalNewline) raw = raw.subarray(0, raw.length - eol.length);
        paths[await same(raw, 'generated.eml')]++;
      }),
      { numRuns: Number(process.env.LW_LEAN_RUNS ?? 400), seed: Number(process.env.LW_LEAN_SEED ?? 20010906) },
    );
    // both readers are exercised: the comparison is not all fallbacks
    expect(paths.lean).toBeGreaterThan(paths.mailparser / 2);
    expect(paths.mailparser).toBeGreaterThan(0);
    console.log('generated messages by reader:', paths);
  }, 300_000);
});

describe('parseMailDate: the common RFC 2822 form takes a fast path with the general result', () => {
  it('any date in the common form parses as the general token walk parses it', () => {
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n: number): string => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(...days), { nil: null }),
        fc.integer({ min: 0, max: 32 }),
        fc.boolean(),
        fc.constantFrom(...months),
        fc.integer({ min: 1960, max: 2300 }),
        fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.option(fc.integer({ min: 0, max: 61 }), { nil: null })),
        fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 61 })),
        (day, d, padDay, mon, y, [h, mi, s], [sign, zh, zm]) => {
          const date = `${day ? `${day}, ` : ''}${padDay ? two(d) : d} ${mon} ${y} ${two(h)}:${two(mi)}${s === null ? '' : `:${two(s)}`} ${sign}${two(zh)}${two(zm)}`;
          // a trailing comment keeps the fast pattern from matching: the general walk reads it
          expect(parseMailDate(date), date).toEqual(parseMailDate(`${date} (comment)`));
        },
      ),
      { numRuns: 3000, seed: 20010906 },
    );
    expect(parseMailDate('Thu, 06 Sep 2001 10:49:20 +0100')).toEqual({ iso: '2001-09-06T10:49:20+01:00', offsetMinutes: 60 });
  });
});
