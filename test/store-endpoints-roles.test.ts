// The join keys' in-memory table remembers each entry's role (alert or flow) once known, so near()
// passes over rows of the other role unread. A seq a rolled-back save used may come back with the
// same key and time and the other role: the entry must then answer for its new role.
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EndpointIndex } from '../src/store/endpoints.js';
import { openMigrated, storeEndpointRow, twoSyncedEndpointIndexes } from './helpers/duplicate-keys.js';

type Role = 'a' | 'f';

function save(db: Database, idx: EndpointIndex, rows: Array<[number, string, number, Role]>, rollBack = false, tell = true): void {
  const run = () =>
    db.transaction(() => {
      idx.discardRun();
      idx.sync();
      for (const [seq, ep, time, role] of rows) {
        storeEndpointRow(db, seq, ep, time, role);
        idx.add(seq, ep, time, tell ? role : undefined);
      }
      idx.flushRun();
      if (rollBack) throw new Error('rolled back');
    })();
  if (rollBack) expect(run).toThrow('rolled back');
  else run();
}

const seqs = (idx: EndpointIndex, role: Role) => idx.near('tcp|k', role, 0, 10_000).map((r) => r.seq);

describe('join keys in memory: roles', () => {
  it('answers alerts and flows of one key apart, whether the roles were told, read from the rows or from ep_log', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'listwatch-ep-role-')), 'state.db');
    const [dbA, dbB] = [openMigrated(path), openMigrated(path)];
    const a = new EndpointIndex(dbA);
    a.sync();
    save(dbA, a, [[1, 'tcp|k', 1_000, 'f'], [2, 'tcp|k', 1_000, 'a'], [3, 'tcp|k', 2_000, 'f']]);
    save(dbA, a, [[4, 'tcp|k', 1_500, 'a']], false, false);
    for (let i = 0; i < 2; i++) {
      expect(seqs(a, 'f')).toEqual([1, 3]);
      expect(seqs(a, 'a')).toEqual([2, 4]);
    }
    const b = new EndpointIndex(dbB);
    for (let i = 0; i < 2; i++) {
      expect(seqs(b, 'f')).toEqual([1, 3]);
      expect(seqs(b, 'a')).toEqual([2, 4]);
    }
    dbA.close();
    dbB.close();
  });

  it('a flow of a rolled-back save, then an alert with the same key and time at its seq (this connection): found as an alert', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'listwatch-ep-role-')), 'state.db');
    const db = openMigrated(path);
    const a = new EndpointIndex(db);
    a.sync();
    save(db, a, [[1, 'tcp|k', 1_000, 'f']], true);
    save(db, a, [[1, 'tcp|k', 1_000, 'a']]);
    expect(seqs(a, 'a')).toEqual([1]);
    expect(seqs(a, 'f')).toEqual([]);
    db.close();
  });

  it("a flow this connection read, rolled back, then another connection's alert with the same key and time at that seq: found as an alert", () => {
    const { dbA, dbB, a, b } = twoSyncedEndpointIndexes('listwatch-ep-role-');
    // this connection's flow, read back inside its save (its role known), then rolled back
    expect(() =>
      dbA.transaction(() => {
        a.discardRun();
        storeEndpointRow(dbA, 1, 'tcp|k', 1_000, 'f');
        a.add(1, 'tcp|k', 1_000, 'f');
        expect(seqs(a, 'f')).toEqual([1]);
        a.flushRun();
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    save(dbB, b, [[1, 'tcp|k', 1_000, 'a']]);
    a.sync();
    expect(seqs(a, 'a')).toEqual([1]);
    expect(seqs(a, 'f')).toEqual([]);
    dbA.close();
    dbB.close();
  });
});
