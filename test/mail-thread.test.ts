import { describe, expect, it } from 'vitest';
import { normalizeSubject, ThreadIndex } from '../src/mail/thread.js';
import { detectTlp } from '../src/mail/tlp.js';

describe('normalizeSubject', () => {
  it('strips reply/forward prefixes and list tags, repeatedly', () => {
    expect(normalizeSubject('Re: Code red variants?')).toBe('code red variants?');
    expect(normalizeSubject('[incidents] RE: Fwd: AW:  SV: Code   red variants?')).toBe('code red variants?');
    expect(normalizeSubject('Re[2]: [Full-Disclosure] Re^3: x')).toBe('x');
    expect(normalizeSubject(null)).toBe('');
  });
  it('does not eat words that merely start like a prefix', () => {
    expect(normalizeSubject('Reset storms from 130.67/16')).toBe('reset storms from 130.67/16');
    expect(normalizeSubject('Sven: scans')).toBe('sven: scans');
  });
});

const post = (id: string, over: Partial<{ inReplyTo: string | null; references: string[]; subject: string | null; date: string | null }> = {}) => ({
  id,
  inReplyTo: null,
  references: [],
  subject: 'Code red variants?',
  date: null,
  ...over,
});

describe('ThreadIndex', () => {
  it('follows References/In-Reply-To to the root, in any arrival order', () => {
    const t = new ThreadIndex();
    t.add(post('c', { inReplyTo: 'b', references: ['a', 'b'], subject: 'Re: Code red variants?' }));
    t.add(post('a'));
    t.add(post('b', { inReplyTo: 'a', references: ['a'], subject: 'Re: Code red variants?' }));
    expect(['a', 'b', 'c'].map((id) => t.threadOf(id))).toEqual(['a', 'a', 'a']);
  });
  it('uses the oldest reference when the root never arrived', () => {
    const t = new ThreadIndex();
    t.add(post('c', { inReplyTo: 'b', references: ['root', 'b'] }));
    t.add(post('d', { inReplyTo: 'c', references: ['root', 'b', 'c'] }));
    expect(t.threadOf('c')).toBe('root');
    expect(t.threadOf('d')).toBe('root');
  });
  it('joins reference-less replies to the earliest post of the same subject', () => {
    const t = new ThreadIndex();
    t.add(post('late', { subject: 'Re: Code red variants?', date: '2001-09-06T10:49:20+01:00' }));
    t.add(post('first', { subject: 'Code red variants?', date: '2001-09-06T00:14:18+12:00' }));
    t.add(post('other', { subject: 'Nimda', date: '2001-09-18T00:00:00Z' }));
    expect(t.threadOf('late')).toBe('first');
    expect(t.threadOf('first')).toBe('first');
    expect(t.threadOf('other')).toBe('other');
  });
  it('keeps recurring subjects apart: each new post starts a thread, a reply joins the latest one before it', () => {
    const t = new ThreadIndex();
    t.add(post('w1', { subject: 'Weekly summary', date: '2026-01-05T09:00:00Z' }));
    t.add(post('w2', { subject: 'Weekly summary', date: '2026-01-12T09:00:00Z' }));
    t.add(post('r2', { subject: 'Re: Weekly summary', date: '2026-01-13T10:00:00Z' }));
    t.add(post('late', { subject: 'Re: Weekly summary', date: '2026-06-01T10:00:00Z' }));
    expect(t.threadOf('w1')).toBe('w1');
    expect(t.threadOf('w2')).toBe('w2');
    expect(t.threadOf('r2')).toBe('w2');
    // half a year later nothing started recently: the subject itself
    expect(t.threadOf('late')).toBe('weekly summary');
  });
  it('falls back to the normalized subject when only replies of a thread are known', () => {
    const t = new ThreadIndex();
    t.add(post('x', { subject: 'Re: Code red variants?' }));
    t.add(post('y', { subject: 'RE: [incidents] Code red variants?' }));
    expect(t.threadOf('x')).toBe('code red variants?');
    expect(t.threadOf('y')).toBe('code red variants?');
  });
  it('survives reference cycles and long chains', () => {
    const t = new ThreadIndex();
    t.add(post('p', { inReplyTo: 'q' }));
    t.add(post('q', { inReplyTo: 'p' }));
    expect(['p', 'q']).toContain(t.threadOf('p'));
    const chain = new ThreadIndex();
    for (let i = 0; i < 50_000; i++) chain.add(post(`m${i}`, { inReplyTo: i ? `m${i - 1}` : null }));
    for (let i = 49_999; i >= 0; i -= 1) if (chain.threadOf(`m${i}`) !== "m0") throw new Error(`m${i}`);
  });
});

describe('detectTlp', () => {
  it('finds labels in subject or text, most restrictive wins', () => {
    expect(detectTlp('[TLP:AMBER] scans', '')).toBe('AMBER');
    expect(detectTlp(null, 'TLP: AMBER+STRICT\nbody')).toBe('AMBER');
    expect(detectTlp('TLP:GREEN', 'quoted TLP:RED')).toBe('RED');
    expect(detectTlp(null, 'tlp:clear')).toBe('CLEAR');
    expect(detectTlp(null, 'TLP:WHITE')).toBe('WHITE');
  });
  it('reads labels spaced out with tabs and blanks around the colon', () => {
    expect(detectTlp(null, 'classification: TLP\t:\tRED')).toBe('RED');
    expect(detectTlp('TLP   :   AMBER', '')).toBe('AMBER');
  });
  it('ignores words that only look similar', () => {
    expect(detectTlp(null, 'TLP:REDACTED and XTLP:RED and no label')).toBeNull();
    expect(detectTlp(null, 'nothing here')).toBeNull();
  });
});

describe('ThreadIndex: reference-less copies join threads known from references', () => {
  it('puts a web-archive reply in the thread its siblings name in References', () => {
    const t = new ThreadIndex();
    t.add(post('web', { subject: 'Re: Code red variants?', date: '2001-09-06T10:49:20+01:00' }));
    t.add(post('r1', { inReplyTo: 'root', references: ['root'], subject: 'Re: Code red variants?', date: '2001-09-07T00:00:00Z' }));
    expect(t.threadOf('r1')).toBe('root');
    expect(t.threadOf('web')).toBe('root');
  });
  it('does not loop when a reply-subject post without references is the top of a chain', () => {
    const t = new ThreadIndex();
    t.add(post('x', { subject: 'Re: loop' }));
    t.add(post('y', { inReplyTo: 'x', subject: 'Re: loop' }));
    expect(t.threadOf('y')).toBe(t.threadOf('x'));
  });
});
