// The duplicate keys of every stored record (markDuplicates' two keys per record, each naming its
// class), found in memory instead of through a B-tree. As an index of text keys (dup_keys, up to
// migration 7) each key was a lookup and, when new, an insert at a random leaf: ~2.5 of the ~9.5
// pages a new record wrote to the WAL at 1,000,000 stored observations. The keys are now appended
// to dup_log (no index: a post's keys fill a few pages at its end), and a table of 32-bit hashes
// in memory points to their rows. A hash only picks candidate rows: a key is found when a
// candidate row holds that very key, so colliding hashes cost a row read, never a wrong class.
// The hashes of each run of consecutive rows are also kept packed (dup_log_hashes, one row per
// post), so filling the table reads ~4 bytes per key instead of every key's text.
//
// Another connection may append to dup_log too (the CLI on the bot's file): `PRAGMA data_version`
// changes when one commits, and sync() then reads the rows added since. Rows this connection
// wrote are in the table as they are written; rows of a rolled-back transaction leave entries
// whose rows are gone or hold another key, which candidates' checks skip. A row this connection
// added since its save began may still be rolled back (Store.savePosts syncs once per post in one
// transaction), so it is not counted as read (synced) until the next save begins (discardRun):
// else another connection could write there and its rows be taken as read.
import type { Database, Statement } from 'better-sqlite3';
import { LogMirror } from './log-mirror.js';

/** The hash a key is stored and found by (FNV-1a over UTF-16 units, then murmur3's finalizer); stored on disk, so fixed. */
export function duplicateKeyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A run's hashes as dup_log_hashes keeps them: 4 bytes each, little-endian. */
export function packHashes(hashes: readonly number[]): Buffer {
  const blob = Buffer.allocUnsafe(hashes.length * 4);
  for (let i = 0; i < hashes.length; i++) blob.writeUInt32LE(hashes[i]!, i * 4);
  return blob;
}

/** The keys a table filled with `rows` keys is sized for: an eighth more, at least 4,096 more. */
export function roomFor(rows: number): number {
  return rows + Math.max(rows >>> 3, 4096);
}

/** Rows read per statement while filling the table (bounds the arrays held at once). */
const READ_CHUNK = 100_000;

export class DuplicateKeys extends LogMirror {
  /** open addressing, linear probing: the key's hash and its dup_log rowid per slot (rowid 0: empty) */
  private hashes = new Uint32Array(1 << 12);
  private rows = new Uint32Array(1 << 12);
  private size = 0;
  /** the key of row `synced` when it was read, to notice the table emptied and filled again */
  private syncedKey: string | null = null;
  private readonly s: { read: Statement; keysFrom: Statement; runs: Statement; putRun: Statement; row: Statement; insert: Statement; max: Statement };
  /** the run of rows this connection appended and has not written to dup_log_hashes yet */
  private runFirst = 0;
  private runHashes: number[] = [];
  /** the first row this connection added since its current save began (0: none): maybe not committed */
  private unsettledFrom = 0;

  constructor(db: Database) {
    super(db, 'SELECT MAX(rowid) FROM dup_log');
    this.s = {
      read: db.prepare('SELECT rowid, key FROM dup_log WHERE rowid > ? ORDER BY rowid LIMIT ?').raw(),
      keysFrom: db.prepare('SELECT rowid, key FROM dup_log WHERE rowid >= ? AND rowid < ? ORDER BY rowid').raw(),
      runs: db.prepare('SELECT first, hashes FROM dup_log_hashes WHERE first > ? ORDER BY first LIMIT ?').raw(),
      putRun: db.prepare('INSERT INTO dup_log_hashes(first, hashes) VALUES (?, ?) ON CONFLICT(first) DO UPDATE SET hashes = excluded.hashes'),
      row: db.prepare('SELECT key, cls FROM dup_log WHERE rowid = ?'),
      insert: db.prepare('INSERT INTO dup_log(key, cls) VALUES (?, ?)'),
      max: db.prepare('SELECT MAX(rowid) FROM dup_log').pluck(),
    };
  }

  /** How many entries the table holds (tests). */
  get entries(): number {
    return this.size;
  }

  /** How many slots the table has (tests). */
  get slots(): number {
    return this.rows.length;
  }

  protected syncedRowUnchanged(): boolean {
    return (this.s.row.get(this.synced) as { key: string } | undefined)?.key === this.syncedKey;
  }

