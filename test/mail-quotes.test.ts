import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../src/mail/parse.js';
import { segmentBody } from '../src/mail/quotes.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';

const fixture = (name: string): Promise<MailPost> =>
  parseMail(readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url)), name);

const RUSSELL = { name: 'Russell Fulton', address: 'r.fulton@auckland.ac.nz', org: 'auckland.ac.nz' };

/** blocks cover the text in order: startLine + index maps back to the body line */
function expectCoverage(text: string, blocks: BodyBlock[]): void {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let next = 1;
  for (const b of blocks) {
    expect(b.startLine).toBe(next);
    expect(b.lines.length).toBeGreaterThan(0);
    next += b.lines.length;
  }
  expect(next - 1).toBe(lines.length);
}

/** the block holding a body line whose (dequoted) text contains `needle` */
function blockWith(blocks: BodyBlock[], needle: string): BodyBlock {
  const b = blocks.find((x) => x.lines.some((l) => l.includes(needle)));
  if (!b) throw new Error(`no block contains ${needle}`);
  return b;
}

describe('segmentBody: the seed (GroupWise, web-archive copy)', () => {
  it('splits own text, Russell’s unprefixed quotation and the footers', async () => {
    const post = await parseMail(
      readFileSync(new URL('../fixtures/seed/incidents-2001-09-06-code-red-variants.txt', import.meta.url)),
      'seed',
    );
    expectCoverage(post.text, post.blocks);
    const [own, quoted, ...rest] = post.blocks;
    expect(own).toMatchObject({ kind: 'own', depth: 0, startLine: 1 });
    expect(own!.lines).toHaveLength(3);
    expect(own!.lines[0]).toMatch(/^I've seen this as well/);
    expect(quoted).toMatchObject({ kind: 'quoted', depth: 1, startLine: 4, author: RUSSELL });
    expect(quoted!.lines[0]).toBe('Russell Fulton <r.fulton () auckland ac nz> 06/09/01 00:14:18 >>>');
    // the Snort alert and every Argus line, wrapped continuations included, with indentation kept
    expect(quoted!.lines).toContain('[**] WEB-IIS cmd.exe access [**]');
    expect(quoted!.lines).toContain('       A_RPA');
    expect(quoted!.lines).toContain(
      '06 Sep 01 07:10:23           tcp  130.67.240.225.1450   ?>   130.216.223.150.80    1        1         1460         0    ',
    );
    expect(quoted!.lines.filter((l) => l.startsWith('06 Sep 01 '))).toHaveLength(11);
    expect(quoted!.lines.filter((l) => l === 'A_' || l === 'A_R')).toHaveLength(10);
    expect(quoted!.lines).toContain('Russell Fulton, Computer and Network Security Officer');
    // ARIS footer, Northern Registrars disclaimer, trailing list footer: footer, nothing else after
    expect(rest.length).toBeGreaterThan(0);
    for (const b of rest) expect(b.kind).toBe('footer');
    const footerText = rest.flatMap((b) => b.lines).join('\n');
    expect(footerText).toContain('This list is provided by the SecurityFocus ARIS analyzer service.');
    expect(footerText).toContain('This message and any attachments are confidential');
    expect(footerText).toContain('For more information visit our web site: http://www.northernregistrars.co.uk');
    expect(quoted!.lines.join('\n')).not.toContain('confidential');
  });
});

describe('segmentBody: > and nested quoting', () => {
  it('attributes each level from a wrapped "On <date>, <name> wrote:" and "<name> wrote:"', async () => {
    const post = await fixture('quote-gt-nested.eml');
    expectCoverage(post.text, post.blocks);
    const level1 = blockWith(post.blocks, "I've seen this as well.");
    expect(level1).toMatchObject({ kind: 'quoted', depth: 1 });
    expect(level1.author).toEqual({
      name: 'Matthew Collins',
      address: 'Matthew.Collins@northernregistrars.co.uk',
      org: 'northernregistrars.co.uk',
    });
    const level2 = blockWith(post.blocks, 'steady trickle');
    expect(level2).toMatchObject({ kind: 'quoted', depth: 2, author: RUSSELL });
    // `> >` and `>>` both count as two levels; only the markers and one space go
    expect(level2.lines).toContain(
      '06 Sep 01 00:02:34    tcp  130.67.216.237.3339   ?>    130.216.246.91.80    1        0         1460         0           A_',
    );
    expect(level2.lines).toContain(
      '06 Sep 01 00:04:27    tcp  130.67.216.237.3955   ?>   130.216.145.172.80    2        0         2920         0           A_',
    );
    expect(blockWith(post.blocks, 'Same here')).toMatchObject({ kind: 'own', depth: 0, author: null });
    expect(blockWith(post.blocks, 'Jane Doe, NOC')).toMatchObject({ kind: 'signature', depth: 0 });
  });

  it('handles "said:" and a one-line attribution without a blank line', () => {
    const blocks = segmentBody('Bob Smith <bob@example.org> said:\n> one\n>> two\nmine\n');
    expect(blocks.map((b) => [b.kind, b.depth, b.author?.address ?? null])).toEqual([
      ['own', 0, null],
      ['quoted', 1, 'bob@example.org'],
      ['quoted', 2, null],
      ['own', 0, null],
    ]);
    expect(blocks[1]!.lines).toEqual(['one']);
    expect(blocks[2]!.lines).toEqual(['two']);
  });

  it('keeps inner indentation: only the marker and one space are removed', () => {
    const blocks = segmentBody('>   indented by three\n>\tTab\n>x\n');
    expect(blocks[0]!.lines).toEqual(['  indented by three', '\tTab', 'x']);
  });
});

describe('segmentBody: GroupWise / Lotus', () => {
  it('quotes unprefixed text after "Name <addr> dd/mm/yy hh:mm:ss >>>" up to the outer disclaimer', async () => {
    const post = await fixture('quote-groupwise.eml');
    expectCoverage(post.text, post.blocks);
    expect(post.blocks.map((b) => b.kind)).toEqual(['own', 'quoted', 'footer']);
    const q = post.blocks[1]!;
    expect(q.author).toEqual(RUSSELL);
    expect(q.lines).toContain('       A_RPA');
    expect(post.blocks[2]!.lines.join('\n')).toContain('confidential');
  });

  it('reads the ">>> Name <addr> date time AM >>>" form', async () => {
    const post = await fixture('quote-groupwise-leading.eml');
    expectCoverage(post.text, post.blocks);
    expect(post.blocks.map((b) => b.kind)).toEqual(['own', 'quoted']);
    expect(post.blocks[1]!.author).toEqual(RUSSELL);
    expect(post.blocks[1]!.depth).toBe(1);
    expect(post.blocks[1]!.lines.some((l) => l.startsWith('06 Sep 01 00:58:01'))).toBe(true);
  });
});

describe('segmentBody: Outlook', () => {
  it('quotes everything after -----Original Message----- and takes the author from From:', async () => {
    const post = await fixture('quote-outlook.eml');
    expectCoverage(post.text, post.blocks);
    expect(blockWith(post.blocks, 'We see the same pattern')).toMatchObject({ kind: 'own', depth: 0 });
    const q = blockWith(post.blocks, 'A_R');
    expect(q).toMatchObject({ kind: 'quoted', depth: 1, author: RUSSELL });
    expect(q.lines[0]).toBe('-----Original Message-----');
    expect(q.lines).toContain('Any idea what is going on?');
  });

  it('recognises a From:/Sent:/To:/Subject: block without the dashed line', async () => {
    const post = await fixture('quote-outlook-headerblock.eml');
    expectCoverage(post.text, post.blocks);
    expect(post.blocks.map((b) => b.kind)).toEqual(['own', 'quoted']);
    expect(post.blocks[1]!.author).toEqual(RUSSELL);
    expect(post.blocks[1]!.lines[0]).toBe('From: Russell Fulton <r.fulton@auckland.ac.nz>');
  });

  it('does not take a lone From: line in prose for a header block', () => {
    const blocks = segmentBody('From: the border router we saw\n06 Sep 01 00:02:34 tcp a ?> b\n');
    expect(blocks.map((b) => b.kind)).toEqual(['own']);
  });
});

describe('segmentBody: indented mirror', () => {
  it('quotes the indented run after "X wrote:", removing only the common indentation', async () => {
    const post = await fixture('quote-indented.eml');
    expectCoverage(post.text, post.blocks);
    expect(post.blocks.map((b) => b.kind)).toEqual(['own', 'quoted', 'own']);
    const q = post.blocks[1]!;
    expect(q.author).toEqual({ name: 'Russell Fulton', address: null, org: null });
    expect(q.lines).toContain(
      '06 Sep 01 01:28:38    tcp  130.67.118.172.4396   ?>    130.216.149.34.80    2        0         2920         0           ',
    );
    expect(q.lines).toContain('A_');
    expect(q.lines.some((l) => l.startsWith('06 Sep 01 01:33:50'))).toBe(true);
    expect(post.blocks[2]!.lines[0]).toMatch(/^Nothing like that here/);
  });

  it('leaves indented records without an attribution as own text', () => {
    const blocks = segmentBody('I then looked at the argus logs:\n\n   06 Sep 01 07:10:23 tcp\n       A_RPA\n');
    expect(blocks.map((b) => b.kind)).toEqual(['own']);
    expect(blocks[0]!.lines[3]).toBe('       A_RPA');
  });
});

describe('segmentBody: mbox escape, signatures and footers', () => {
  it('reads ">From " at the start of a line as an mbox escape, not a quotation', async () => {
    const post = await fixture('mbox-from-escape.eml');
    expect(post.blocks.map((b) => b.kind)).toEqual(['own']);
    expect(post.blocks[0]!.lines[1]).toBe('From the border sensor, last night:');
  });

  it('marks "--" signatures, confidentiality notices and Mailman footers, never own text', async () => {
    const post = await fixture('footer-mailman.eml');
    expectCoverage(post.text, post.blocks);
    expect(post.blocks.map((b) => b.kind)).toEqual(['own', 'signature', 'footer']);
    expect(post.blocks[1]!.lines[1]).toBe('Jane Doe');
    const footer = post.blocks[2]!.lines.join('\n');
    expect(footer).toContain('CONFIDENTIALITY NOTICE');
    expect(footer).toContain('mailman/listinfo/incidents');
  });

  it('keeps the quoted person’s signature inside the quotation, attributed to them', () => {
    const blocks = segmentBody('Bob <bob@example.org> wrote:\n> data\n> -- \n> Bob, CERT\nmine\n');
    const sig = blocks.find((b) => b.kind === 'signature')!;
    expect(sig).toMatchObject({ depth: 1, lines: ['-- ', 'Bob, CERT'] });
    expect(sig.author?.address).toBe('bob@example.org');
  });

  it('does not take a ruled table in prose for a footer', () => {
    const blocks = segmentBody('counts:\n----------\nsrc  n\n1.2.3.4 5\n');
    expect(blocks.map((b) => b.kind)).toEqual(['own']);
  });
});

describe('segmentBody: bounds', () => {
  it('is linear on 200,000 lines and never throws on hostile shapes', () => {
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(i % 7 === 0 ? '> > > quoted' : i % 11 === 0 ? 'Bob wrote:' : `line ${i}`);
    const blocks = segmentBody(lines.join('\n'));
    expect(blocks.reduce((n, b) => n + b.lines.length, 0)).toBe(200_000);
    const deep = `${'>'.repeat(5000)} x\n${'-----Original Message-----\nFrom: a@b.example.com\nSent: x\nTo: y\n'.repeat(200)}`;
    const d = segmentBody(deep);
    expect(Math.max(...d.map((b) => b.depth))).toBeLessThanOrEqual(32);
    expect(segmentBody('')).toEqual([]);
    expect(segmentBody('x'.repeat(1_000_000) + ' wrote:\n  y\n').length).toBeGreaterThan(0);
  });
});

describe('segmentBody: attribution forms', () => {
  const authorOf = (text: string) => segmentBody(text).find((b) => b.kind === 'quoted')?.author ?? null;
  it.each([
    ['On Thu, Sep 6, 2001 at 10:49 AM Matthew Collins <m.collins@example.co.uk> wrote:\n\n> q\n', 'Matthew Collins', 'm.collins@example.co.uk'],
    ['On Thursday, September 6, 2001 10:49:20 AM UTC+1,\nMatthew Collins\n<m.collins@example.co.uk> wrote:\n> q\n', 'Matthew Collins', 'm.collins@example.co.uk'],
    ['On 06/09/01 00:14, "Russell Fulton" <r.fulton@auckland.ac.nz> wrote:\n> q\n', 'Russell Fulton', 'r.fulton@auckland.ac.nz'],
    ['On 6 Sep 2001, Russell Fulton wrote:\n> q\n', 'Russell Fulton', null],
    ['Le 6 sept. 2001 à 10:49, Jean Dupont <jd@example.fr> a écrit :\n> q\n', 'Jean Dupont', 'jd@example.fr'],
    ['* Russell Fulton <r.fulton@auckland.ac.nz> [2001-09-06 00:14]:\n> q\n', 'Russell Fulton', 'r.fulton@auckland.ac.nz'],
    ['In article <abc@news>, rf@auckland.ac.nz (Russell Fulton) writes:\n> q\n', 'Russell Fulton', 'rf@auckland.ac.nz'],
    ['r.fulton () auckland ac nz said:\n> q\n', null, 'r.fulton@auckland.ac.nz'],
  ])('%j', (text, name, address) => {
    expect(authorOf(text)).toMatchObject({ name, address });
  });
  it('has no author when the line before is not an attribution', () => {
    expect(authorOf('I saw this:\n> q\n')).toBeNull();
  });
});

describe('segmentBody: mixed styles', () => {
  it('nests Outlook quotations and ends a top-posted signature at the quoted header', () => {
    const blocks = segmentBody(
      'top reply\n-- \nAlan\n\n-----Original Message-----\nFrom: Bob <bob@example.org>\nSent: x\n\nbob text\n-----Original Message-----\nFrom: Carol <carol@example.net>\nSent: y\nTo: z\n\ncarol text\n',
    );
    expect(blocks.map((b) => [b.kind, b.depth, b.author?.name ?? null])).toEqual([
      ['own', 0, null],
      ['signature', 0, null],
      ['quoted', 1, 'Bob'],
      ['quoted', 2, 'Carol'],
    ]);
  });

  it('takes the underscore rule of newer Outlook into the quotation', () => {
    const blocks = segmentBody('reply\n\n________________________________\nFrom: Bob <bob@example.org>\nSent: Thursday\nTo: list\nSubject: x\n\nbob text\n');
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'quoted']);
    expect(blocks[1]!.lines[0]).toMatch(/^_{10,}$/);
  });

  it('marks a list footer inside a quotation as footer', () => {
    const blocks = segmentBody(
      'Bob <bob@example.org> wrote:\n> bob text\n> _______________________________________________\n> Incidents mailing list\n> https://lists.example.org/mailman/listinfo/incidents\nmine\n',
    );
    expect(blocks.map((b) => [b.kind, b.depth])).toEqual([
      ['own', 0],
      ['quoted', 1],
      ['footer', 1],
      ['own', 0],
    ]);
  });

  it('does not count a > quotation that opens with a quoted header twice', () => {
    const blocks = segmentBody('> -----Original Message-----\n> From: Bob <bob@example.org>\n> Sent: x\n> To: y\n>\n> bob text\nmine\n');
    expect(blocks[0]).toMatchObject({ kind: 'quoted', depth: 1, author: { name: 'Bob', address: 'bob@example.org' } });
    expect(blocks[1]).toMatchObject({ kind: 'own', lines: ['mine'] });
  });

  it('ends a mutt forward at its end line', () => {
    const blocks = segmentBody('mine\n----- Forwarded message from Bob <bob@example.org> -----\nbob text\n----- End forwarded message -----\nmore of mine\n');
    expect(blocks.map((b) => [b.kind, b.author?.address ?? null])).toEqual([
      ['own', null],
      ['quoted', 'bob@example.org'],
      ['own', null],
    ]);
  });
});

