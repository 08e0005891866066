import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MailParseError, mimeDepth, parseMail } from '../src/mail/parse.js';
import { readInputs } from '../src/source/index.js';
import type { MailPost } from '../src/mail/types.js';

const headers = 'From: Russell Fulton <r.fulton@auckland.ac.nz>\nSubject: big\nDate: Thu, 06 Sep 2001 00:14:18 +1200\nMessage-ID: <big@auckland.ac.nz>\n';
const ARGUS = '06 Sep 01 00:02:34    tcp  130.67.216.237.3339   ?>    130.216.246.91.80    1        0         1460         0           A_\n';

function nestedMime(levels: number): string {
  let head = headers;
  for (let i = 0; i < levels; i++) {
    head += `${i === 0 ? '' : `\n--b${i - 1}\n`}Content-Type: multipart/mixed; boundary="b${i}"\n`;
  }
  let tail = '';
  for (let i = levels - 1; i >= 0; i--) tail += `\n--b${i}--\n`;
  return `${head}\n--b${levels - 1}\nContent-Type: text/plain\n\n${ARGUS}${tail}`;
}

function coverage(p: MailPost): number {
  return p.blocks.reduce((n, b) => n + b.lines.length, 0);
}
const lineCount = (t: string): number => t.split('\n').length - (t.endsWith('\n') ? 1 : 0);

