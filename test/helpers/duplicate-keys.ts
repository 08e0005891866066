// Opening a store file and adding duplicate keys the way the store does, for the tests of
// src/store/duplicate-keys.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { DuplicateKeys } from '../../src/store/duplicate-keys.js';
import { EndpointIndex } from '../../src/store/endpoints.js';
import { runMigrations } from '../../src/store/migrations.js';

/** A store file opened as the store opens it (WAL, migrated), without the Store around it. */
export function openMigrated(path: string): Database {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  runMigrations(db);
  return db;
}

/** As the store adds keys: in a transaction, synced first, the run written before it ends, a new save begun after. */
/** Two connections to one new store, each with its join table read (as two bots' stores on one file). */
export function twoSyncedEndpointIndexes(prefix: string): { dbA: Database; dbB: Database; a: EndpointIndex; b: EndpointIndex } {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), 'state.db');
  const [dbA, dbB] = [openMigrated(path), openMigrated(path)];
  const [a, b] = [new EndpointIndex(dbA), new EndpointIndex(dbB)];
  a.sync();
  b.sync();
  return { dbA, dbB, a, b };
}

/**
 * A bare observation row holding a join key (ep_key), its time and role, counted: all the in-memory
 * join table (EndpointIndex) reads of a row.
 */
export function storeEndpointRow(db: Database, seq: number, ep: string, time: number, role: 'a' | 'f' = 'f', id = `o${seq}-${role}-${ep}-${time}`): void {
  db.prepare(`INSERT INTO observations(seq, id, post, thread, group_key, class, day, json, counted, ep_key, role, time_ms) VALUES (?, ?, 'p', 't', 'g', 'alert', 'd', '{}', 1, ?, ?, ?)`)
    .run(seq, id, ep, role, time);
}

export function addAll(db: Database, d: DuplicateKeys, pairs: Array<[string, string]>): void {
  db.transaction(() => {
    d.sync();
    for (const [k, c] of pairs) if (d.get(k) === undefined) d.add(k, c);
    d.flushRun();
  })();
  d.discardRun();
}
