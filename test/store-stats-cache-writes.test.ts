// The aggregates' generation (meta 'agg-gen') is counted up by a save that writes grp_stats or
// stmt_apply rows, and only by one: a save that writes neither (no posts, posts stored before, a post
// with no records) leaves the meta row, and a save of nothing takes no write lock at all.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../src/mail/parse.js';
import { analyzePost } from '../src/analyze/post.js';
import type { PostAnalysis } from '../src/analyze/types.js';
import { groupKey } from '../src/correlate/correlate.js';
import { Store } from '../src/store/store.js';
import { expectStoredFindingsAsRecomputed } from './helpers/stored-findings.js';
import { buildPost, recordsPost } from './helpers/bot-mail.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';

/** The post analysed as the bot would (`thread`: the id of the thread's first post, else its own). */
async function analysed(raw: string, thread?: string): Promise<{ analysis: PostAnalysis; day: string; at: string }> {
  const mail = await parseMail(Buffer.from(raw), 'test');
  return { analysis: analyzePost(mail, thread ?? mail.id), day: '2026-11-25', at: '2026-11-25T10:00:00Z' };
}

/** A store file, a second plain connection to it (what another process sees) and the generation as it reads it. */
function storeAndObserver() {
  const path = join(mkdtempSync(join(tmpdir(), 'listwatch-gen-')), 'state.db');
  const store = new Store(path);
  const observer = new Database(path);
  const generation = observer.prepare("SELECT value FROM meta WHERE key = 'agg-gen'").pluck();
  return {
    path,
    store,
    observer,
    generation: () => generation.get() as string | undefined,
    dataVersion: () => observer.pragma('data_version', { simple: true }) as number,
    close: () => {
      observer.close();
      store.close();
    },
  };
}

describe("the aggregates' generation is written only by a save that writes what the cache holds", () => {
  it('a save of nothing takes no write lock and changes nothing another connection sees; a save of records counts it up', async () => {
    const s = storeAndObserver();
    expect(s.store.savePosts([await analysed(recordsPost('g1@harbour.example', AROHA, 'ACKs 1', '100.80', '192.0.2'))], groupKey)).toBe(1);
    const gen = s.generation();
    expect(gen).toBeDefined();
    const version = s.dataVersion();
    // another connection holds the write lock; this one would fail at once rather than wait for it
    s.store.db.pragma('busy_timeout = 0');
    s.observer.exec('BEGIN IMMEDIATE');
    expect(s.store.savePosts([], groupKey)).toBe(0);
    s.observer.exec('ROLLBACK');
    expect(s.dataVersion()).toBe(version);
    expect(s.generation()).toBe(gen);
    s.store.db.pragma('busy_timeout = 5000');
    // posts stored before, and a post without records, write no aggregate row: the generation stays
    expect(s.store.savePosts([await analysed(recordsPost('g1@harbour.example', AROHA, 'ACKs 1', '100.80', '192.0.2'))], groupKey)).toBe(0);
    expect(s.generation()).toBe(gen);
    const prose = buildPost({ id: 'g2@harbour.example', from: AROHA, subject: 'Lunch', body: 'Nothing to report from us today.\n' });
    expect(s.store.savePosts([await analysed(prose)], groupKey)).toBe(1);
    expect(s.dataVersion()).not.toBe(version);
    expect(s.generation()).toBe(gen);
    // a save of records: one step up, seen by the other connection
    const before = s.dataVersion();
    expect(s.store.savePosts([await analysed(recordsPost('g3@harbour.example', AROHA, 'ACKs 3', '100.80', '198.51.100'))], groupKey)).toBe(1);
    expect(Number(s.generation())).toBe(Number(gen) + 1);
    expect(s.dataVersion()).not.toBe(before);
    s.close();
  });

  it('a save whose only aggregate rows are stmt_apply (a statement in a thread with records) counts it up', async () => {
    const s = storeAndObserver();
    expect(s.store.saveAnalysis((await analysed(recordsPost('h1@harbour.example', AROHA, 'ACKs 1', '100.80', '192.0.2'))).analysis, groupKey, '2026-11-25', '2026-11-25T10:00:00Z')).not.toBeNull();
    const gen = s.generation();
    const applied = () => s.observer.prepare('SELECT COUNT(*) FROM stmt_apply').pluck().get() as number;
    expect(applied()).toBe(0);
    const said = buildPost({ id: 'h2@fjord.example', from: SIGRID, subject: 'Re: ACKs 1', inReplyTo: 'h1@harbour.example', body: 'We have seen the same traffic from 100.80 on port 80 here.\n' });
    const touched = s.store.saveAnalysis((await analysed(said, 'h1@harbour.example')).analysis, groupKey, '2026-11-25', '2026-11-25T10:01:00Z');
    expect(touched!.stats.size).toBe(0);
    expect(applied()).toBeGreaterThan(0);
    expect(Number(s.generation())).toBe(Number(gen) + 1);
    s.close();
  });

  it("a save of nothing between two saves, another connection's save after it: the next save counts from the stored rows", async () => {
    const s = storeAndObserver();
    const other = new Store(s.path);
    const save = async (store: Store, raw: string) => {
      const touched = store.saveAnalysis((await analysed(raw)).analysis, groupKey, '2026-11-25', '2026-11-25T10:00:00Z');
      store.refreshFindings(touched!, '2026-11-25');
    };
    await save(s.store, recordsPost('k1@harbour.example', AROHA, 'ACKs 1', '100.80', '192.0.2'));
    s.store.savePosts([], groupKey);
    await save(other, recordsPost('k2@harbour.example', AROHA, 'ACKs 2', '100.80', '198.51.100'));
    s.store.savePosts([], groupKey);
    await save(s.store, recordsPost('k3@harbour.example', AROHA, 'ACKs 3', '100.80', '203.0.113'));
    expectStoredFindingsAsRecomputed(s.store);
    other.close();
    s.close();
  });
});
