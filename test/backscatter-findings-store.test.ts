// Backscatter findings in the bot's store across posts, reporters, quoted copies and prose: the
// store's answer must be what a full analyzeThread over every stored post gives.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../src/contract.js';
import { analyzeThread } from '../src/analyze/corpus.js';
import { findingKey, type Store } from '../src/store/store.js';
import { makeBot } from './helpers/bot-harness.js';
import { expectStoredFindingsAsRecomputed } from './helpers/stored-findings.js';
import { buildPost } from './helpers/bot-mail.js';

function expectSameAsFullRecompute(store: Store): Finding[] {
  const { findings } = expectStoredFindingsAsRecomputed(store);
  expect(new Set(findings.map(findingKey)).size, 'one identity per finding').toBe(findings.length);
  return findings;
}

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';
const MALIK = 'Malik Osei <malik@delta.example>';

/** tcpdump SYN-ACKs from `victim` answering from `port` to four addresses of `net` (each to its own forged port) */
function synAcks(victim: string, port: number, net: string, minute: number, v6 = false): string[] {
  return [0, 1, 2, 3].map((i) => {
    const t = `2026-11-25 09:${String(minute + i).padStart(2, '0')}:0${i}.000000`;
    return v6
      ? `${t} IP6 ${victim}.${port} > ${net}${60 + i}.${1024 + i * 7}: Flags [S.], seq ${9100 + i}, ack 1, win 8760, length 0`
      : `${t} IP ${victim}.${port} > ${net}.${60 + i}.${1024 + i * 7}: Flags [S.], seq ${9100 + i}, ack 1, win 8760, length 0`;
  });
}

describe('backscatter findings in the store equal a full recompute', () => {
  it('over posts from several reporters, a quoted copy, prose, a campaign becoming cross-reporter, IPv6', async () => {
    const h = makeBot({ autoReply: false });
    try {
      const steps: Array<[string, string]> = [
        [
          'b1@harbour.example',
          buildPost({
            id: 'b1@harbour.example',
            from: AROHA,
            subject: 'SYN-ACKs from 203.0.113.80',
            body: ['SYN-ACKs nobody asked for:', '', ...synAcks('203.0.113.80', 80, '192.0.2', 0), ...synAcks('203.0.113.80', 443, '192.0.2', 10), '', 'Is it backscatter?'].join('\n'),
          }),
        ],
        // quotes Aroha's port 80 lines (copies, counted once) and adds its own from 443: that one is cross-reporter
        [
          'b2@fjord.example',
          buildPost({
            id: 'b2@fjord.example',
            from: SIGRID,
            subject: 'Re: SYN-ACKs from 203.0.113.80',
            inReplyTo: 'b1@harbour.example',
            body: ['On Wed, Aroha Ngata wrote:', ...synAcks('203.0.113.80', 80, '192.0.2', 0).map((l) => `> ${l}`), '', 'Ours, from 443:', '', ...synAcks('203.0.113.80', 443, '198.51.100', 20)].join('\n'),
          }),
        ],
        // prose: corroborates both of the thread's backscatter groups (the port 80 one becomes cross-reporter)
        [
          'b3@delta.example',
          buildPost({ id: 'b3@delta.example', from: MALIK, subject: 'Re: SYN-ACKs from 203.0.113.80', inReplyTo: 'b1@harbour.example', body: 'We see the same backscatter from 203.0.113.80 here.\n' }),
        ],
        // an IPv6 victim answering from two ports, a later day
        [
          'b4@harbour.example',
          buildPost({
            id: 'b4@harbour.example',
            from: AROHA,
            subject: 'v6 SYN-ACKs',
            date: 'Thu, 26 Nov 2026 09:10:00 +0000',
            body: ['And over IPv6:', '', ...synAcks('2001:db8:5::80', 80, '2001:db8:1::', 30, true), ...synAcks('2001:db8:5::80', 443, '2001:db8:1::', 40, true)].join('\n'),
          }),
        ],
        // more from 443 by Aroha, a later day: a finding's records grow
        [
          'b5@harbour.example',
          buildPost({ id: 'b5@harbour.example', from: AROHA, subject: 'more', date: 'Thu, 26 Nov 2026 10:10:00 +0000', body: ['More:', '', ...synAcks('203.0.113.81', 443, '192.0.2', 50)].join('\n') }),
        ],
      ];
      const kinds: string[][] = [];
      for (const [id, raw] of steps) {
        const r = await h.handle(raw, id);
        expect(r.outcome, id).toBe('analyzed');
        const full = expectSameAsFullRecompute(h.store);
        kinds.push(full.filter((f) => f.behaviour === 'backscatter').map((f) => `${f.actorPrefix} ${f.sport} ${f.kind}`).sort());
      }
      // the thread exercised what it is meant to
      expect(kinds[0]).toEqual(['203.0.113.80/32 443 campaign', '203.0.113.80/32 80 campaign']);
      expect(kinds[1]).toEqual(['203.0.113.80/32 443 cross-reporter', '203.0.113.80/32 80 campaign']);
      expect(kinds[2]).toEqual(['203.0.113.80/32 443 cross-reporter', '203.0.113.80/32 80 cross-reporter']);
      expect(kinds[4]!.length).toBe(4);
    } finally {
      h.close();
    }
  });
});