describe('segmentBody: signatures do not swallow records', () => {
  it('ends a signature where pasted log lines start', () => {
    const blocks = segmentBody(
      'see below\n--\n06 Sep 01 00:17:00    tcp   130.67.114.61.2124   ?>   130.216.213.213.80    1   0   1460   0   A_\n',
    );
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'signature', 'own']);
    expect(blocks[2]!.lines[0]).toMatch(/^06 Sep 01 00:17:00/);
  });
  it('keeps phone numbers and short lines in the signature', () => {
    const blocks = segmentBody('text\n-- \nMatthew Collins\nTel: +44 (0) 1484 600900  Fax: +44 (0) 1484 600911\n');
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'signature']);
  });
});

describe('segmentBody: footers do not swallow records', () => {
  it('ends a footer paragraph at a log line', () => {
    const blocks = segmentBody(
      'text\n\n--------------------\nconfidential data follows\n06 Sep 01 00:17:00    tcp   130.67.114.61.2124   ?>   130.216.213.213.80    1   0   1460   0   A_\n',
    );
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'footer', 'own']);
    expect(blocks[2]!.lines[0]).toMatch(/^06 Sep 01/);
  });
});

describe('segmentBody: prose that only sounds like an attribution', () => {
  it.each([
    'none of them\nstarts with a SYN. argus says:\n\n   19:02:34.000000  e  tcp  100.64.216.237.3300  ?>  192.0.2.40.80  1  1514  A_\n',
    'snort said:\n\n   [**] [1:1002:2] WEB-IIS cmd.exe access [**]\n',
    'and then it said:\n    06 Sep 01 07:10:23 tcp 130.67.240.225.1450 ?> 130.216.223.150.80\n',
  ])('keeps indented tool output as the author’s own text: %j', (text) => {
    expect(segmentBody(text).map((b) => b.kind)).toEqual(['own']);
  });
  it('still quotes the mirror after a real name', () => {
    const blocks = segmentBody('Russell Fulton wrote:\n    I then used argus\n');
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'quoted']);
  });
});

