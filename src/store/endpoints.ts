// The join keys of every stored alert and flow (an observation's 5-tuple and reporter, its ep_key,
// with its time), found in memory instead of through an index. As the index observations_ep (up
// to migration 10) each new alert or flow was an insert at a random leaf of a B-tree keyed by
// ~55 bytes of text: ~8 us and one page of the WAL per record, ~1/6 of a 300-record post's pages.
// Here a table of 32-bit hashes of the key, with each row's seq and time, picks candidate rows;
// the row itself, read by its seq, confirms the key, the role and whether it counts, so a colliding
// hash or an entry of a rolled-back row costs a row read, never a wrong join.
// Each save's entries are also appended packed to ep_log (one row per save: 16 bytes an entry), so
// filling the table when a store opens reads ~16 bytes per row instead of every row.
//
// Another connection may store observations too (the CLI on the bot's file): `PRAGMA data_version`
// changes when one commits, and sync() then reads the ep_log rows added since. As with the
// duplicate keys (duplicate-keys.ts), entries this connection added since its save began may still
// be rolled back, so its own ep_log rows are not counted as read until the next save begins.
import type { Database, Statement } from 'better-sqlite3';
import { LogMirror } from './log-mirror.js';
import { duplicateKeyHash } from './duplicate-keys.js';

/** The hash an ep_key is found by (stored in ep_log, so fixed): the duplicate keys' hash. */
export const endpointHash = duplicateKeyHash;

/** One entry as ep_log packs it: seq (u32), hash (u32), time in ms (f64), little-endian. */
const ENTRY = 16;

export function packEntries(seqs: readonly number[], hashes: readonly number[], times: readonly number[]): Buffer {
  const blob = Buffer.allocUnsafe(seqs.length * ENTRY);
  for (let i = 0; i < seqs.length; i++) {
    blob.writeUInt32LE(seqs[i]!, i * ENTRY);
    blob.writeUInt32LE(hashes[i]!, i * ENTRY + 4);
    blob.writeDoubleLE(times[i]!, i * ENTRY + 8);
  }
  return blob;
}

/** ep_log rows read per statement while filling the table (a bulk save's row holds up to ~20,000 entries: 320 KB). */
const READ_CHUNK = 64;

const ROLE_ALERT = 1;
const ROLE_FLOW = 2;
const roleCode = (role: string | null | undefined): number => (role === 'a' ? ROLE_ALERT : role === 'f' ? ROLE_FLOW : 0);

export interface EndpointRow {
  seq: number;
  post: string;
  time_ms: number;
}

export class EndpointIndex extends LogMirror {
  /** open addressing, linear probing: hash, seq (0: empty) and time per slot; one key may have many slots */
  private hashes = new Uint32Array(1 << 12);
  private seqs = new Uint32Array(1 << 12);
  private times = new Float64Array(1 << 12);
  /**
   * the role of the row an entry names, once known (ROLE_ALERT, ROLE_FLOW; 0: not known): set when this
   * connection adds the entry or reads its row, so near() need not read rows of the other role (a new flow's
   * own entry was read back by every recheck of its alerts). An entry entered again (its seq reused after a
   * rollback) starts over unknown or with its new role.
   */
  private roles = new Uint8Array(1 << 12);
  private size = 0;
  /** the first entry's bytes of row `synced` when it was read, to notice the log emptied and filled again */
  private syncedHead: Buffer | null = null;
  private readonly s: { runs: Statement; head: Statement; put: Statement; lastUpTo: Statement; count: Statement; row: Statement };
  /** the entries this connection added and has not written to ep_log yet */
  private run: { seqs: number[]; hashes: number[]; times: number[] } = { seqs: [], hashes: [], times: [] };
  /** the first ep_log row this connection wrote since its current save began (0: none): maybe not committed */
  private unsettledFrom = 0;