describe('parseMail: bad input gives a clear error or a bounded result', () => {
  it('refuses a binary file', async () => {
    const junk = Buffer.alloc(5000, 0);
    junk.write('MZ\x90\x00', 0, 'latin1');
    await expect(parseMail(junk, 'a.exe')).rejects.toThrow(MailParseError);
    await expect(parseMail(junk, 'a.exe')).rejects.toThrow(/a\.exe: binary data/);
  });

  it('truncates a 20 MB post to the text cap with a warning, in bounded time', async () => {
    const raw = Buffer.from(`${headers}\n${ARGUS.repeat(165_000)}`);
    expect(raw.length).toBeGreaterThan(20_000_000);
    const p = await parseMail(raw, 'big.eml');
    expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(p.text.endsWith('A_\n')).toBe(true); // cut at a line boundary
    expect(p.warnings.join()).toMatch(/truncated to \d+ bytes \(limit 2097152\)/);
    expect(coverage(p)).toBe(lineCount(p.text));
  }, 60_000);

  it('keeps a post of 200,000 lines whole under a larger cap, and segments it linearly', async () => {
    const body = Array.from({ length: 200_000 }, (_, i) => (i % 50 === 0 ? `> quoted ${i}` : `line ${i}`)).join('\n');
    const p = await parseMail(Buffer.from(`${headers}\n${body}\n`), 'lines.eml', { maxTextBytes: 8 * 1024 * 1024 });
    expect(lineCount(p.text)).toBe(200_000);
    expect(coverage(p)).toBe(200_000);
    expect(p.blocks.filter((b) => b.kind === 'quoted')).toHaveLength(4000);
    expect(p.warnings).toEqual([]);
    // and under the default cap it is bounded, with a warning
    const capped = await parseMail(Buffer.from(`${headers}\n${body.replace(/line/g, 'line of a long post')}\n`), 'lines.eml');
    expect(capped.warnings.join()).toMatch(/truncated/);
  }, 60_000);

  it('cuts a 1 MB line to 64 KB for analysis', async () => {
    const p = await parseMail(Buffer.from(`${headers}\nbefore\n${'A'.repeat(1024 * 1024)}\n${ARGUS}`), 'line.eml');
    const lines = p.text.split('\n');
    expect(lines[0]).toBe('before');
    expect(lines[1]).toHaveLength(64 * 1024);
    expect(lines[2]).toBe(ARGUS.trimEnd());
    expect(p.warnings.join()).toMatch(/1 line\(s\) longer than 65536/);
  });

  it('replaces invalid UTF-8 and says so, for messages and web-archive copies', async () => {
    const raw = Buffer.concat([
      Buffer.from(`${headers}Content-Type: text/plain; charset=utf-8\n\nab`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from(`cd\n${ARGUS}`),
    ]);
    const p = await parseMail(raw, 'bad-utf8.eml');
    expect(p.text).toContain('\uFFFD');
    expect(p.text).toContain(ARGUS.trimEnd());
    expect(p.warnings.join()).toMatch(/invalid bytes/);

    const seed = readFileSync(new URL('../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url));
    const latin = Buffer.from(seed.toString('utf8').replace('as well', 'as w\u00e9ll'), 'latin1');
    const w = await parseMail(latin, 'seed-latin1.txt');
    expect(w.warnings).toEqual(['text is not valid UTF-8; read as Latin-1']);
    expect(w.text).toContain('as w\u00e9ll');
    expect(w.from.org).toBe('northernregistrars.co.uk');
  });

  it('refuses MIME nested 200 deep before mailparser recurses, and parses sane nesting', async () => {
    expect(mimeDepth(Buffer.from(nestedMime(200)))).toBeGreaterThan(50);
    await expect(parseMail(Buffer.from(nestedMime(200)), 'deep.eml')).rejects.toThrow(/deep\.eml: MIME multiparts nested \d+ deep \(limit 50\)/);
    expect(mimeDepth(Buffer.from(nestedMime(5)))).toBe(5);
    const ok = await parseMail(Buffer.from(nestedMime(20)), 'ok.eml');
    expect(ok.text).toContain('A_');
  });

  it('gives up on a message past its time budget', async () => {
    const raw = Buffer.from(`${headers}\n${ARGUS.repeat(100_000)}`);
    await expect(parseMail(raw, 'slow.eml', { timeBudgetMs: 1 })).rejects.toThrow(/slow\.eml: parsing took longer than 1 ms/);
  });
});

describe('a run over several bad inputs goes on to the good one', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lw-mail-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each problem and still analyses the good post', async () => {
    writeFileSync(join(dir, '1-binary.eml'), Buffer.from([0, 1, 2, 3, 0, 0, 255, 254, 0, 7]));
    writeFileSync(join(dir, '2-deep.eml'), nestedMime(200));
    writeFileSync(join(dir, '3-prose.txt'), 'a note with no headers at all\n');
    writeFileSync(join(dir, '4-line.eml'), `${headers}\n${'B'.repeat(1024 * 1024)}\n`);
    writeFileSync(
      join(dir, '5-good.eml'),
      readFileSync(new URL('../fixtures/mail/quote-groupwise.eml', import.meta.url)),
    );
    writeFileSync(join(dir, 'z.mbox'), `From x Thu Sep  6 10:49:20 2001\n${headers}\n${ARGUS}\nFrom y Thu Sep  6 10:49:20 2001\nSubject: cut`);
    const errors: string[] = [];
    const posts: MailPost[] = [];
    for await (const item of readInputs([dir, join(dir, 'z.mbox')])) {
      if (item.kind === 'error') {
        errors.push(item.message);
        continue;
      }
      try {
        posts.push(await parseMail(item.raw, item.input));
      } catch (err) {
        if (!(err instanceof MailParseError)) throw err;
        errors.push(err.message);
      }
    }
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/1-binary\.eml: binary data/);
    expect(errors[1]).toMatch(/2-deep\.eml: MIME multiparts nested/);
    expect(errors[2]).toMatch(/3-prose\.txt: no mail headers/);
    expect(errors[3]).toMatch(/z\.mbox#2: truncated mbox/);
    expect(posts.map((p) => p.input)).toEqual([join(dir, '4-line.eml'), join(dir, '5-good.eml'), `${join(dir, 'z.mbox')}#1`]);
    expect(posts[1]!.blocks.find((b) => b.kind === 'quoted')?.author?.org).toBe('auckland.ac.nz');
  });
});

describe('parseMail: legacy and foreign formats', () => {
  it('reads an 8-bit body without MIME headers as Windows-1252', async () => {
    const raw = Buffer.concat([Buffer.from(`${headers}\nS`), Buffer.from([0xe9]), Buffer.from(`bastien saw it too\n${ARGUS}`)]);
    const p = await parseMail(raw, 'latin1.eml');
    expect(p.text.startsWith('S\u00e9bastien saw it too\n')).toBe(true);
    expect(p.warnings).toContain('8-bit body without a declared charset read as Windows-1252');
  });

  it('keeps valid UTF-8 without MIME headers as UTF-8', async () => {
    const p = await parseMail(Buffer.from(`${headers}\nS\u00e9bastien\n`), 'utf8.eml');
    expect(p.text).toBe('S\u00e9bastien\n');
    expect(p.warnings).toEqual([]);
  });

  it('names Outlook .msg and gzip files instead of calling them junk', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]);
    await expect(parseMail(ole, 'a.msg')).rejects.toThrow(/a\.msg: an Outlook \.msg/);
    await expect(parseMail(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), 'x.gz')).rejects.toThrow(/gzip-compressed/);
  });
});

