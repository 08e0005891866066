// The daily digest on an injected clock: findings new on Monday, growing on Tuesday when another
// organisation reports, TLP:AMBER posts left out, nothing sent on a day with nothing to say.
import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { recordsPost } from './helpers/bot-mail.js';
import { header, makeBot, type Harness } from './helpers/bot-harness.js';

const AROHA = 'Aroha Ngata <aroha@noc.harbour-uni.example>';
const SIGRID = 'Sigrid Holm <sigrid@cert.fjordnet.example>';
const DEV = 'Dev Raman <draman@soc.northwind.example>';

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

describe('the daily digest', () => {
  it('goes to the list and each subscriber: new on Monday, growing on Tuesday, nothing on a quiet day', async () => {
    h = makeBot({ timeZone: 'Pacific/Auckland' });
    const b = h;
    // Monday 2026-11-23 in Auckland (UTC+13)
    b.clock.now = new Date('2026-11-22T22:00:00Z');
    await b.handle(recordsPost('mon-1@noc.harbour-uni.example', AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    b.store.subscribe('sigrid@cert.fjordnet.example', b.clock.now.toISOString());
    const monday = b.bot.runDigest(new Date('2026-11-23T10:55:00Z')); // 23:55 in Auckland
    expect(monday.day).toBe('2026-11-23');
    expect(monday.queued).toHaveLength(2);
    const out = b.outgoing();
    expect(out.map((o) => o.to[0]).sort()).toEqual(['incidents@lists.example', 'sigrid@cert.fjordnet.example']);
    const mail = await simpleParser(out[0]!.raw);
    expect(header(out[0]!.raw, 'Auto-Submitted')).toBe('auto-generated');
    expect(header(out[0]!.raw, 'X-Loop')).toBeTruthy();
    expect(mail.text).toBeTruthy();
    expect(mail.html).toBeTruthy();
    const json = mail.attachments.find((a) => a.contentType === 'application/json');
    expect(json).toBeDefined();
    const doc = JSON.parse(json!.content.toString('utf8'));
    expect(doc.schema).toBe('listwatch.analysis/1');
    expect(doc.findings.length).toBeGreaterThan(0);
    expect(b.store.findingsOfDay('2026-11-23').every((f) => f.status === 'new')).toBe(true);
    // the same day again: nothing new is queued
    expect(b.bot.runDigest(new Date('2026-11-23T10:56:00Z')).queued).toEqual([]);

    // Tuesday: another organisation reports the same traffic; Monday's finding grows
    b.clock.now = new Date('2026-11-23T21:00:00Z');
    await b.handle(recordsPost('tue-1@cert.fjordnet.example', SIGRID, 'Same here: bare ACKs', '100.64', '198.51.100'));
    const tuesdayFindings = b.store.findingsOfDay('2026-11-24');
    expect(tuesdayFindings.some((f) => f.status === 'growing' && f.firstDay === '2026-11-23')).toBe(true);
    const grown = tuesdayFindings.find((f) => f.status === 'growing')!;
    expect(grown.finding.reporters).toEqual(expect.arrayContaining(['harbour-uni.example', 'fjordnet.example']));
    const tuesday = b.bot.runDigest(new Date('2026-11-24T10:55:00Z'));
    expect(tuesday.queued).toHaveLength(2);
    const tueMail = await simpleParser(b.outgoing()[2]!.raw);
    expect(tueMail.text).toMatch(/growing/i);

    // Wednesday: nobody posts; there is nothing to say and nothing is sent
    const wednesday = b.bot.runDigest(new Date('2026-11-25T10:55:00Z'));
    expect(wednesday).toMatchObject({ day: '2026-11-25', queued: [], reason: 'nothing to say' });
  });

  it('leaves TLP:AMBER and TLP:RED posts out of the digest', async () => {
    h = makeBot();
    const b = h;
    b.clock.now = new Date('2026-11-25T08:00:00Z');
    await b.handle(recordsPost('open-1@noc.harbour-uni.example', AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    await b.handle(recordsPost('amber-1@soc.northwind.example', DEV, '[TLP:AMBER] SYN sweep we see', '100.99', '203.0.113'));
    const input = b.bot.digestInput('2026-11-25');
    expect(input.excludedPosts).toEqual(['amber-1@soc.northwind.example']);
    expect(input.posts.map((p) => p.id)).toEqual(['open-1@noc.harbour-uni.example']);
    expect(input.observations.every((o) => o.post !== 'amber-1@soc.northwind.example')).toBe(true);
    expect(input.findings.every((f) => f.finding.reporters.every((r) => r !== 'northwind.example'))).toBe(true);
    b.bot.runDigest(new Date('2026-11-25T23:00:00Z'));
    const raw = b.outgoing()[0]!.raw;
    expect(raw).not.toContain('100.99.');
    expect(raw).not.toContain('amber-1@soc.northwind.example');
  });

  it('sends today\'s digest to a member who asks for it', async () => {
    h = makeBot();
    const b = h;
    await b.handle(recordsPost('d-1@noc.harbour-uni.example', AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    await b.handle(recordsPost('d-2@noc.harbour-uni.example', AROHA, 'Re: Bare ACKs', '100.64', '192.0.2', { inReplyTo: 'd-1@noc.harbour-uni.example', body: '#listwatch digest\n' }));
    const out = b.outgoing();
    expect(out).toHaveLength(1);
    expect(out[0]!.kind).toBe('digest');
    expect(out[0]!.to).toEqual(['aroha@noc.harbour-uni.example']);
    expect(header(out[0]!.raw, 'In-Reply-To')).toBe('<d-2@noc.harbour-uni.example>');
  });
});

describe('history across posts', () => {
  it('the seed post: its quoted records and the reply prose make a corroborated finding in the store', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    h = makeBot();
    const raw = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'seed', 'incidents-2001-09-06-code-red-variants.txt'));
    const r = await h.handle(raw, 'seed.txt');
    expect(r.outcome).toBe('analyzed');
    const found = h.store.findingsOfDay('2026-11-25').map((f) => f.finding);
    const cross = found.find((f) => f.actorPrefix === '130.67.0.0/16' && f.dport === 80);
    expect(cross).toBeDefined();
    expect(cross!.reporters).toContain('auckland.ac.nz');
    expect(cross!.corroborating.map((c) => c.org)).toContain('northernregistrars.co.uk');
  });

  it('a reply with prose only ("seen this as well") corroborates the finding of its thread', async () => {
    h = makeBot();
    await h.handle(recordsPost('p-1@noc.harbour-uni.example', AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
    const before = h.store.findingsOfDay('2026-11-25').map((f) => f.finding);
    expect(before.flatMap((f) => f.corroborating)).toEqual([]);
    const { buildPost } = await import('./helpers/bot-mail.js');
    await h.handle(
      buildPost({
        id: 'p-2@cert.fjordnet.example',
        from: SIGRID,
        subject: 'Re: Bare ACKs from 100.64/16',
        inReplyTo: 'p-1@noc.harbour-uni.example',
        body: "I've seen this as well. It hits addresses in our range that are not in use, so nothing could complete a handshake.\n\nSigrid",
      }),
    );
    const after = h.store.findingsOfDay('2026-11-25').map((f) => f.finding);
    expect(after.flatMap((f) => f.corroborating.map((c) => c.org))).toContain('fjordnet.example');
  });
});

describe('delivery failures', () => {
  it('a message the SMTP server refuses with 5xx is logged and reported in the next digest', async () => {
    const { startSmtpSink } = await import('./helpers/smtp-sink.js');
    const { smtpTransport } = await import('../src/deliver/outbox.js');
    const sink = await startSmtpSink({ failFirst: 1, failCode: 550 });
    try {
      h = makeBot({}, { transport: smtpTransport(`smtp://127.0.0.1:${sink.port}`, undefined, { allowInsecure: true }) });
      const b = h;
      b.clock.now = new Date('2026-11-25T08:00:00Z');
      await b.handle(recordsPost('f-1@noc.harbour-uni.example', AROHA, 'Bare ACKs from 100.64/16', '100.64', '192.0.2'));
      await b.handle(recordsPost('f-2@noc.harbour-uni.example', AROHA, 'Re: Bare ACKs', '100.64', '192.0.2', { inReplyTo: 'f-1@noc.harbour-uni.example', body: '#listwatch analyze\n' }));
      const r = await b.outbox.flush();
      expect(r.failed).toBe(1);
      expect(b.bot.digestInput('2026-11-25', new Date('2026-11-25T23:00:00Z')).deliveryFailures).toHaveLength(1);
      b.bot.runDigest(new Date('2026-11-25T23:00:00Z'));
      await b.outbox.flush();
      expect(sink.messages).toHaveLength(1);
      const digest = await simpleParser(sink.messages[0]!.raw);
      expect(digest.text).toMatch(/550/);
    } finally {
      await sink.close();
    }
  });
});
