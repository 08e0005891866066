// Opening a store file and adding duplicate keys the way the store does, for the tests of
// src/store/duplicate-keys.ts.
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { DuplicateKeys } from '../../src/store/duplicate-keys.js';
import { runMigrations } from '../../src/store/migrations.js';

/** A store file opened as the store opens it (WAL, migrated), without the Store around it. */
export function openMigrated(path: string): Database {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  runMigrations(db);
  return db;
}

/** As the store adds keys: in a transaction, synced first, the run written before it ends, a new save begun after. */
export function addAll(db: Database, d: DuplicateKeys, pairs: Array<[string, string]>): void {
  db.transaction(() => {
    d.sync();
    for (const [k, c] of pairs) if (d.get(k) === undefined) d.add(k, c);
    d.flushRun();
  })();
  d.discardRun();
}
