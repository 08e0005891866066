// The aggregates keep grp_stats rows (and which groups have stmt_apply rows) in memory from one
// flush to the next while they are what is stored (Aggregates.checkCache): a save that rolls back
// after its flush, or another connection's save, must not leave this connection counting from
// rows that are not the stored ones.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../src/mail/parse.js';
import { analyzePost } from '../src/analyze/post.js';
import { groupKey } from '../src/correlate/correlate.js';
import type { Store } from '../src/store/store.js';
import { makeBot } from './helpers/bot-harness.js';
import { expectStoredFindingsAsRecomputed } from './helpers/stored-findings.js';
import { argusMidstream, buildPost, recordsPost } from './helpers/bot-mail.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';

function expectSameAsFullRecompute(store: Store): void {
  expectStoredFindingsAsRecomputed(store);
  // and each group's row is the one a rebuild from the rows would write (its count first)
  const counted = store.db.prepare('SELECT eff_group AS grp, COUNT(*) AS n FROM observations WHERE counted = 1 AND eff_group IS NOT NULL GROUP BY eff_group').all() as Array<{ grp: string; n: number }>;
  const kept = new Map((store.db.prepare('SELECT grp, n FROM grp_stats').all() as Array<{ grp: string; n: number }>).map((r) => [r.grp, r.n]));
  for (const { grp, n } of counted) if (!grp.endsWith('|none')) expect(kept.get(grp), grp).toBe(n);
}

const post = (id: string, n: number) => recordsPost(id, AROHA, `ACKs ${n}`, '100.80', '192.0.2');
/** `records` argus lines of the group 100.80/16 -> port 80 (a row counted from the wrong posts has the wrong count) */
const recordsOf = (id: string, dstNet: string, records: number) =>
  buildPost({ id, from: AROHA, subject: `ACKs ${id}`, body: `argus says:\n\n${argusMidstream('100.80', dstNet, records)}\n` });

describe('grp_stats rows kept in memory between saves', () => {
  it('a save that rolls back after its flush: the next save counts from the stored rows', async () => {
    const h = makeBot({ autoReply: false });
    expect((await h.handle(post('r1@harbour.example', 1), 'r1')).outcome).toBe('analyzed');
    // the same group again, flushed and then rolled back
    const mail = await parseMail(Buffer.from(recordsPost('r2@harbour.example', AROHA, 'ACKs 2', '100.80', '198.51.100')), 'r2');
    expect(() =>
      h.store.transaction(() => {
        const touched = h.store.saveAnalysis(analyzePost(mail, mail.id), groupKey, '2026-11-25', '2026-11-25T10:00:00Z');
        expect(touched!.groups.size).toBeGreaterThan(0);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect((await h.handle(recordsPost('r3@harbour.example', AROHA, 'ACKs 3', '100.80', '203.0.113'), 'r3')).outcome).toBe('analyzed');
    expectSameAsFullRecompute(h.store);
    // the rolled-back post can still come, and counts once
    expect((await h.handle(recordsPost('r2@harbour.example', AROHA, 'ACKs 2', '100.80', '198.51.100'), 'r2')).outcome).toBe('analyzed');
    expectSameAsFullRecompute(h.store);
    h.close();
  });

  it("another connection's saves in between: each connection counts from the stored rows, and a statement the other stored corroborates", async () => {
    const a = makeBot({ autoReply: false });
    const b = makeBot({ autoReply: false, db: a.config.db });
    expect((await a.handle(post('t1@harbour.example', 1), 't1')).outcome).toBe('analyzed');
    expect((await b.handle(recordsPost('t2@harbour.example', AROHA, 'ACKs 2', '100.80', '198.51.100'), 't2')).outcome).toBe('analyzed');
    expect((await a.handle(recordsPost('t3@harbour.example', AROHA, 'ACKs 3', '100.80', '203.0.113'), 't3')).outcome).toBe('analyzed');
    // a statement through b in a's thread, then more records through a: the finding keeps its corroboration
    const said = buildPost({ id: 't4@fjord.example', from: SIGRID, subject: 'Re: ACKs 1', inReplyTo: 't1@harbour.example', body: 'We have seen the same traffic from 100.80 on port 80 here.\n' });
    expect((await b.handle(said, 't4')).outcome).toBe('analyzed');
    expect((await a.handle(recordsPost('t5@harbour.example', AROHA, 'Re: ACKs 1', '100.80', '192.0.3', { inReplyTo: 't1@harbour.example' }), 't5')).outcome).toBe('analyzed');
    expectSameAsFullRecompute(a.store);
    const corroborated = a.store.findingsByKeys(a.store.db.prepare('SELECT key FROM findings').pluck().all() as string[]).filter((f) => f.finding.corroborating.length > 0);
    expect(corroborated.length).toBeGreaterThan(0);
    a.close();
    b.close();
  });

  it("a rolled-back save, then another connection's one save: the generation is back where this connection left it, data_version tells", async () => {
    const a = makeBot({ autoReply: false });
    const b = makeBot({ autoReply: false, db: a.config.db });
    const generation = (): string | undefined => a.store.db.prepare("SELECT value FROM meta WHERE key = 'agg-gen'").pluck().get() as string | undefined;
    expect((await a.handle(post('v1@harbour.example', 1), 'v1')).outcome).toBe('analyzed');
    const left = generation();
    // a's save of the group, flushed (its rows kept in a's memory, the generation one further) and rolled back
    const mail = await parseMail(Buffer.from(recordsOf('v2@harbour.example', '198.51.100', 6)), 'v2');
    expect(() =>
      a.store.transaction(() => {
        expect(a.store.saveAnalysis(analyzePost(mail, mail.id), groupKey, '2026-11-25', '2026-11-25T10:00:00Z')!.groups.size).toBeGreaterThan(0);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(generation()).toBe(left);
    // b's one save of the same group counts the generation to where a's rolled-back flush had it
    expect((await b.handle(recordsOf('v3@harbour.example', '203.0.113', 2), 'v3')).outcome).toBe('analyzed');
    expect(Number(generation())).toBe(Number(left) + 1);
    // a's next save of the group must count from b's row, not from its rolled-back one
    expect((await a.handle(recordsPost('v4@harbour.example', AROHA, 'ACKs 4', '100.80', '192.0.3'), 'v4')).outcome).toBe('analyzed');
    expectSameAsFullRecompute(a.store);
    a.close();
    b.close();
  });

  it('a row written by a connection that does not count the generation (a manual repair): the next save counts from it', async () => {
    const a = makeBot({ autoReply: false });
    expect((await a.handle(post('w1@harbour.example', 1), 'w1')).outcome).toBe('analyzed');
    const group = a.store.db.prepare("SELECT grp FROM grp_stats WHERE grp LIKE '%100.80%'").pluck().get() as string;
    const countOf = (db: Database.Database): number => db.prepare('SELECT n FROM grp_stats WHERE grp = ?').pluck().get(group) as number;
    const before = countOf(a.store.db);
    const generation = a.store.db.prepare("SELECT value FROM meta WHERE key = 'agg-gen'").pluck();
    const left = generation.get();
    const repair = new Database(a.config.db);
    repair.prepare('UPDATE grp_stats SET n = n + 100 WHERE grp = ?').run(group);
    repair.close();
    expect(generation.get()).toBe(left);
    expect((await a.handle(recordsOf('w2@harbour.example', '198.51.100', 3), 'w2')).outcome).toBe('analyzed');
    expect(countOf(a.store.db)).toBe(before + 100 + 3);
    a.close();
  });
});
