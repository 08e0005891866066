// Thread members (grp_members kind 'h': the groups a thread's counted records fall in) are kept only
// for threads with statements (migration 12): a thread's first statement writes them from its rows,
// and a store written before keeps its data and answers the same.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../src/contract.js';
import type { Store } from '../src/store/store.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { makeBot } from './helpers/bot-harness.js';
import { expectStoredFindingsAsRecomputed } from './helpers/stored-findings.js';
import { buildPost, recordsPost } from './helpers/bot-mail.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';
const MALIK = 'Malik Osei <malik@delta.example>';

/** a group key that makes findings (correlate's 'none' prefix does not) */
const findingGroup = (g: string) => g.split('|').length === 3 && !g.endsWith('|none');

/** The 'h' members as the counted rows give them, for the threads listed in h_threads, and no others. */
function expectThreadMembers(store: Store): void {
  const tracked = new Set((store.db.prepare('SELECT thread FROM h_threads').pluck().all() as string[]));
  const kept = store.db.prepare("SELECT grp, value AS thread, n FROM grp_members WHERE kind = 'h' ORDER BY grp, value").all() as Array<{ grp: string; thread: string; n: number }>;
  const fromRows = (store.db
    .prepare('SELECT eff_group AS grp, thread, COUNT(*) AS n FROM observations WHERE counted = 1 AND eff_group IS NOT NULL GROUP BY eff_group, thread ORDER BY eff_group, thread')
    .all() as Array<{ grp: string; thread: string; n: number }>)
    .filter((r) => tracked.has(r.thread) && findingGroup(r.grp));
  expect(kept).toEqual(fromRows);
  // every thread with statements and counted records is tracked
  const untracked = store.db
    .prepare('SELECT DISTINCT s.thread FROM statements s WHERE NOT EXISTS (SELECT 1 FROM h_threads h WHERE h.thread = s.thread) AND EXISTS (SELECT 1 FROM observations o WHERE o.thread = s.thread AND o.counted = 1)')
    .all();
  expect(untracked).toEqual([]);
}

function storedFindings(store: Store): Map<string, Finding> {
  const keys = (store.db.prepare('SELECT key FROM findings').pluck().all() as string[]);
  return new Map(store.findingsByKeys(keys).map((f) => [f.key, f.finding]));
}

const expectSameAsFullRecompute = (store: Store): void => void expectStoredFindingsAsRecomputed(store);

const said = (id: string, from: string, root: string, subject: string, body: string) => buildPost({ id, from, subject: `Re: ${subject}`, inReplyTo: root, body });

/** three threads: records then a late "same here" (A), records only (B), records with a statement in the first post (C) */
async function fill(h: ReturnType<typeof makeBot>): Promise<void> {
  const steps: Array<[string, string]> = [
    ['a1@harbour.example', recordsPost('a1@harbour.example', AROHA, 'bare ACKs', '100.70', '192.0.2')],
    ['a2@delta.example', recordsPost('a2@delta.example', MALIK, 'Re: bare ACKs', '100.70', '198.51.100', { inReplyTo: 'a1@harbour.example' })],
    ['b1@harbour.example', recordsPost('b1@harbour.example', AROHA, 'resets', '100.71', '192.0.2')],
    [
      'c1@fjord.example',
      buildPost({ id: 'c1@fjord.example', from: SIGRID, subject: 'web scans', body: `We see the same traffic from 100.72 on port 80 here.\n\n${recordsBody('100.72')}` }),
    ],
    // thread A's first statement, two posts after its records
    ['a3@fjord.example', said('a3@fjord.example', SIGRID, 'a1@harbour.example', 'bare ACKs', 'We have seen the same traffic from 100.70 on port 80 here.\n')],
  ];
  for (const [id, raw] of steps) expect((await h.handle(raw, id)).outcome, id).toBe('analyzed');
}

function recordsBody(net: string): string {
  const raw = recordsPost('x@x.example', AROHA, 'x', net, '203.0.113');
  return raw.slice(raw.indexOf('\n\n') + 2);
}

describe('thread members kept for threads with statements', () => {
  it('a thread gets its members when its first statement comes, with the counts its rows give; a thread without statements has none', async () => {
    const h = makeBot({ autoReply: false });
    await fill(h);
    const tracked = (h.store.db.prepare('SELECT thread FROM h_threads ORDER BY thread').pluck().all() as string[]);
    expect(tracked).toEqual(['a1@harbour.example', 'c1@fjord.example']);
    expect(h.store.db.prepare("SELECT COUNT(*) FROM grp_members WHERE kind = 'h' AND value = 'b1@harbour.example'").pluck().get()).toBe(0);
    expect((h.store.db.prepare("SELECT COUNT(*) FROM grp_members WHERE kind = 'h' AND value = 'a1@harbour.example'").pluck().get() as number) > 0).toBe(true);
    expectThreadMembers(h.store);
    // the late statement speaks for thread A's groups: corroborated by fjord.example
    const corroborated = [...storedFindings(h.store).values()].filter((f) => f.corroborating.some((c) => c.org === 'fjord.example'));
    expect(corroborated.length).toBeGreaterThan(0);
    expectSameAsFullRecompute(h.store);
    // more records in a tracked thread are counted as they come
    expect((await h.handle(recordsPost('a4@harbour.example', AROHA, 'Re: bare ACKs', '100.70', '203.0.113', { inReplyTo: 'a1@harbour.example' }), 'a4')).outcome).toBe('analyzed');
    expectThreadMembers(h.store);
    expectSameAsFullRecompute(h.store);
    h.close();
  });

  it('a store written before migration 12 (members of every thread) opens with its data, keeps only the tracked threads\' members and answers the same', async () => {
    const h = makeBot({ autoReply: false });
    await fill(h);
    const before = storedFindings(h.store);
    const path = h.config.db;
    // back to migration 11's layout: members of every thread, no h_threads
    h.store.db.exec(`
      DROP TABLE h_threads;
      DELETE FROM grp_members WHERE kind = 'h';
      INSERT INTO grp_members(grp, kind, value, n, sort)
        SELECT eff_group, 'h', thread, COUNT(*), NULL FROM observations
        WHERE counted = 1 AND eff_group IS NOT NULL AND eff_group NOT LIKE '%|none' GROUP BY eff_group, thread;
      PRAGMA user_version = 11;
    `);
    expect(h.store.db.prepare("SELECT COUNT(*) FROM grp_members WHERE kind = 'h' AND value = 'b1@harbour.example'").pluck().get()).toBeGreaterThan(0);
    const counts = h.store.counts();
    h.close();
    const { Store: StoreClass } = await import('../src/store/store.js');
    const reopened = new StoreClass(path);
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(reopened.counts()).toEqual(counts);
    expect(reopened.db.prepare("SELECT COUNT(*) FROM grp_members WHERE kind = 'h' AND value = 'b1@harbour.example'").pluck().get()).toBe(0);
    expectThreadMembers(reopened);
    expect(storedFindings(reopened)).toEqual(before);
    reopened.close();

    // the bot on the migrated store: thread B's first statement comes after its records
    const h2 = makeBot({ autoReply: false, db: path });
    expect((await h2.handle(said('b2@fjord.example', SIGRID, 'b1@harbour.example', 'resets', 'We have seen the same traffic from 100.71 on port 80 here.\n'), 'b2')).outcome).toBe('analyzed');
    expect(h2.store.db.prepare("SELECT COUNT(*) FROM h_threads WHERE thread = 'b1@harbour.example'").pluck().get()).toBe(1);
    expectThreadMembers(h2.store);
    expectSameAsFullRecompute(h2.store);
    h2.close();
  });
});
