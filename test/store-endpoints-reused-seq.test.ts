// A seq a rolled-back save used is taken again by a row with the same join key at another time
// (AUTOINCREMENT's counter is rolled back too): the in-memory table must find that row by its own
// time, whether this connection or another one stored it.
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EndpointIndex } from '../src/store/endpoints.js';
import { openMigrated, storeEndpointRow, twoSyncedEndpointIndexes } from './helpers/duplicate-keys.js';
import { parseMail } from '../src/mail/parse.js';
import { analyzePost } from '../src/analyze/post.js';
import { groupKey } from '../src/correlate/correlate.js';
import { makeBot, type Harness } from './helpers/bot-harness.js';
import { argusMidstream, buildPost } from './helpers/bot-mail.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';

function flowsPost(id: string, startHour: number): string {
  return buildPost({ id, from: AROHA, subject: `flows at ${startHour}h`, body: `argus:\n\n${argusMidstream('100.64', '192.0.2', 3, startHour)}\n` });
}

/** Snort alerts (the address salt 44 is argusMidstream's for 192.0.2) on argusMidstream('100.64', '192.0.2', 3)'s flows (hour 19), a second after each. */
function alertsPost(id: string): string {
  const alert = (i: number) =>
    [
      '[**] [1:1256:7] WEB-IIS CodeRed v2 root.exe access [**]',
      '[Classification: Web Application Attack] [Priority: 1]',
      `11/24-19:${String(2 + i * 5).padStart(2, '0')}:35.100000 100.64.${10 + i * 7 + 44}.${20 + i * 3}:${3300 + i} -> 192.0.2.${40 + i}:80`,
      'TCP TTL:113 TOS:0x0 ID:5386 IpLen:20 DgmLen:1500 DF',
      '***AP*** Seq: 0x2A4F1B3C  Ack: 0x9E1C22AF  Win: 0x2238  TcpLen: 20',
    ].join('\n');
  return buildPost({ id, from: AROHA, subject: 'alerts', body: `Snort:\n\n${[0, 1, 2].map(alert).join('\n\n')}\n` });
}

function joinedAlerts(h: Harness): number {
  return (h.store.db.prepare('SELECT COUNT(*) AS n FROM observations WHERE join_flow IS NOT NULL').get() as { n: number }).n;
}

function saveRolledBack(db: Database, idx: EndpointIndex, seq: number, ep: string, time: number): void {
  expect(() =>
    db.transaction(() => {
      idx.discardRun();
      idx.sync();
      storeEndpointRow(db, seq, ep, time, 'f', 'lost');
      idx.add(seq, ep, time);
      idx.flushRun();
      throw new Error('rolled back');
    })(),
  ).toThrow('rolled back');
}

function save(db: Database, idx: EndpointIndex, seq: number, ep: string, time: number): void {
  db.transaction(() => {
    idx.discardRun();
    idx.sync();
    storeEndpointRow(db, seq, ep, time, 'f', 'kept');
    idx.add(seq, ep, time);
    idx.flushRun();
  })();
}

describe('join keys in memory, a seq used again', () => {
  it('this connection stores the same key at a rolled-back seq with another time: found at its own time', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'listwatch-ep-seq-')), 'state.db');
    const db = openMigrated(path);
    const a = new EndpointIndex(db);
    a.sync();
    saveRolledBack(db, a, 1, 'tcp|same', 1_000);
    save(db, a, 1, 'tcp|same', 900_000);
    expect(a.near('tcp|same', 'f', 890_000, 910_000).map((r) => r.seq)).toEqual([1]);
    expect(a.near('tcp|same', 'f', 0, 5_000)).toEqual([]);
    db.close();
  });

  it("another connection stores the same key at this one's rolled-back seq with another time: found at its own time", () => {
    const { dbA, dbB, a, b } = twoSyncedEndpointIndexes('listwatch-ep-seq-');
    saveRolledBack(dbA, a, 1, 'tcp|same', 1_000);
    save(dbB, b, 1, 'tcp|same', 900_000);
    a.sync();
    expect(a.near('tcp|same', 'f', 890_000, 910_000).map((r) => r.seq)).toEqual([1]);
    dbA.close();
    dbB.close();
  });

  it("the bot's store: flows of a rolled-back save, then the same flows hours later at the same seqs; alerts on the later ones join them as in a store that never rolled back", async () => {
    const one = makeBot({ autoReply: false });
    const a = makeBot({ autoReply: false });
    a.store.readDuplicateKeys();
    const lost = await parseMail(Buffer.from(flowsPost('x1@harbour.example', 15)), 'x1');
    expect(() =>
      a.store.transaction(() => {
        a.store.saveAnalysis(analyzePost(lost, lost.id), groupKey, '2026-11-24', '2026-11-24T20:00:00Z');
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    for (const h of [one, a]) {
      expect((await h.handle(flowsPost('y1@harbour.example', 19), 'y1')).outcome).toBe('analyzed');
      expect((await h.handle(alertsPost('s1@harbour.example'), 's1')).outcome).toBe('analyzed');
    }
    expect(joinedAlerts(one)).toBe(3);
    expect(joinedAlerts(a)).toBe(3);
    one.close();
    a.close();
  });
});