/** mimeDepth as it was written on a latin1 copy of the whole message, line by line: the reference the Buffer version is held to */
function mimeDepthOnText(raw: Buffer): number {
  const text = raw.toString('latin1');
  const stack: string[] = [];
  let maxDepth = 0;
  let inHeaders = true;
  let contentType = '';
  let inContentType = false;
  let pos = 0;
  const boundaryOf = (ct: string): string | null => {
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
  };
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    if (!inHeaders) {
      if (stack.length === 0) return maxDepth;
      if (text.charCodeAt(pos) !== 45 || text.charCodeAt(pos + 1) !== 45 || pos + 1 >= nl) {
        pos = nl + 1;
        continue;
      }
    }
    let line = text.slice(pos, Math.min(nl, pos + 2000));
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = nl + 1;
    if (inHeaders) {
      if (line === '') {
        inHeaders = false;
        inContentType = false;
        const ct = contentType.toLowerCase();
        contentType = '';
        if (ct.startsWith('multipart/')) {
          const b = boundaryOf(ct);
          if (b) {
            stack.push(b);
            if (stack.length > maxDepth) maxDepth = stack.length;
            if (maxDepth > 50) return maxDepth;
          }
        } else if (ct.startsWith('message/rfc822') || ct.startsWith('message/global')) {
          inHeaders = true;
        }
        continue;
      }
      const first = line.charCodeAt(0);
      if (first === 32 || first === 9) {
        if (inContentType && contentType.length < 2000) contentType += line;
        continue;
      }
      inContentType = line.slice(0, 13).toLowerCase() === 'content-type:';
      if (inContentType) contentType = line.slice(13).trim();
      continue;
    }
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

describe('mimeDepth reads the bytes as the line-by-line reading of a latin1 copy did', () => {
  it('any message made of header, delimiter and body lines (property)', () => {
    // single lines, and runs that open a nested multipart or end one, so that some messages nest several deep
    const line = fc.constantFrom(
      ['Content-Type: multipart/mixed; boundary=a'],
      ['Content-Type: multipart/alternative; boundary="B"'],
      ['content-type: Multipart/Related;', ' boundary=c'],
      [' boundary=c'],
      ['Content-Type: message/rfc822'],
      ['Content-Type: text/plain'],
      ['From: x@example.org'],
      [''],
      ['\r'],
      ['--a'],
      ['--a--'],
      ['--A'],
      ['--b '],
      ['--B--'],
      ['--c'],
      ['--'],
      ['-'],
      ['-a'],
      ['x--a'],
      ['\r--a'],
      ['body text'],
      ['CONTENT-TYPE: MULTIPART/MIXED; BOUNDARY=A'],
      ['Cont\u00c9nt-Type: multipart/mixed; boundary=a'],
      ['content-type:'],
      ['Content-Type:multipart/alternative;', '\tboundary=B'],
      [`Content-Type: multipart/mixed; ${'x'.repeat(1990)} boundary=a`],
      [' '.repeat(1995) + 'boundary=c'],
      ['--a', 'Content-Type: multipart/alternative; boundary="B"', ''],
      ['--b', 'Content-Type: multipart/related; boundary=c', '', 'preamble', ''],
      ['--c', 'Content-Type: text/plain', '', 'text', ''],
      ['--a', 'Content-Type: message/rfc822', '', 'Content-Type: multipart/mixed; boundary=b', ''],
    );
    const depths = new Set<number>();
    fc.assert(
      fc.property(fc.boolean(), fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), (opens, runs, eol, lastEol) => {
        const lines = [...(opens ? ['Content-Type: multipart/mixed; boundary=a', ''] : []), ...runs.flat()];
        const raw = Buffer.from(lines.join(eol) + (lastEol ? eol : ''), 'latin1');
        const depth = mimeDepth(raw);
        depths.add(depth);
        expect(depth).toBe(mimeDepthOnText(raw));
      }),
      { numRuns: 3000, seed: 20261126 },
    );
    // the messages nest: the comparison is not all depth 0
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(3);
  });
});