describe('segmentBody: more clients', () => {
  it('reads Horde "Quoting Name <addr>:" and German "Am <date> schrieb Name:"', () => {
    const a = segmentBody('Quoting Russell Fulton <r.fulton@auckland.ac.nz>:\n\n> q\n');
    expect(a[1]).toMatchObject({ kind: 'quoted', author: RUSSELL });
    const b = segmentBody('Am 06.09.2001 um 00:14 schrieb Russell Fulton:\n> q\n');
    expect(b[1]).toMatchObject({ kind: 'quoted', author: { name: 'Russell Fulton' } });
  });
  it('reads a Lotus Notes header block', () => {
    const blocks = segmentBody(
      'Same here.\n\n"Russell Fulton" <r.fulton@auckland.ac.nz>\nSent by: incidents-owner@example.org\n06/09/2001 00:14\nTo: incidents@example.org\ncc:\nSubject: Code red variants?\n\nI then used argus\n',
    );
    expect(blocks.map((b) => b.kind)).toEqual(['own', 'quoted']);
    expect(blocks[1]).toMatchObject({ depth: 1, author: RUSSELL });
    expect(blocks[1]!.lines).toContain('I then used argus');
  });
  it('does not take an address line in prose for a Lotus header', () => {
    expect(segmentBody('Contact r.fulton@auckland.ac.nz\nfor details\n').map((b) => b.kind)).toEqual(['own']);
  });
});

describe('field post: fixtures/field/jammed-incidents-2003-02-port17300.txt', () => {
  const jammed = (): Promise<MailPost> =>
    parseMail(readFileSync(new URL('../fixtures/field/jammed-incidents-2003-02-port17300.txt', import.meta.url)), 'jammed.txt');

  it("mutt's 'On Mon, Feb 17, 2003 at 08:00:31PM -0800, Royans Tharakan wrote:' names Royans Tharakan", async () => {
    const quoted = (await jammed()).blocks.filter((b) => b.kind === 'quoted');
    expect(quoted[0]?.author).toEqual({ name: 'Royans Tharakan', address: null, org: null });
  });

  it('the later quoted pieces of the interleaved reply, with no attribution of their own, are his too', async () => {
    const quoted = (await jammed()).blocks.filter((b) => b.kind === 'quoted');
    expect(quoted.map((b) => b.author?.name ?? null)).toEqual(['Royans Tharakan', 'Royans Tharakan', 'Royans Tharakan']);
  });
});
