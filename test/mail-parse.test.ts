import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailParseError, parseMail, parseMailDate } from '../src/mail/parse.js';
import { isWebArchiveCopy, parseWebArchive } from '../src/mail/webarchive.js';

const read = (rel: string): Buffer => readFileSync(new URL(`../${rel}`, import.meta.url));
const SEED = 'fixtures/seed/incidents-2001-09-06-code-red-variants.txt';

describe('parseMail: the seed web-archive copy', () => {
  it('reads the headers from the lines at the top and undoes the obfuscation', async () => {
    const p = await parseMail(read(SEED), 'seed.txt');
    expect(p.from).toEqual({
      name: 'Matthew Collins',
      address: 'Matthew.Collins@northernregistrars.co.uk',
      org: 'northernregistrars.co.uk',
    });
    expect(p.date).toBe('2001-09-06T10:49:20+01:00');
    expect(p.offsetMinutes).toBe(60);
    expect(p.subject).toBe('Re: Code red variants?');
    expect(p.hasMessageId).toBe(false);
    expect(p.id).toMatch(/^lw-[0-9a-f]{24}$/);
    expect(p.input).toBe('seed.txt');
    expect(p.warnings).toEqual([]);
  });

  it('keeps only the post: no archive title above, no "Current thread:" below', async () => {
    const p = await parseMail(read(SEED), 'seed.txt');
    const lines = p.text.split('\n');
    expect(lines[0]).toMatch(/^I've seen this as well\./);
    expect(p.text).not.toContain('mailing list archives');
    expect(p.text).not.toContain('Current thread:');
    expect(p.text.trimEnd().endsWith('http://aris.securityfocus.com')).toBe(true);
    expect(lines).toContain('       A_RPA');
  });

  it('gives the same id for the same bytes and a different one for a different post', async () => {
    const a = await parseMail(read(SEED), 'a');
    const b = await parseMail(read(SEED), 'b');
    const c = await parseMail(Buffer.from(read(SEED).toString('utf8').replace('as well', 'too')), 'c');
    expect(a.id).toBe(b.id);
    expect(c.id).not.toBe(a.id);
  });

  it('detects web-archive copies and leaves real messages and prose alone', () => {
    expect(isWebArchiveCopy(read(SEED).toString('utf8'))).toBe(true);
    expect(parseWebArchive(read('fixtures/mail/quote-outlook.eml').toString('utf8'))).toBeNull();
    expect(parseWebArchive('Hello\n\nFrom: here to there we went.\n')).toBeNull();
  });
});

describe('parseMail: RFC 822', () => {
  it('fills ids, threading headers, date with the sender offset and the party', async () => {
    const p = await parseMail(read('fixtures/mail/quote-gt-nested.eml'), 'gt.eml');
    expect(p.id).toBe('20010907131244.GA1234@noc.example.net');
    expect(p.hasMessageId).toBe(true);
    expect(p.inReplyTo).toBe('3B9756E0.1010300@mail.example.com');
    expect(p.references).toEqual(['3B96A8B2.8030203@auckland.ac.nz', '3B9756E0.1010300@mail.example.com']);
    expect(p.date).toBe('2001-09-07T09:12:44-04:00');
    expect(p.offsetMinutes).toBe(-240);
    expect(p.from).toEqual({ name: 'Jane Doe', address: 'jane.doe@noc.example.net', org: 'example.net' });
    expect(p.headers.listId).toBe('incidents.lists.example.org');
  });

  it('fills the headers the bot needs for loop guards', async () => {
    const p = await parseMail(read('fixtures/mail/auto-reply.eml'), 'ooo.eml');
    expect(p.headers).toEqual({
      listId: null,
      autoSubmitted: 'auto-replied',
      precedence: 'bulk',
      xLoop: ['listwatch@lists.example.org'],
      returnPath: '',
      replyTo: 'nobody@example.com',
      autoReplyMarkers: ['x-autoreply: yes', 'x-auto-response-suppress: All'],
    });
  });

  it('converts an HTML-only body to text', async () => {
    const p = await parseMail(read('fixtures/mail/html-only.eml'), 'html.eml');
    expect(p.text).toContain('Seen from 130.67.10.87 as well.');
    expect(p.text).not.toContain('<b>');
  });

  it('detects TLP labels', async () => {
    const p = await parseMail(read('fixtures/mail/footer-mailman.eml'), 'f.eml');
    expect(p.tlp).toBe('AMBER');
  });

  it('strips an mbox envelope line and reads a message without Message-ID', async () => {
    const raw = Buffer.from('From jd@example.com Thu Sep  6 10:49:20 2001\nFrom: jd@example.com\nSubject: x\n\nbody\n');
    const p = await parseMail(raw, 'm');
    expect(p.from.address).toBe('jd@example.com');
    expect(p.text).toBe('body\n');
    expect(p.id).toMatch(/^lw-/);
    expect(p.date).toBeNull();
  });

  it('refuses input that is not a message with a reason', async () => {
    await expect(parseMail(Buffer.from('just some prose\nwith lines\n'), 'x.txt')).rejects.toThrow(MailParseError);
    await expect(parseMail(Buffer.from('just some prose\n'), 'x.txt')).rejects.toThrow(/x\.txt: no mail headers/);
    await expect(parseMail(Buffer.alloc(0), 'e')).rejects.toThrow(/empty/);
  });
});

describe('parseMailDate', () => {
  it('keeps the sender offset', () => {
    expect(parseMailDate('Thu, 06 Sep 2001 10:49:20 +0100')).toEqual({ iso: '2001-09-06T10:49:20+01:00', offsetMinutes: 60 });
    expect(parseMailDate('6 Sep 2001 08:30:11 -0700 (PDT)')?.iso).toBe('2001-09-06T08:30:11-07:00');
    expect(parseMailDate('Thu, 6 Sep 01 10:49 GMT')?.iso).toBe('2001-09-06T10:49:00+00:00');
    expect(parseMailDate('Thu, 06 Sep 2001 10:49:20 EDT')?.offsetMinutes).toBe(-240);
    expect(parseMailDate('Thu Sep  6 10:49:20 2001')?.iso).toBe('2001-09-06T10:49:20+00:00');
    expect(parseMailDate('2001-09-06T10:49:20+12:00')?.iso).toBe('2001-09-06T10:49:20+12:00');
  });
  it('is null for nonsense', () => {
    expect(parseMailDate('yesterday')).toBeNull();
    expect(parseMailDate('Thu, 31 Feb 2001 10:49:20 +0100')).toBeNull();
    expect(parseMailDate(null)).toBeNull();
  });
});

describe('parseMail: text attachments', () => {
  it('appends text/plain attachments (logs) after the body and leaves binary ones out', async () => {
    const raw = Buffer.from(
      [
        'From: Kim Lee <kim@ids.example.edu>',
        'Subject: argus attached',
        'Message-ID: <att-1@ids.example.edu>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Records attached.',
        '--B',
        'Content-Type: text/plain; charset=iso-8859-1; name="ra.txt"',
        'Content-Disposition: attachment; filename="ra.txt"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('06 Sep 01 00:17:00    tcp   130.67.114.61.2124   ?>   130.216.213.213.80    1        0         1460         0           A_\n').toString('base64'),
        '--B',
        'Content-Type: application/octet-stream; name="x.pcap"',
        'Content-Disposition: attachment; filename="x.pcap"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 0, 0, 0]).toString('base64'),
        '--B--',
        '',
      ].join('\n'),
    );
    const p = await parseMail(raw, 'att.eml');
    const lines = p.text.split('\n');
    expect(lines[0]).toBe('Records attached.');
    expect(lines).toContain('[attachment: ra.txt]');
    expect(lines.some((l) => l.startsWith('06 Sep 01 00:17:00'))).toBe(true);
    expect(p.text).not.toContain('x.pcap');
    expect(p.blocks.every((b) => b.kind === 'own')).toBe(true);
  });
});

describe('parseMail: other web archives', () => {
  it('reads a MARC copy: headers under the list line, "!" for dots, chrome above and below', async () => {
    const p = await parseMail(read('fixtures/mail/webarchive-marc.txt'), 'marc.txt');
    expect(p.from).toEqual({ name: 'Russell Fulton', address: 'r.fulton@auckland.ac.nz', org: 'auckland.ac.nz' });
    expect(p.subject).toBe('Re: Code red variants?');
    expect(p.id).toBe('3B96A8B2.8030203@auckland.ac.nz');
    expect(p.hasMessageId).toBe(true);
    expect(p.date).toBe('2001-09-06T00:14:18+00:00');
    expect(p.text).toBe('Snort logged a bunch of somewhat anomolous packets.\n');
  });
});

describe('parseMail: field posts', () => {
  it('fixtures/field/jammed-incidents-2003-02-port17300.txt: the archive indents the whole body; the > quotes under it are found', async () => {
    const p = await parseMail(read('fixtures/field/jammed-incidents-2003-02-port17300.txt'), 'jammed.txt');
    expect(p.text.startsWith('Royans:\n')).toBe(true);
    expect(p.blocks.filter((b) => b.kind === 'quoted').map((b) => b.startLine)).toEqual([4, 12, 25]);
  });

  it('keeps a bare calendar date (GitHub copy fixtures/field/github-fail2ban-2481) so log lines get their year', async () => {
    const p = await parseMail(read('fixtures/field/github-fail2ban-2481-iptables-drop.txt'), 'f2b.txt');
    expect(p.date).toBe('2019-07-28');
    expect(parseMailDate('2019-07-28')).toEqual({ iso: '2019-07-28', offsetMinutes: 0 });
    expect(parseMailDate('2019-02-30')).toBeNull();
  });
});

describe('parseMail: saved-file quirks', () => {
  it('accepts a BOM and leading blank lines before the headers', async () => {
    const p = await parseMail(Buffer.from('\uFEFF\r\n\nFrom: jd@example.com\nSubject: x\n\nbody\n'), 'bom.eml');
    expect(p.from.address).toBe('jd@example.com');
    expect(p.subject).toBe('x');
    expect(p.text).toBe('body\n');
  });
});
