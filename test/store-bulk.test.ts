// Store.savePosts (an archive import: many posts in one transaction, the aggregates written once
// per call) must leave exactly the state that saving the same posts one by one leaves; the
// post-by-post state is checked against a full recompute in store-incremental.test.ts.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../src/contract.js';
import type { PostAnalysis } from '../src/analyze/types.js';
import { groupKey } from '../src/correlate/correlate.js';
import type { Store } from '../src/store/store.js';
import { PostFactory } from '../bench/generate.js';
import { makeBot } from './helpers/bot-harness.js';

interface Saved {
  analysis: PostAnalysis;
  day: string;
  at: string;
}

/** Every stored post, in arrival order, as it was saved. */
function savedPosts(store: Store): Saved[] {
  const posts = store.db.prepare('SELECT id, analysis, day, received_at FROM posts ORDER BY received_at, rowid').all() as Array<{
    id: string;
    analysis: string;
    day: string;
    received_at: string;
  }>;
  const obs = store.db.prepare('SELECT json FROM observations WHERE post = ? ORDER BY seq');
  return posts.map((p) => ({
    analysis: {
      ...(JSON.parse(p.analysis) as Omit<PostAnalysis, 'observations'>),
      observations: (obs.all(p.id) as Array<{ json: string }>).map((r) => JSON.parse(r.json) as Observation),
    },
    day: p.day,
    at: p.received_at,
  }));
}

/** dup_log_hashes as rowid:hash pairs, in rowid order (how the runs are cut depends on the batches). */
function unpackedHashes(store: Store): string[] {
  const out: Array<[number, number]> = [];
  for (const { first, hashes } of store.db.prepare('SELECT first, hashes FROM dup_log_hashes').all() as Array<{ first: number; hashes: Buffer }>) {
    for (let i = 0; i < hashes.length / 4; i++) out.push([first + i, hashes.readUInt32LE(i * 4)]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([r, h]) => `${r}:${h}`);
}

function state(store: Store): unknown[] {
  const tables = ['grp_members', 'grp_stats', 'dup_log', 'dup_classes', 'stmt_apply'].map((t) => store.db.prepare(`SELECT * FROM ${t}`).all().map((r) => JSON.stringify(r)).sort());
  // the keys' hashes by row (packed per post when saved one by one, per call in bulk)
  const hashes = unpackedHashes(store);
  const observations = store.db
    .prepare('SELECT id, post, thread, group_key, actor_num, cls, quoted, counted, eff_group, eff_actor, eff_target, eff_family, join_flow, org, dport, time_ms, ep_key, role FROM observations ORDER BY seq')
    .all();
  const statements = store.db.prepare('SELECT post, thread, json FROM statements ORDER BY rowid').all();
  return [...tables, hashes, observations, statements];
}

describe('Store.savePosts (bulk import)', () => {
  it('leaves the same aggregates as saving each post in turn, and the next post finds the same findings', async () => {
    const one = makeBot({ autoReply: false });
    const factory = new PostFactory(11, undefined, 'bulk');
    let observations = 0;
    for (let i = 0; i < 150; i++) {
      const p = factory.next({ forceRecords: i % 3 !== 0 });
      // a day per 30 posts, so the import spans several days
      one.clock.now = new Date(Date.UTC(2026, 10, 20 + Math.floor(i / 30), 8, i % 60));
      const r = await one.bot.handle(Buffer.from(p.raw), `gen#${i}`, { answer: false });
      if (r.outcome === 'analyzed') observations += r.observations ?? 0;
    }
    expect(observations).toBeGreaterThan(400);
    const saved = savedPosts(one.store);

    const bulk = makeBot({ autoReply: false });
    // uneven batches, and one post offered twice: it is stored once
    const batches = [saved.slice(0, 1), saved.slice(1, 40), saved.slice(39, 97), saved.slice(97)];
    const counts = batches.map((b) => bulk.store.savePosts(b, groupKey));
    expect(counts).toEqual([1, 39, 57, saved.length - 97]);
    expect(state(bulk.store)).toEqual(state(one.store));
    // the findings table is filled as posts come in; after one more post the touched ones agree
    const next = factory.next({ forceRecords: true });
    for (const h of [one, bulk]) h.clock.now = new Date(Date.UTC(2026, 10, 26, 9));
    const r1 = await one.bot.handle(Buffer.from(next.raw), 'next', { answer: false });
    const r2 = await bulk.bot.handle(Buffer.from(next.raw), 'next', { answer: false });
    expect(r2.findingChanges).toBe(r1.findingChanges);
    const touchedKeys = (bulk.store.db.prepare('SELECT key FROM findings').all() as Array<{ key: string }>).map((r) => r.key);
    expect(touchedKeys.length).toBeGreaterThan(0);
    expect(bulk.store.findingsByKeys(touchedKeys).map((f) => f.finding)).toEqual(one.store.findingsByKeys(touchedKeys).map((f) => f.finding));
    expect(state(bulk.store)).toEqual(state(one.store));
    one.close();
    bulk.close();
  });
});
