// The catch-up shared by the store's in-memory tables over append-only logs (duplicate-keys.ts over
// dup_log, endpoints.ts over ep_log): another connection that commits changes `PRAGMA data_version`,
// and its rows then follow the last row this connection read, unless the log was emptied and
// filled again (a rebuild of the aggregates), when the table is read again whole.
import type { Database, Statement } from 'better-sqlite3';

export abstract class LogMirror {
  /** every committed log row up to `synced` is in the table (as of the last sync) */
  protected synced = 0;
  protected dataVersion: number | null = null;
  protected built = false;
  private readonly version: Statement;
  private readonly max: Statement;

  /** `maxSql`: the log's last row number (NULL when empty) */
  protected constructor(protected readonly db: Database, maxSql: string) {
    this.version = db.prepare('PRAGMA data_version').pluck();
    this.max = db.prepare(maxSql).pluck();
  }

  /** Brings the table up to date with the log: on first use all of it, after another connection committed the rows added since. */
  sync(): void {
    // one snapshot for the version and the rows read
    if (this.db.inTransaction) this.syncIn();
    else this.db.transaction(() => this.syncIn())();
  }

  private syncIn(): void {
    const version = this.version.get() as number;
    const max = (this.max.get() as number | null) ?? 0;
    if (!this.built) {
      this.rebuild(version);
      return;
    }
    if (version === this.dataVersion) {
      // no other connection committed since the last sync: the rows after `synced` are this connection's, entered as written
      this.advance(max);
      return;
    }
    // another connection wrote: its new rows follow `synced`, unless the log was emptied (a rebuild of the aggregates)
    const kept = this.synced === 0 || (max >= this.synced && this.syncedRowUnchanged());
    if (!kept) {
      this.rebuild(version);
      return;
    }
    this.readAfter(this.synced);
    this.advance(max);
    this.dataVersion = version;
  }

  /** Reads the whole log into an empty table; sets dataVersion to `version` and built. */
  protected abstract rebuild(version: number): void;
  /** Enters the log's rows after row `after`. */
  protected abstract readAfter(after: number): unknown;
  /** Counts the rows up to `upTo` as read (but not this connection's rows of a save that may still roll back). */
  protected abstract advance(upTo: number): void;
  /** Whether row `synced` is still the row that was read then. */
  protected abstract syncedRowUnchanged(): boolean;
}
