// Duplicate keys kept in memory over an append-only log (src/store/duplicate-keys.ts, migration 8):
// hashes only pick candidate rows, a second connection's keys are taken in, rolled-back rows are
// skipped, and a store migrated from the indexed table answers as one that never was.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PostFactory } from '../bench/generate.js';
import { DuplicateKeys, duplicateKeyHash, roomFor } from '../src/store/duplicate-keys.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { undoMigration10, undoMigration11 } from './helpers/store-migrations.js';
import { Store as StoreClass, type Store } from '../src/store/store.js';
import { addAll, openMigrated } from './helpers/duplicate-keys.js';
import { makeBot, type Harness } from './helpers/bot-harness.js';

const dbPath = (): string => join(mkdtempSync(join(tmpdir(), 'listwatch-dupkeys-')), 'state.db');



/** Two different keys with the same 32-bit hash (a birthday search: ~80,000 keys). */
function collidingKeys(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const k = `u|argus|tcp|10.${i >>> 16}.${(i >>> 8) & 255}.${i & 255}||192.0.2.1|80|999751404|`;
    const h = duplicateKeyHash(k);
    const other = seen.get(h);
    if (other !== undefined) return [other, k];
    seen.set(h, k);
  }
}

/** What the store's answers rest on: each observation's class and group, the aggregates, the findings. */
function answers(store: Store): unknown {
  const q = (sql: string) => store.db.prepare(sql).all();
  return {
    observations: q('SELECT id, cls, quoted, counted, eff_group, eff_actor, join_flow FROM observations ORDER BY id'),
    keys: q('SELECT key, cls FROM dup_log ORDER BY key'),
    classes: q('SELECT c.cls, o.id FROM dup_classes c JOIN observations o ON o.seq = c.original ORDER BY c.cls'),
    members: q('SELECT grp, kind, value, n FROM grp_members ORDER BY grp, kind, value'),
    stats: q('SELECT grp, n, actors, targets, first_time, last_time, actor_lo, actor_hi FROM grp_stats ORDER BY grp'),
    findings: q('SELECT key, kind, reporters, json FROM findings ORDER BY key'),
  };
}

/** Generated list traffic: replies quote earlier posts' records (copies), some records recur. */
function traffic(seed: number, n: number): Buffer[] {
  const factory = new PostFactory(seed, undefined, 'dk');
  return Array.from({ length: n }, (_, i) => Buffer.from(factory.next({ forceRecords: i % 3 !== 0 }).raw));
}

