import type { Database } from 'better-sqlite3';
import { keyPort } from '../../src/store/aggregates.js';

/**
 * Takes a store back to migration 9's shape: each group's reporters, families and key port as
 * grp_members rows again (from the counts migration 10 keeps on its grp_stats row), without those
 * columns. For tests that reopen an older store.
 */
export function undoMigration10(db: Database): void {
  const add = db.prepare('INSERT INTO grp_members(grp, kind, value, n, sort) VALUES (?, ?, ?, ?, NULL)');
  const groups = db.prepare('SELECT grp, reporter_n, family_n, key_port_n FROM grp_stats').all() as Array<{ grp: string; reporter_n: string; family_n: string; key_port_n: number }>;
  for (const g of groups) {
    for (const [value, n] of JSON.parse(g.reporter_n) as Array<[string, number]>) add.run(g.grp, 'r', value, n);
    for (const [value, n] of JSON.parse(g.family_n) as Array<[string, number]>) add.run(g.grp, 'f', value, n);
    if (g.key_port_n > 0) add.run(g.grp, 'p', keyPort(g.grp), g.key_port_n);
  }
  db.exec(`
    ALTER TABLE grp_stats DROP COLUMN reporter_n;
    ALTER TABLE grp_stats DROP COLUMN family_n;
    ALTER TABLE grp_stats DROP COLUMN key_port_n;
    PRAGMA user_version = 9;
  `);
}

/** Takes a store back to migration 10's shape: the join keys' index again, no ep_log. */
export function undoMigration11(db: Database): void {
  db.exec(`
    DROP TABLE ep_log;
    CREATE INDEX observations_ep ON observations(ep_key, time_ms) WHERE ep_key IS NOT NULL AND counted = 1;
    PRAGMA user_version = 10;
  `);
}
