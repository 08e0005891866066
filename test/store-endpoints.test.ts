// Alerts' and flows' join keys kept in memory over ep_log (src/store/endpoints.ts, migration 11):
// another connection's rows are taken in, a rolled-back save's entries neither join nor hide the
// rows stored later at the same seqs, a reopened store reads them back, and a store migrated from
// the index answers as one that never had it.
import { describe, expect, it } from 'vitest';
import { parseMail } from '../src/mail/parse.js';
import { analyzePost } from '../src/analyze/post.js';
import { groupKey } from '../src/correlate/correlate.js';
import { endpointHash } from '../src/store/endpoints.js';
import { storeEndpointRow, twoSyncedEndpointIndexes } from './helpers/duplicate-keys.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { Store as StoreClass, type Store } from '../src/store/store.js';
import { makeBot, type Harness } from './helpers/bot-harness.js';
import { argusMidstream, buildPost } from './helpers/bot-mail.js';
import { undoMigration11 } from './helpers/store-migrations.js';
import { PostFactory } from '../bench/generate.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';

/** Snort full alerts for argusMidstream(net, dstNet, n)'s flows i (same 5-tuple, a second later, same reporter): each joins its flow. */
function alertsFor(id: string, net: string, dstNet: string, flows: number[], subject = 'alerts'): string {
  const salt = dstNet.split('.').reduce((a, b) => a + Number(b), 0) % 50;
  const alert = (i: number) =>
    [
      '[**] [1:1256:7] WEB-IIS CodeRed v2 root.exe access [**]',
      '[Classification: Web Application Attack] [Priority: 1]',
      `11/24-19:${String(2 + i * 5).padStart(2, '0')}:35.100000 ${net}.${10 + i * 7 + salt}.${20 + i * 3}:${3300 + i} -> ${dstNet}.${40 + i}:80`,
      'TCP TTL:113 TOS:0x0 ID:5386 IpLen:20 DgmLen:1500 DF',
      '***AP*** Seq: 0x2A4F1B3C  Ack: 0x9E1C22AF  Win: 0x2238  TcpLen: 20',
    ].join('\n');
  return buildPost({ id, from: AROHA, subject, body: `Snort:\n\n${flows.map(alert).join('\n\n')}\n` });
}

function flowsPost(id: string, net: string, dstNet: string, n: number): string {
  return buildPost({ id, from: AROHA, subject: `flows from ${net}`, body: `argus:\n\n${argusMidstream(net, dstNet, n)}\n` });
}

/** What the store's answers rest on: each observation's counting and join, the groups, the findings. */
function answers(store: Store): unknown {
  const q = (sql: string) => store.db.prepare(sql).all();
  return {
    observations: q('SELECT id, counted, eff_group, (SELECT id FROM observations f WHERE f.seq = o.join_flow) AS joined FROM observations o ORDER BY id'),
    stats: q('SELECT grp, n, actors, targets, first_time, last_time FROM grp_stats ORDER BY grp'),
    findings: q('SELECT key, kind, reporters, json FROM findings ORDER BY key'),
  };
}

function joinedAlerts(store: Store): number {
  return (store.db.prepare('SELECT COUNT(*) AS n FROM observations WHERE join_flow IS NOT NULL').get() as { n: number }).n;
}