  protected rebuild(version: number): void {
    // sized for every row at once (rowids count the rows, and any gaps) and an eighth more: no doubling
    // while filling, nor in the posts that follow (a table filled to just under its bound doubled in
    // one of the next posts: at 1,800,000 keys a copy of 32 MB, tens of ms in that post's answer)
    let capacity = 1 << 12;
    const rows = (this.s.max.get() as number | null) ?? 0;
    while (roomFor(rows) * 10 > capacity * 7) capacity *= 2;
    this.hashes = new Uint32Array(capacity);
    this.rows = new Uint32Array(capacity);
    this.size = 0;
    this.synced = 0;
    this.syncedKey = null;
    // the packed runs, and the text of the rows no run covers (a run not written: a connection stopped half-way)
    let next = 1;
    let after = 0;
    for (;;) {
      const runs = this.s.runs.all(after, READ_CHUNK / 100) as Array<[number, Buffer]>;
      for (const [first, blob] of runs) {
        if (first > next) this.enterKeys(next, first);
        const n = blob.length >>> 2;
        for (let i = 0; i < n; i++) {
          const h = blob.readUInt32LE(i * 4);
          if (!this.has(h, first + i)) this.place(h, first + i);
        }
        next = Math.max(next, first + n);
        after = first;
      }
      if (runs.length < READ_CHUNK / 100) break;
    }
    const last = this.readAfter(next - 1);
    this.advance(last);
    this.dataVersion = version;
    this.built = true;
  }

  /** Enters rows [from, to) by their keys' text. */
  private enterKeys(from: number, to: number): void {
    for (const [rowid, key] of this.s.keysFrom.all(from, to) as Array<[number, string]>) {
      const h = duplicateKeyHash(key);
      if (!this.has(h, rowid)) this.place(h, rowid);
    }
  }

  protected advance(rowid: number): void {
    if (this.unsettledFrom !== 0 && rowid >= this.unsettledFrom) rowid = this.unsettledFrom - 1;
    if (rowid === this.synced) return;
    this.synced = rowid;
    this.syncedKey = rowid === 0 ? null : ((this.s.row.get(rowid) as { key: string } | undefined)?.key ?? null);
  }

  /** Enters the rows after `after` not in the table yet, by their keys' text; the last rowid read. */
  protected readAfter(after: number): number {
    let last = after;
    for (;;) {
      const rows = this.s.read.all(last, READ_CHUNK) as Array<[number, string]>;
      for (const [rowid, key] of rows) {
        const h = duplicateKeyHash(key);
        if (!this.has(h, rowid)) this.place(h, rowid);
      }
      if (rows.length < READ_CHUNK) return rows.length === 0 ? last : rows[rows.length - 1]![0];
      last = rows[rows.length - 1]![0];
    }
  }

  private has(h: number, rowid: number): boolean {
    const mask = this.rows.length - 1;
    for (let i = h & mask; this.rows[i] !== 0; i = (i + 1) & mask) if (this.rows[i] === rowid && this.hashes[i] === h) return true;
    return false;
  }

  private place(h: number, rowid: number): void {
    if (rowid > 0xffffffff) throw new Error(`dup_log rowid ${rowid} beyond the in-memory table's range`);
    if ((this.size + 1) * 10 > this.rows.length * 7) this.grow();
    const mask = this.rows.length - 1;
    let i = h & mask;
    while (this.rows[i] !== 0) i = (i + 1) & mask;
    this.hashes[i] = h;
    this.rows[i] = rowid;
    this.size++;
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldRows = this.rows;
    this.hashes = new Uint32Array(oldRows.length * 2);
    this.rows = new Uint32Array(oldRows.length * 2);
    const mask = this.rows.length - 1;
    for (let j = 0; j < oldRows.length; j++) {
      const rowid = oldRows[j]!;
      if (rowid === 0) continue;
      let i = oldHashes[j]! & mask;
      while (this.rows[i] !== 0) i = (i + 1) & mask;
      this.hashes[i] = oldHashes[j]!;
      this.rows[i] = rowid;
    }
  }

  /** The class of this key, if a stored record had it. */
  get(key: string): string | undefined {
    if (!this.built) this.sync();
    const h = duplicateKeyHash(key);
    const mask = this.rows.length - 1;
    for (let i = h & mask; this.rows[i] !== 0; i = (i + 1) & mask) {
      if (this.hashes[i] !== h) continue;
      const r = this.s.row.get(this.rows[i]) as { key: string; cls: string } | undefined;
      if (r && r.key === key) return r.cls;
    }
    return undefined;
  }

  /** Stores a key not found by get() as naming class `cls`; its hash is written with the run at flushRun(). */
  add(key: string, cls: string): void {
    const h = duplicateKeyHash(key);
    const rowid = Number(this.s.insert.run(key, cls).lastInsertRowid);
    this.place(h, rowid);
    if (this.unsettledFrom === 0) this.unsettledFrom = rowid;
    if (this.runHashes.length > 0 && rowid !== this.runFirst + this.runHashes.length) this.flushRun();
    if (this.runHashes.length === 0) this.runFirst = rowid;
    this.runHashes.push(h);
  }

  /** Writes the hashes of the rows appended since the last call as one packed row (call before the transaction ends). */
  flushRun(): void {
    if (this.runHashes.length === 0) return;
    this.s.putRun.run(this.runFirst, packHashes(this.runHashes));
    this.runHashes = [];
  }

  /**
   * A save begins, in a transaction that has added no key yet: forgets a run not written (its
   * transaction failed: the rows went with it); the rows added before are committed or gone.
   */
  discardRun(): void {
    this.runHashes = [];
    this.unsettledFrom = 0;
  }
}
