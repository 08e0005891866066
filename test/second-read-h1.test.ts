// Second read of H1's store changes (b6a54b7 duplicate keys in memory): cases the first tests did
// not reach. A connection that syncs twice in one transaction (Store.savePosts: once per post)
// must not count its own rows as read when that transaction is rolled back; a rowid given up by a
// rollback and taken by another key leaves no wrong answer. DuplicateKeys compares a key with the
// text SQLite gives back, which differs for a lone UTF-16 surrogate (stored as U+FFFD bytes): the
// mail layer makes every text well-formed first (lean.ts, TextDecoder), which the bot test pins.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuplicateKeys } from '../src/store/duplicate-keys.js';
import { PostFactory } from '../bench/generate.js';
import { Store } from '../src/store/store.js';
import { addAll, openMigrated } from './helpers/duplicate-keys.js';
import { makeBot } from './helpers/bot-harness.js';
import { argusMidstream, LIST_ADDRESS, LIST_ID } from './helpers/bot-mail.js';

const dbPath = (): string => join(mkdtempSync(join(tmpdir(), 'listwatch-h1-second-')), 'state.db');



/** A post whose text is UTF-16LE (base64), as a sender may choose: the charset decoder keeps lone surrogates. */
function utf16Post(id: string, from: string, subject: string, body: string): Buffer {
  const head = [
    `From: ${from}`,
    `To: ${LIST_ADDRESS}`,
    `Subject: ${subject}`,
    'Date: Wed, 25 Nov 2026 09:10:00 +0000',
    `Message-ID: <${id}>`,
    `List-Id: Incident handlers <${LIST_ID}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="utf-16le"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  const b64 = Buffer.from(body, 'utf16le').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.concat([Buffer.from(head), Buffer.from(`${b64}\r\n`)]);
}

describe('second read of the duplicate keys in memory (b6a54b7)', () => {
  it('a utf-16 post with a lone surrogate in a state column: the record holds U+FFFD, and its copy in another post is found', async () => {
    const h = makeBot({ autoReply: false });
    const records = argusMidstream('100.96', '192.0.2', 3).replace(/A_$/gm, 'A_\uD800');
    const first = utf16Post('s1@harbour.example', 'Aroha Ngata <aroha@harbour.example>', 'odd bytes', `argus:\n\n${records}\n`);
    const second = utf16Post('s2@delta.example', 'Malik Osei <malik@delta.example>', 'odd bytes here too', `argus:\n\n${records}\n`);
    expect((await h.handle(first, 's1')).outcome).toBe('analyzed');
    expect((await h.handle(second, 's2')).outcome).toBe('analyzed');
    const rows = h.store.db.prepare('SELECT post, counted, json FROM observations ORDER BY seq').all() as Array<{ post: string; counted: number; json: string }>;
    // the state is part of the duplicate keys: a lone surrogate there would never match its stored row
    expect(rows.length).toBe(6);
    expect(rows.every((r) => (JSON.parse(r.json) as { state?: string }).state === 'A_\uFFFD')).toBe(true);
    // markDuplicates: the second post's records are copies of the first's
    expect(rows.map((r) => [r.post, r.counted])).toEqual([
      ['s1@harbour.example', 1],
      ['s1@harbour.example', 1],
      ['s1@harbour.example', 1],
      ['s2@delta.example', 0],
      ['s2@delta.example', 0],
      ['s2@delta.example', 0],
    ]);
    h.close();
  });

  it('rows of a rolled-back transaction that synced twice (a bulk save, per post) are not taken as read', () => {
    const path = dbPath();
    const db1 = openMigrated(path);
    const db2 = openMigrated(path);
    const d1 = new DuplicateKeys(db1);
    const d2 = new DuplicateKeys(db2);
    addAll(db1, d1, [['u|base', 'B']]);
    expect(() =>
      db1.transaction(() => {
        d1.sync();
        d1.add('u|p1', 'P');
        d1.add('l|p1', 'P');
        // the next post of the same bulk save syncs again, then the save fails
        d1.sync();
        d1.add('u|p2', 'Q');
        throw new Error('failed half-way');
      })(),
    ).toThrow('failed half-way');
    d1.discardRun();
    // the other connection's rows take the rolled-back rowids; the last one holds the same key as before
    d2.sync();
    addAll(db2, d2, [['u|other', 'O'], ['l|p1', 'O']]);
    d1.sync();
    expect(d1.get('u|other')).toBe('O');
    expect(d1.get('l|p1')).toBe('O');
    expect(d1.get('u|p1')).toBeUndefined();
    expect(d1.get('u|p2')).toBeUndefined();
    db1.close();
    db2.close();
  });

  it('a rowid of a rolled-back key taken by another key: the old key is not found, the new one is, and the old one can be added again', () => {
    const db = openMigrated(':memory:');
    const d = new DuplicateKeys(db);
    addAll(db, d, [['u|a', 'A']]);
    expect(() =>
      db.transaction(() => {
        d.sync();
        d.add('u|gone', 'G');
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    d.discardRun();
    addAll(db, d, [['u|b', 'B']]);
    expect(db.prepare("SELECT rowid FROM dup_log WHERE key = 'u|b'").pluck().get()).toBe(2);
    expect(d.get('u|gone')).toBeUndefined();
    expect(d.get('u|b')).toBe('B');
    addAll(db, d, [['u|gone', 'G2']]);
    expect(d.get('u|gone')).toBe('G2');
    const again = new DuplicateKeys(db);
    again.sync();
    expect([again.get('u|a'), again.get('u|b'), again.get('u|gone')]).toEqual(['A', 'B', 'G2']);
    db.close();
  });
});

describe('second read: the aggregates rebuilt on open (Store.rebuildAggregates, reached by migrations 8 and 9 on old stores)', () => {
  it('a rebuild that stopped before its meta row (the process ended) runs again from none, not on top of what it wrote', async () => {
    const h = makeBot({ autoReply: false });
    const factory = new PostFactory(5, undefined, 'rb');
    for (let i = 0; i < 20; i++) await h.handle(Buffer.from(factory.next({ forceRecords: i % 3 !== 0 }).raw), `p${i}`);
    const state = (store: Store) =>
      ['grp_stats', 'grp_members', 'dup_log', 'dup_classes', 'stmt_apply'].map((t) => store.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
    const observations = (store: Store) => store.db.prepare('SELECT seq, cls, counted, eff_group, join_flow FROM observations ORDER BY seq').all();
    const before = state(h.store);
    const obsBefore = observations(h.store);
    expect((before[0] as Array<{ n: number }>).some((r) => r.n > 1)).toBe(true);
    // every batch of a rebuild committed, the meta row not yet written (the rebuild commits per 2,000 observations)
    h.store.db.exec("DELETE FROM meta WHERE key = 'aggregates'");
    const path = h.config.db;
    h.close();
    const reopened = new Store(path);
    expect(reopened.meta('aggregates')).toBe('1');
    expect(state(reopened)).toEqual(before);
    expect(observations(reopened)).toEqual(obsBefore);
    reopened.close();
  });
});