describe('duplicate keys in memory', () => {
  it('finds each of two keys with the same hash by its own text', () => {
    const [k1, k2] = collidingKeys();
    expect(k1).not.toBe(k2);
    expect(duplicateKeyHash(k1)).toBe(duplicateKeyHash(k2));
    const db = openMigrated(':memory:');
    const d = new DuplicateKeys(db);
    addAll(db, d, [[k1, 'class-1']]);
    expect(d.get(k1)).toBe('class-1');
    expect(d.get(k2)).toBeUndefined();
    addAll(db, d, [[k2, 'class-2']]);
    expect(d.get(k1)).toBe('class-1');
    expect(d.get(k2)).toBe('class-2');
    // filled again from the packed hashes: the same answers
    const again = new DuplicateKeys(db);
    again.sync();
    expect(again.entries).toBe(2);
    expect([again.get(k1), again.get(k2)]).toEqual(['class-1', 'class-2']);
    db.close();
  });

  it('fills from the packed hashes, and from the keys of rows no run covers', () => {
    const db = openMigrated(':memory:');
    const d = new DuplicateKeys(db);
    const pairs = Array.from({ length: 5000 }, (_, i): [string, string] => [`u|k${i}`, `c${i % 7}`]);
    addAll(db, d, pairs.slice(0, 3000));
    addAll(db, d, pairs.slice(3000, 4000));
    // rows whose run was never written (a writer stopped between them and its run): in a gap and at the end
    db.prepare('DELETE FROM dup_log_hashes WHERE first = (SELECT MIN(first) FROM dup_log_hashes)').run();
    const put = db.prepare('INSERT INTO dup_log(key, cls) VALUES (?, ?)');
    for (const [k, c] of pairs.slice(4000)) put.run(k, c);
    const again = new DuplicateKeys(db);
    again.sync();
    expect(again.entries).toBe(5000);
    for (const [k, c] of pairs) expect(again.get(k), k).toBe(c);
    expect(again.get('u|k5000')).toBeUndefined();
    db.close();
  });

  it('takes in the keys another connection stored, skips rolled-back rows, and reads a log emptied and filled again', () => {
    const path = dbPath();
    const db1 = openMigrated(path);
    const db2 = openMigrated(path);
    const d1 = new DuplicateKeys(db1);
    const d2 = new DuplicateKeys(db2);
    addAll(db1, d1, [['u|a', 'A']]);
    d2.sync();
    expect(d2.get('u|a')).toBe('A');
    // the second connection writes; the first sees it after its next sync
    addAll(db2, d2, [['u|b', 'B'], ['l|b', 'B']]);
    d1.sync();
    expect(d1.get('u|b')).toBe('B');
    expect(d1.get('l|b')).toBe('B');
    // a key the first connection wrote in a transaction that failed is gone; the second reuses its rowid
    expect(() =>
      db1.transaction(() => {
        d1.sync();
        d1.add('u|lost', 'L');
        throw new Error('failed half-way');
      })(),
    ).toThrow('failed half-way');
    d1.discardRun();
    addAll(db2, d2, [['u|c', 'C']]);
    d1.sync();
    expect(d1.get('u|lost')).toBeUndefined();
    expect(d1.get('u|c')).toBe('C');
    // the log emptied and refilled by the other connection (an aggregates rebuild): read again from the start
    db2.exec('DELETE FROM dup_log; DELETE FROM dup_log_hashes;');
    addAll(db2, d2, [['u|d', 'D'], ['u|e', 'E'], ['u|f', 'F'], ['u|g', 'G']]);
    d1.sync();
    expect(d1.get('u|a')).toBeUndefined();
    expect([d1.get('u|d'), d1.get('u|e'), d1.get('u|f'), d1.get('u|g')]).toEqual(['D', 'E', 'F', 'G']);
    db1.close();
    db2.close();
  });

  it('a table read at start has room for an eighth more keys: the posts after a restart do not copy it', () => {
    const db = openMigrated(':memory:');
    // just under the 70% bound of 8,192 slots
    const keys = (from: number, n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`u|k${from + i}`, `c${from + i}`]);
    addAll(db, new DuplicateKeys(db), keys(0, 5700));
    const restarted = new DuplicateKeys(db);
    restarted.sync();
    expect(restarted.entries).toBe(5700);
    const slots = restarted.slots;
    expect(slots * 0.7).toBeGreaterThanOrEqual(roomFor(5700));
    addAll(db, restarted, keys(5700, 5700 >>> 3));
    expect(restarted.entries).toBe(5700 + (5700 >>> 3));
    expect(restarted.slots).toBe(slots);
    expect(restarted.get('u|k6000')).toBe('c6000');
  });

  it('a reopened store reads its duplicate keys when the bot starts, not in the first post', async () => {
    const first = makeBot({ autoReply: false });
    for (const [i, raw] of traffic(7, 30).entries()) await first.bot.handle(raw, `p${i}`, { answer: false });
    const stored = (first.store.db.prepare('SELECT COUNT(*) AS n FROM dup_log').get() as { n: number }).n;
    expect(stored).toBeGreaterThan(0);
    first.store.close();
    const again = new StoreClass(join(first.dir, 'state.db'));
    expect(again.duplicateKeysHeld).toBe(0);
    again.readDuplicateKeys();
    expect(again.duplicateKeysHeld).toBe(stored);
    again.close();
  });

  it('two bots on one file (the bot and the CLI) answer as one bot that saw every post', async () => {
    const posts = traffic(31, 70);
    const one = makeBot({ autoReply: false });
    for (const [i, raw] of posts.entries()) await one.bot.handle(raw, `p${i}`, { answer: false });

    const dir = mkdtempSync(join(tmpdir(), 'listwatch-dupkeys-two-'));
    const a = makeBot({ autoReply: false }, { dir });
    const b = makeBot({ autoReply: false }, { dir });
    // turns of a few posts each, so each connection has built its table before the other writes
    for (const [i, raw] of posts.entries()) await (Math.floor(i / 5) % 2 === 0 ? a : b).bot.handle(raw, `p${i}`, { answer: false });
    const copies = (one.store.db.prepare('SELECT COUNT(*) AS n FROM observations WHERE counted = 0').get() as { n: number }).n;
    expect(copies).toBeGreaterThan(10);
    expect(answers(a.store)).toEqual(answers(one.store));
    for (const h of [one, a, b] as Harness[]) h.close();
  });

  it('a store migrated from the indexed key table (migration 8) answers as one that never had it', async () => {
    const posts = traffic(37, 90);
    const fresh = makeBot({ autoReply: false });
    const migrated = makeBot({ autoReply: false });
    for (const [i, raw] of posts.slice(0, 60).entries()) {
      await fresh.bot.handle(raw, `p${i}`, { answer: false });
      await migrated.bot.handle(raw, `p${i}`, { answer: false });
    }
    const keys = migrated.store.db.prepare('SELECT key, cls FROM dup_log ORDER BY key').all();
    expect(keys.length).toBeGreaterThan(100);
    // back to migration 7's shape: the keys in their indexed table
    undoMigration11(migrated.store.db);
    undoMigration10(migrated.store.db);
    migrated.store.db.exec(`
      CREATE TABLE dup_keys (key TEXT PRIMARY KEY, cls TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO dup_keys(key, cls) SELECT key, cls FROM dup_log;
      DROP TABLE dup_log;
      DROP TABLE dup_log_hashes;
      ALTER TABLE grp_stats DROP COLUMN reporters;
      ALTER TABLE grp_stats DROP COLUMN families;
      ALTER TABLE grp_stats DROP COLUMN family;
      ALTER TABLE grp_stats DROP COLUMN ports;
      ALTER TABLE grp_stats DROP COLUMN port;
      PRAGMA user_version = 7;
    `);
    const path = migrated.config.db;
    migrated.close();
    const reopened = makeBot({ autoReply: false }, { dir: join(path, '..') });
    expect(reopened.store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(reopened.store.db.prepare("SELECT name FROM sqlite_schema WHERE name = 'dup_keys'").get()).toBeUndefined();
    expect(reopened.store.db.prepare('SELECT key, cls FROM dup_log ORDER BY key').all()).toEqual(keys);
    // every row's packed hash is its key's
    const rows = reopened.store.db.prepare('SELECT rowid, key FROM dup_log').all() as Array<{ rowid: number; key: string }>;
    const packed = new Map<number, number>();
    for (const { first, hashes } of reopened.store.db.prepare('SELECT first, hashes FROM dup_log_hashes').all() as Array<{ first: number; hashes: Buffer }>) {
      for (let i = 0; i < hashes.length / 4; i++) packed.set(first + i, hashes.readUInt32LE(i * 4));
    }
    expect(rows.every((r) => packed.get(r.rowid) === duplicateKeyHash(r.key))).toBe(true);
    // the later posts (replies quoting the earlier ones among them) are classed the same way
    for (const [i, raw] of posts.slice(60).entries()) {
      await fresh.bot.handle(raw, `q${i}`, { answer: false });
      await reopened.bot.handle(raw, `q${i}`, { answer: false });
    }
    expect(answers(reopened.store)).toEqual(answers(fresh.store));
    fresh.close();
    reopened.close();
  });
});