/** Each entry of ep_log as [seq, hash, time], in seq order. */
function logged(store: Store): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const { data } of store.db.prepare('SELECT data FROM ep_log').all() as Array<{ data: Buffer }>) {
    for (let i = 0; i < data.length; i += 16) out.push([data.readUInt32LE(i), data.readUInt32LE(i + 4), data.readDoubleLE(i + 8)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** [seq, hash, time] of every stored row with a join key, in seq order. */
function rowsWithKeys(store: Store): Array<[number, number, number]> {
  const rows = store.db.prepare('SELECT seq, ep_key, time_ms FROM observations WHERE ep_key IS NOT NULL ORDER BY seq').all() as Array<{ seq: number; ep_key: string; time_ms: number }>;
  return rows.map((r) => [r.seq, endpointHash(r.ep_key), r.time_ms]);
}

/** Hands each post to its bot, in this order; every one must be analysed. */
async function handleInOrder(steps: Array<[Harness, string, string]>): Promise<void> {
  for (const [h, raw, id] of steps) expect((await h.handle(raw, id)).outcome).toBe('analyzed');
}

describe('join keys in memory', () => {
  it('an alert one connection stores joins a flow another connection stored after the first had read its table', async () => {
    const one = makeBot({ autoReply: false });
    const a = makeBot({ autoReply: false });
    const b = makeBot({ autoReply: false }, { dir: a.dir });
    b.store.readDuplicateKeys();
    const flows = flowsPost('f1@harbour.example', '100.64', '192.0.2', 3);
    const alerts = alertsFor('s1@harbour.example', '100.64', '192.0.2', [0, 1, 2]);
    await handleInOrder([[one, flows, 'f1'], [a, flows, 'f1'], [one, alerts, 's1'], [b, alerts, 's1']]);
    expect(joinedAlerts(one.store)).toBe(3);
    expect(answers(b.store)).toEqual(answers(one.store));
    // and the other way: a flow stored by b re-checks alerts a stored
    const lateAlerts = alertsFor('s2@harbour.example', '100.65', '192.0.2', [0, 1]);
    const lateFlows = flowsPost('f2@harbour.example', '100.65', '192.0.2', 2);
    await handleInOrder([[one, lateAlerts, 's2'], [a, lateAlerts, 's2'], [one, lateFlows, 'f2'], [b, lateFlows, 'f2']]);
    expect(joinedAlerts(one.store)).toBe(5);
    expect(answers(a.store)).toEqual(answers(one.store));
    for (const h of [one, a, b]) h.close();
  });

  it("a rolled-back save's entries neither join nor hide another connection's rows stored at the same seqs", async () => {
    const one = makeBot({ autoReply: false });
    const a = makeBot({ autoReply: false });
    const b = makeBot({ autoReply: false }, { dir: a.dir });
    a.store.readDuplicateKeys();
    // a saves flows of 100.70 and rolls back: its table has entries for seqs that b then fills with flows of 100.71
    const lost = await parseMail(Buffer.from(flowsPost('x1@harbour.example', '100.70', '192.0.2', 3)), 'x1');
    const pa = analyzePost(lost, lost.id);
    const seqBefore = (a.store.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'observations'").pluck().get() as number | undefined) ?? 0;
    expect(() =>
      a.store.transaction(() => {
        a.store.saveAnalysis(pa, groupKey, '2026-11-25', '2026-11-25T10:00:00Z');
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    const kept = flowsPost('y1@harbour.example', '100.71', '192.0.2', 3);
    await handleInOrder([[one, kept, 'y1'], [b, kept, 'y1']]);
    // b's rows took the seqs a's rolled-back rows had
    expect((b.store.db.prepare('SELECT MIN(seq) FROM observations').pluck().get() as number)).toBe(seqBefore + 1);
    const joinKept = alertsFor('s3@harbour.example', '100.71', '192.0.2', [0, 1, 2]);
    const joinLost = alertsFor('s4@harbour.example', '100.70', '192.0.2', [0, 1, 2], 'more alerts');
    await handleInOrder([[one, joinKept, 's3'], [a, joinKept, 's3'], [one, joinLost, 's4'], [a, joinLost, 's4']]);
    expect(joinedAlerts(one.store)).toBe(3);
    expect(answers(a.store)).toEqual(answers(one.store));
    for (const h of [one, a, b]) h.close();
  });

  it('a reopened store reads the join keys from ep_log, one entry per stored alert and flow', async () => {
    const first = makeBot({ autoReply: false });
    expect((await first.handle(flowsPost('f1@harbour.example', '100.64', '192.0.2', 4), 'f1')).outcome).toBe('analyzed');
    const factory = new PostFactory(11, undefined, 'ep');
    for (let i = 0; i < 20; i++) await first.bot.handle(Buffer.from(factory.next({ forceRecords: true }).raw), `g${i}`, { answer: false });
    expect(logged(first.store)).toEqual(rowsWithKeys(first.store));
    first.close();
    const again = makeBot({ autoReply: false }, { dir: first.dir });
    again.store.readDuplicateKeys();
    const held = (again.store as unknown as { agg: { eps: { entries: number } } }).agg.eps.entries;
    expect(held).toBe(rowsWithKeys(again.store).length);
    expect((await again.handle(alertsFor('s1@harbour.example', '100.64', '192.0.2', [0, 1, 3]), 's1')).outcome).toBe('analyzed');
    expect(joinedAlerts(again.store)).toBe(3);
    again.close();
  });

  it('a store migrated from the join index (migration 11) logs every row with a join key and answers as one that never had it', async () => {
    const fresh = makeBot({ autoReply: false });
    const migrated = makeBot({ autoReply: false });
    const factory = new PostFactory(13, undefined, 'm11');
    const posts = [
      flowsPost('f1@harbour.example', '100.64', '192.0.2', 4),
      ...Array.from({ length: 30 }, () => factory.next({ forceRecords: true }).raw),
      alertsFor('s1@harbour.example', '100.64', '192.0.2', [0, 2]),
    ];
    for (const [i, raw] of posts.slice(0, 20).entries()) {
      await fresh.bot.handle(Buffer.from(raw), `p${i}`, { answer: false });
      await migrated.bot.handle(Buffer.from(raw), `p${i}`, { answer: false });
    }
    const before = logged(migrated.store);
    undoMigration11(migrated.store.db);
    const path = migrated.config.db;
    migrated.close();
    const reopened = new StoreClass(path);
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(logged(reopened)).toEqual(before);
    expect(logged(reopened)).toEqual(rowsWithKeys(reopened));
    reopened.close();
    const again = makeBot({ autoReply: false }, { dir: migrated.dir });
    for (const [i, raw] of posts.slice(20).entries()) {
      await fresh.bot.handle(Buffer.from(raw), `q${i}`, { answer: false });
      await again.bot.handle(Buffer.from(raw), `q${i}`, { answer: false });
    }
    expect(joinedAlerts(fresh.store)).toBeGreaterThanOrEqual(2);
    expect(answers(again.store)).toEqual(answers(fresh.store));
    fresh.close();
    again.close();
  });

  it("a save that synced after writing its entries and then rolled back does not count its row as read: another connection's row at that seq is taken in", () => {
    const { dbA, dbB, a, b } = twoSyncedEndpointIndexes('listwatch-ep-');
    expect(() =>
      dbA.transaction(() => {
        a.discardRun();
        a.sync();
        storeEndpointRow(dbA, 1, 'tcp|lost', 1000);
        a.add(1, 'tcp|lost', 1000);
        a.flushRun();
        // a sync after the save's own row was written (a bulk save syncs per post)
        a.sync();
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    // b stores the same first entry (its row's head is the one a read) and another after it, in one ep_log row
    dbB.transaction(() => {
      b.discardRun();
      b.sync();
      storeEndpointRow(dbB, 1, 'tcp|lost', 1000);
      b.add(1, 'tcp|lost', 1000);
      storeEndpointRow(dbB, 2, 'tcp|kept', 2000);
      b.add(2, 'tcp|kept', 2000);
      b.flushRun();
    })();
    dbA.transaction(() => {
      a.discardRun();
      a.sync();
    })();
    expect(a.near('tcp|kept', 'f', 0, 5000).map((r) => r.seq)).toEqual([2]);
    expect(a.near('tcp|lost', 'f', 0, 5000).map((r) => r.seq)).toEqual([1]);
    dbA.close();
    dbB.close();
  });
});
