import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { segmentBody, segmentBodyUnscreened } from '../src/mail/quotes.js';

// segmentBody labels most lines as the voice's own text on their first and last characters
// (isOrdinaryLine) without trying every test: it must give exactly the blocks of trying them all.

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (statSync(p).size < 2_000_000) out.push(p);
  }
  return out;
}

// lines and line starts/ends of every shape processRegion tells apart, and ordinary prose around them
const LINES = [
  '', ' ', '\t', '>', '> ', '> > quoted', '>> deeper', '>From the list', '>>> Russell Fulton <r.fulton@auckland.ac.nz> 06/09/01 00:14:18 >>>',
  'Russell Fulton <r.fulton () auckland ac nz> 06/09/01 00:14:18 >>>', '-- ', '--', '--  ', '-----Original Message-----',
  '----- Forwarded message from Ann <a@b.example> -----', '----- End forwarded message -----', 'Begin forwarded message:',
  '________________________________', '**********', '==========', '~~~~~~~~~~', '##########', 'From: Ann Example [mailto:ann@b.example]',
  '*From:* Ann <ann@b.example>', 'Sent: Thursday, September 06, 2001 10:49 AM', 'To: incidents@lists.example', 'Cc: x@y.example',
  'Subject: Re: scans', 'Date: Thu, 6 Sep 2001', 'Von: Hans <h@x.example>', 'De: Jean <j@x.example>', 'da: x', 'Ann Example <ann@b.example>',
  'Ann Example', 'Sent by: owner@lists.example', '06/09/2001 10:49 AM', 'bcc: z', 'On Thu, 6 Sep 2001 10:49:20 +0100, Russell Fulton wrote:',
  '<r.fulton@auckland.ac.nz> wrote:', 'Quoting Russell Fulton <r.fulton@auckland.ac.nz>:', '* Ann <a@b.example> [2001-09-06 00:14]:',
  'argus said:', '  indented mirror line', '\tindented with a tab', 'This list is provided by the SecurityFocus ARIS service',
  'To unsubscribe send mail to x', 'Disclaimer: nothing', 'CONFIDENTIALITY NOTICE', 'We see the same thing here.', 'the traffic below:',
  'since yesterday we see this', 'check your logs', 'blocked at the border', 'default.ida requests', 'victims (see below)',
  'from what we see', 'very odd >', 'ends with a colon:', '09/06-04:51:13.613276  [**] [1:1002:2] WEB-IIS cmd.exe access [**]',
  // whole header blocks (a Lotus sender line, Outlook blocks opened by each sender key), also with
  // sender lines that do not end in '>' (which alone sends a line through every test)
  'ann@b.example\nTo: incidents@lists.example\nSubject: Re: scans',
  'Dee Example <dee () b example> CERT\nSent by: owner@lists.example\nTo: x@y.example\nSubject: scans',
  'Von: h@x.example\nGesendet: Donnerstag\nAn: x@y.example\nBetreff: scans',
  'de: j@x.example\nDate: jeudi\nTo: x@y.example',
  'FROM: a@b.example\nSENT: Thursday\nTO: x@y.example',
  'van: v@x.example\nDatum: x\nAan: y\nOnderwerp: z\nTo: y\nSubject: z',
  'Ann Example <ann@b.example>\nSent by: owner@lists.example\n06/09/2001 10:49 AM\nTo: incidents@lists.example\ncc:\nSubject: Re: scans',
  'Dee Example <dee () b example>\nTo: incidents@lists.example\nSubject: Re: scans',
  'De: Jean <j@x.example>\nDate: jeudi 6 septembre 2001\nPara: x@y.example\nAsunto: scans',
  'Von: Hans <h@x.example>\nGesendet: Donnerstag\nAn: x@y.example\nBetreff: scans',
  'da: Gino <g@x.example>\nSent: x\nTo: y\nSubject: z',
  'From: Ann <a@b.example>\nSent: Thursday\nTo: x@y.example\nSubject: scans',
  '   09:00:13.123456  e  tcp  10.1.2.3.1234 -> 10.2.3.4.80  6', 'Thanks,', 'Fiona', '\u00a0nbsp start', 'x\u2028', 'b', 'B', 'f', 'v', 'D', ':',
];

const body = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...LINES) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', ' ', '> ', '\t', '  '), fc.constantFrom(...LINES), fc.constantFrom('', ' ', ':', '>>>', '\t')).map((t) => t.join('')) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    ),
    { maxLength: 40 },
  )
  .map((lines) => lines.join('\n'));

describe('segmentBody screen (isOrdinaryLine)', () => {
  it('gives the blocks of trying every test, on generated bodies', () => {
    fc.assert(
      fc.property(body, (text) => {
        expect(segmentBody(text)).toEqual(segmentBodyUnscreened(text));
      }),
      { numRuns: 4000 },
    );
  });

  it('gives the blocks of trying every test, on every fixture file read as a body', () => {
    const files = filesUnder(join(import.meta.dirname, '..', 'fixtures'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const text = readFileSync(f, 'latin1').replace(/\r\n?/g, '\n');
      expect(segmentBody(text), f).toEqual(segmentBodyUnscreened(text));
    }
  });
});
