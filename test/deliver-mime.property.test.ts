// Whatever a post puts into a subject, a name or a body, the stored message parses back to the
// same text, keeps every line within SMTP's limit, and gains no header.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { buildMime } from '../src/deliver/mime.js';
import { normalizeReplySubject } from '../src/deliver/subject.js';
import { composeReply, replyReferences } from '../src/deliver/compose.js';

const anyText = fc.string({ unit: fc.oneof(fc.constantFrom('\r', '\n', '\t', ' ', '.', '=', '?', ':', '>', '-', 'ü', '€', '😀', 'A'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), maxLength: 600 });

function collapse(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/ +/g, ' ').trim();
}

describe('buildMime', () => {
  it('round-trips subject and body, lines ≤ 998 octets, no injected headers', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyText, async (subject, name, text) => {
        const raw = buildMime({
          from: { name, address: 'bot@example.org' },
          to: ['list@example.org'],
          subject,
          date: new Date(0),
          messageId: 'id@example.org',
          headers: [['X-Loop', 'lw1-abc']],
          text,
        });
        for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
        expect(raw.toString('latin1')).not.toMatch(/(^|[^\r])\n/); // bare LF never
        const parsed = await simpleParser(raw);
        expect(collapse(parsed.subject ?? '')).toBe(collapse(subject));
        expect(collapse(parsed.from?.value[0]?.name ?? '')).toBe(collapse(name));
        expect((parsed.text ?? '').replace(/\n$/, '')).toBe(text.replace(/\r\n|\r/g, '\n').replace(/\n$/, ''));
        const allowed = ['content-transfer-encoding', 'content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to', 'x-loop'];
        for (const key of parsed.headers.keys()) expect(allowed).toContain(key);
        expect(parsed.from?.value[0]?.address).toBe('bot@example.org');
        expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value.map((a) => a.address) : null).toEqual(['list@example.org']);
      }),
      { numRuns: 150 },
    );
  });
});

describe('reply subject and threading', () => {
  it('exactly one Re:, list tags kept', () => {
    expect(normalizeReplySubject('Code red variants?')).toBe('Re: Code red variants?');
    expect(normalizeReplySubject('Re: Re: RE: re[3]: AW: Code red')).toBe('Re: Code red');
    expect(normalizeReplySubject('[incidents] Re: Code red')).toBe('Re: [incidents] Code red');
    expect(normalizeReplySubject('Re: [incidents] Re: Code red')).toBe('Re: [incidents] Code red');
    expect(normalizeReplySubject('Re:')).toBe('Re: your post');
    expect(normalizeReplySubject(null)).toBe('Re: your post');
    expect(normalizeReplySubject('Regarding the scan')).toBe('Re: Regarding the scan');
  });

  it('normalizing is idempotent and always yields one leading Re:', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const once = normalizeReplySubject(s);
        expect(normalizeReplySubject(once)).toBe(once);
        expect(once.startsWith('Re: ')).toBe(true);
        expect(/^Re: (re|aw|sv)\s*:/i.test(once)).toBe(false);
      }),
    );
  });

  it('References keep the root and the newest, In-Reply-To is the parent', () => {
    const chain = Array.from({ length: 30 }, (_, i) => `m${i}@example.org`);
    const refs = replyReferences(chain, 'parent@example.org');
    expect(refs).toHaveLength(20);
    expect(refs[0]).toBe('m0@example.org');
    expect(refs[19]).toBe('parent@example.org');
    const r = composeReply({ messageId: '<parent@example.org>', subject: 'x', references: ['<root@example.org>', 'bad id with spaces'], from: 'A <a@example.org>' }, 'body', {
      cause: 'c',
      recipients: ['list@example.org'],
      quotedCommands: ['#listwatch analyze', '#listwatch explain o-1', '#listwatch help', '#listwatch digest'],
    });
    expect(r.inReplyTo).toBe('parent@example.org');
    expect(r.references).toEqual(['root@example.org', 'parent@example.org']);
    expect(r.text.split('\n').filter((l) => l.startsWith('> '))).toEqual(['> #listwatch analyze', '> #listwatch explain o-1', '> #listwatch help']);
    expect(r.kind).toBe('reply');
  });
});
