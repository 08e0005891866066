import { describe, expect, it } from 'vitest';
import { findQuestions, findStatements, splitSentences } from '../src/correlate/corroboration.js';
import type { BodyBlock, MailPost } from '../src/mail/types.js';
import { MATTHEW, MATTHEW_QUOTE, RUSSELL } from './helpers/brains-seed.js';

function mail(blocks: Array<Pick<BodyBlock, 'kind' | 'lines'> & Partial<BodyBlock>>): MailPost {
  return {
    id: 'm1',
    hasMessageId: true,
    inReplyTo: null,
    references: [],
    subject: 'Re: Code red variants?',
    date: '2001-09-06T10:49:20+01:00',
    offsetMinutes: 60,
    from: MATTHEW,
    text: blocks.flatMap((b) => b.lines).join('\n'),
    blocks: blocks.map((b, i) => ({ startLine: i * 10 + 1, depth: b.kind === 'quoted' ? 1 : 0, author: null, ...b })),
    tlp: null,
    headers: { listId: null, autoSubmitted: null, precedence: null, xLoop: [], returnPath: null, replyTo: null, autoReplyMarkers: [] },
    input: 'test',
    warnings: [],
  };
}

const SEED_OWN = [
  "I've seen this as well. I noticed it because the alert was occuring on IP addresses in our range that are not currently ",
  'in use. There was nothing there to complete the handshake. Not sure what could be causing it.',
  '',
];
const SEED_QUOTED = [
  'Snort logged a bunch of somewhat anomolous packets.  At first glance',
  'however what puzzeled me is that the destination (130.216.223.150) is',
  'firewalled.  I then looked at the argus logs:',
  'Any idea what is going on?',
  'We see the same thing here too.',
];

describe('findStatements (rule pass)', () => {
  it('finds Matthew\'s statement in the seed with the elaborating sentence and its details', () => {
    const m = mail([
      { kind: 'own', lines: SEED_OWN },
      { kind: 'quoted', lines: SEED_QUOTED, author: RUSSELL },
    ]);
    const s = findStatements(m, 'thread-1');
    expect(s).toHaveLength(1);
    expect(s[0]).toEqual({
      post: 'm1',
      thread: 'thread-1',
      org: 'northernregistrars.co.uk',
      quote: MATTHEW_QUOTE,
      polarity: 'same',
      details: ['unused-addresses', 'no-handshake'],
      via: 'rule',
    });
  });

  it('ignores quoted text, signatures and footers', () => {
    const m = mail([
      { kind: 'quoted', lines: ["I've seen this as well."] },
      { kind: 'signature', lines: ['We see the same.'] },
      { kind: 'footer', lines: ['Same here.'] },
    ]);
    expect(findStatements(m, 't')).toEqual([]);
  });

  it.each([
    ['We see the same.', 'same'],
    ['Same here, from our border router.', 'same'],
    ['Seeing it too on our /24.', 'same'],
    ['We are also seeing these from 130.67/16.', 'same'],
    ["We've seen similar traffic since Monday.", 'same'],
    ['Me too.', 'same'],
    ['I have also seen them', 'same'],
    ["We don't see any of this.", 'not-same'],
    ['Nothing like that here.', 'not-same'],
    ["Haven't seen this at all.", 'not-same'],
  ])('%s → %s', (text, polarity) => {
    const s = findStatements(mail([{ kind: 'own', lines: [text] }]), 't');
    expect(s.map((x) => x.polarity)).toEqual([polarity]);
  });

  it.each([
    'Has anyone seen this as well?',
    'If you see the same, please tell the list.',
    'Not sure what could be causing it.',
    'The firewall logged 20 packets.',
  ])('no statement: %s', (text) => {
    expect(findStatements(mail([{ kind: 'own', lines: [text] }]), 't')).toEqual([]);
  });

  it('tags details: firewalled, no-response, dark space', () => {
    const s = findStatements(mail([{ kind: 'own', lines: ['We see the same. They hit our darknet and got no response since it is firewalled.'] }]), 't');
    expect(s[0]?.details.sort()).toEqual(['firewalled', 'no-response', 'unused-addresses']);
  });

  it('skips pasted records inside own text', () => {
    const s = findStatements(
      mail([{ kind: 'own', lines: ['Same here:', '06 Sep 01 00:02:34 tcp 130.67.216.237.3339 ?> 130.216.246.91.80 1 0 1460 0 A_', '', 'Odd.'] }]),
      't',
    );
    expect(s).toHaveLength(1);
    expect(s[0]?.quote).toBe('Same here:');
  });

  it('never throws on huge or odd input', () => {
    const big = 'x'.repeat(100_000);
    expect(() => findStatements(mail([{ kind: 'own', lines: [big, '.'.repeat(5000), '?'.repeat(3000)] }]), 't')).not.toThrow();
  });
});

describe('findQuestions', () => {
  it('finds the open question in the author\'s own text', () => {
    const russellPost = { ...mail([{ kind: 'own', lines: SEED_QUOTED }]), from: RUSSELL };
    expect(findQuestions(russellPost, 't')).toEqual([{ post: 'm1', thread: 't', text: 'Any idea what is going on?' }]);
  });
  it('a reply that asks nothing carries the open question of the post it quotes (the seed)', () => {
    expect(findQuestions(mail([{ kind: 'own', lines: SEED_OWN }, { kind: 'quoted', lines: SEED_QUOTED, depth: 1 }]), 't')).toEqual([
      { post: 'm1', thread: 't', text: 'Any idea what is going on?' },
    ]);
    // but its own question wins, and deeper quotation is never read
    expect(findQuestions(mail([{ kind: 'own', lines: ['Is this Nimda?'] }, { kind: 'quoted', lines: SEED_QUOTED }]), 't').map((q) => q.text)).toEqual(['Is this Nimda?']);
    expect(findQuestions(mail([{ kind: 'own', lines: SEED_OWN }, { kind: 'quoted', lines: SEED_QUOTED, depth: 2 }]), 't')).toEqual([]);
  });
  it('skips one-word asides', () => {
    expect(findQuestions(mail([{ kind: 'own', lines: ['Really? We do.'] }]), 't')).toEqual([]);
  });
});

describe('splitSentences', () => {
  it('keeps addresses and abbreviations inside a sentence', () => {
    expect(splitSentences('From 130.67.1.2 e.g. port 80. Then more! Why?')).toEqual(['From 130.67.1.2 e.g. port 80.', 'Then more!', 'Why?']);
  });
});

describe('rule pass stays bounded', () => {
  it('200,000 lines of prose finish and never throw', () => {
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(i % 7 === 0 ? '' : `we see the same thing here too on port ${i} and it is odd. really`);
    const s = findStatements(mail([{ kind: 'own', lines }]), 't');
    expect(s.length).toBeGreaterThan(1000);
    expect(findQuestions(mail([{ kind: 'own', lines }]), 't')).toEqual([]);
  });
});