  constructor(db: Database) {
    super(db, 'SELECT MAX(first) FROM ep_log');
    this.s = {
      runs: db.prepare('SELECT first, data FROM ep_log WHERE first > ? ORDER BY first LIMIT ?').raw(),
      head: db.prepare('SELECT substr(data, 1, 16) FROM ep_log WHERE first = ?').pluck(),
      put: db.prepare('INSERT INTO ep_log(first, data) VALUES (?, ?) ON CONFLICT(first) DO UPDATE SET data = excluded.data'),
      lastUpTo: db.prepare('SELECT MAX(first) FROM ep_log WHERE first <= ?').pluck(),
      count: db.prepare('SELECT COALESCE(SUM(length(data)), 0) / 16 FROM ep_log').pluck(),
      row: db.prepare('SELECT seq, post, time_ms, ep_key, role, counted FROM observations WHERE seq = ?'),
    };
  }

  /** How many entries the table holds (tests). */
  get entries(): number {
    return this.size;
  }

  protected syncedRowUnchanged(): boolean {
    return this.headOf(this.synced)?.equals(this.syncedHead!) === true;
  }

  private headOf(first: number): Buffer | null {
    return (this.s.head.get(first) as Buffer | undefined) ?? null;
  }

  protected rebuild(version: number): void {
    // sized for every entry at once and an eighth more (as the duplicate keys' table)
    const n = this.s.count.get() as number;
    let capacity = 1 << 12;
    while ((n + Math.max(n >>> 3, 4096)) * 10 > capacity * 7) capacity *= 2;
    this.hashes = new Uint32Array(capacity);
    this.seqs = new Uint32Array(capacity);
    this.times = new Float64Array(capacity);
    this.roles = new Uint8Array(capacity);
    this.size = 0;
    this.synced = 0;
    this.syncedHead = null;
    const last = this.readAfter(0);
    this.advance(last);
    this.dataVersion = version;
    this.built = true;
  }

  /** Enters the entries of the ep_log rows after `after` not in the table yet; the last row's first. */
  protected readAfter(after: number): number {
    let last = after;
    for (;;) {
      const rows = this.s.runs.all(last, READ_CHUNK) as Array<[number, Buffer]>;
      for (const [, data] of rows) {
        for (let i = 0; i + ENTRY <= data.length; i += ENTRY) {
          const seq = data.readUInt32LE(i);
          const h = data.readUInt32LE(i + 4);
          const time = data.readDoubleLE(i + 8);
          this.enter(h, seq, time, 0);
        }
      }
      if (rows.length > 0) last = rows[rows.length - 1]![0];
      if (rows.length < READ_CHUNK) return last;
    }
  }

  /** Counts the ep_log rows up to `upTo` as read, but not this connection's rows of its current save (maybe rolled back). */
  protected advance(upTo: number): void {
    if (this.unsettledFrom !== 0 && upTo >= this.unsettledFrom) upTo = this.unsettledFrom - 1;
    if (upTo <= this.synced) return;
    // `synced` names a row (its head tells a refilled log apart)
    const first = (this.s.lastUpTo.get(upTo) as number | null) ?? 0;
    if (first <= this.synced) return;
    this.synced = first;
    this.syncedHead = this.headOf(first);
  }

  /** the slot of the entry of this hash, seq and time, or -1 (time too: a rolled-back row's seq may come back with the same key at another time) */
  private slotOf(h: number, seq: number, time: number): number {
    const mask = this.seqs.length - 1;
    for (let i = h & mask; this.seqs[i] !== 0; i = (i + 1) & mask) if (this.seqs[i] === seq && this.hashes[i] === h && this.times[i] === time) return i;
    return -1;
  }

  /** Enters an entry, or gives an entry already there the role now known (0: unknown, to be read from its row again). */
  private enter(h: number, seq: number, time: number, role: number): void {
    const slot = this.slotOf(h, seq, time);
    if (slot >= 0) this.roles[slot] = role;
    else this.place(h, seq, time, role);
  }

  private place(h: number, seq: number, time: number, role: number): void {
    if (seq > 0xffffffff || seq <= 0) throw new Error(`observation seq ${seq} beyond the in-memory join table's range`);
    if ((this.size + 1) * 10 > this.seqs.length * 7) this.grow();
    const mask = this.seqs.length - 1;
    let i = h & mask;
    while (this.seqs[i] !== 0) i = (i + 1) & mask;
    this.hashes[i] = h;
    this.seqs[i] = seq;
    this.times[i] = time;
    this.roles[i] = role;
    this.size++;
  }

  private grow(): void {
    const [oldHashes, oldSeqs, oldTimes, oldRoles] = [this.hashes, this.seqs, this.times, this.roles];
    this.hashes = new Uint32Array(oldSeqs.length * 2);
    this.seqs = new Uint32Array(oldSeqs.length * 2);
    this.times = new Float64Array(oldSeqs.length * 2);
    this.roles = new Uint8Array(oldSeqs.length * 2);
    const mask = this.seqs.length - 1;
    for (let j = 0; j < oldSeqs.length; j++) {
      if (oldSeqs[j] === 0) continue;
      let i = oldHashes[j]! & mask;
      while (this.seqs[i] !== 0) i = (i + 1) & mask;
      this.hashes[i] = oldHashes[j]!;
      this.seqs[i] = oldSeqs[j]!;
      this.times[i] = oldTimes[j]!;
      this.roles[i] = oldRoles[j]!;
    }
  }

  /**
   * The counted rows of this key and role whose time lies in [lo, hi], in seq order: what an index
   * on (ep_key, time_ms) over counted rows gave for `ep_key = ? AND role = ? AND counted = 1 AND time_ms BETWEEN ? AND ?`.
   */
  near(ep: string, role: 'a' | 'f', lo: number, hi: number): EndpointRow[] {
    if (!this.built) this.sync();
    const h = endpointHash(ep);
    const mask = this.seqs.length - 1;
    const want = roleCode(role);
    // candidate slots; a slot whose row is known to be of the other role is passed over unread
    let candidates: number[] | null = null;
    for (let i = h & mask; this.seqs[i] !== 0; i = (i + 1) & mask) {
      if (this.hashes[i] !== h) continue;
      const t = this.times[i]!;
      if (t < lo || t > hi) continue;
      const known = this.roles[i]!;
      if (known !== 0 && known !== want) continue;
      (candidates ??= []).push(i);
    }
    if (candidates === null) return [];
    const seqs = this.seqs;
    candidates.sort((a, b) => seqs[a]! - seqs[b]!);
    const out: EndpointRow[] = [];
    let prev = 0;
    for (const slot of candidates) {
      const seq = seqs[slot]!;
      if (seq === prev) continue;
      prev = seq;
      const r = this.s.row.get(seq) as { seq: number; post: string; time_ms: number | null; ep_key: string | null; role: string | null; counted: number } | undefined;
      // the row's role is the entry's when the row holds its key and time (else the entry is stale: its row went with a rollback)
      if (r && r.ep_key !== null && endpointHash(r.ep_key) === h && r.time_ms === this.times[slot]) this.roles[slot] = roleCode(r.role);
      if (!r || r.ep_key !== ep || r.role !== role || r.counted !== 1 || r.time_ms === null || r.time_ms < lo || r.time_ms > hi) continue;
      out.push({ seq: r.seq, post: r.post, time_ms: r.time_ms });
    }
    return out;
  }

  /** Enters a row just stored with this key, time and role (none: read from its row when needed); written to ep_log with the save's others at flushRun(). */
  add(seq: number, ep: string, time: number, role?: 'a' | 'f'): void {
    const h = endpointHash(ep);
    this.enter(h, seq, time, roleCode(role));
    this.run.seqs.push(seq);
    this.run.hashes.push(h);
    this.run.times.push(time);
  }

  /** Writes the entries added since the last call as one ep_log row (call before the transaction ends). */
  flushRun(): void {
    if (this.run.seqs.length === 0) return;
    let first = this.run.seqs[0]!;
    for (const seq of this.run.seqs) if (seq < first) first = seq;
    this.s.put.run(first, packEntries(this.run.seqs, this.run.hashes, this.run.times));
    if (this.unsettledFrom === 0) this.unsettledFrom = first;
    this.run = { seqs: [], hashes: [], times: [] };
  }

  /** A save begins, in a transaction that has added nothing yet: entries not written went with their failed transaction. */
  discardRun(): void {
    this.run = { seqs: [], hashes: [], times: [] };
    this.unsettledFrom = 0;
  }
}
