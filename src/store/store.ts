import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import type { Finding, Observation, Post } from '../contract.js';
import type { PostAnalysis } from '../analyze/types.js';
import type { ProseStatement, Question } from '../correlate/types.js';
import type { MailPost } from '../mail/types.js';
import { normalizeSubject } from '../mail/thread.js';
import { migrateOutbox } from '../deliver/outbox.js';
import { runMigrations } from './migrations.js';
import { groupKey } from '../correlate/correlate.js';
import { Aggregates, emptyTouched, type Touched } from './aggregates.js';
import { decimalQuadBytes } from '../net/ipv4.js';
import { BackgroundCheckpointer, type CheckpointResult } from './checkpointer.js';

export interface StoreOptions {
  /**
   * WAL checkpoints on a worker thread with its own connection, asked for after each commit, so a
   * post's commit never waits for one (the running bot uses it; off by default: one thread per store)
   */
  backgroundCheckpoint?: boolean;
  /** the most groups whose grp_stats rows the aggregates keep between saves (AggregatesOptions.statCacheMax) */
  statCacheMax?: number;
}

/** Post bodies longer than this are not kept (the LLM layer then sees the post without its text). */
export const MAX_STORED_TEXT = 256 * 1024;

/** A reply without References joins a thread of the same subject seen within this many days. */
const SUBJECT_THREAD_DAYS = 60;

/** How many observations of one group key a recomputation reads at most (the newest). */

export type FindingStatus = 'new' | 'growing' | 'recurring';

export interface StoredFinding {
  key: string;
  finding: Finding;
  firstDay: string;
  lastDay: string;
}

export interface FindingChange {
  /** the finding; from refreshFindings a group's finding comes without its observation ids (observations: []): read them with findingsByKeys */
  finding: Finding;
  /** true: this identity was not in the store before */
  added: boolean;
  /** reporters (or corroborating orgs) not in the stored finding before */
  newReporters: string[];
  newActors: string[];
}

export interface CursorState {
  uidValidity: string;
  lastUid: number;
}

/** What identifies a finding across recomputations, while its reporters and observations grow. */
export function findingKey(f: Finding): string {
  if (f.kind === 'same-traffic') return `same-traffic:${[...f.observations].sort().join(',')}`;
  // no kind: a campaign seen by one reporter becomes cross-reporter when a second one joins
  const key = ['flows', f.behaviour, f.family ?? '', f.actorPrefix, f.dport ?? ''].join(':');
  // backscatter answered from two ports is two findings (a prefix's web server flooded on 80 and 443)
  return f.sport === undefined ? key : `${key}:from:${f.sport}`;
}

/** Reporters and orgs that corroborate in prose: who stands behind a finding. */
export function findingReporters(f: Finding): string[] {
  return [...new Set([...f.reporters, ...f.corroborating.map((c) => c.org)])].sort();
}

export function ipv4Number(addr: string | null): number | null {
  if (!addr) return null;
  const quad = decimalQuadBytes(addr);
  if (quad) return ((quad[0]! << 24) >>> 0) + (quad[1]! << 16) + (quad[2]! << 8) + quad[3]!;
  if (!ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
  const b = ipaddr.IPv4.parse(addr).octets;
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** The post's analysis as stored: no body text, no blocks, no observations (they have their table). */
function slimAnalysis(pa: PostAnalysis): Omit<PostAnalysis, 'observations'> {
  const mail: MailPost = { ...pa.mail, text: '', blocks: [] };
  return { mail, post: pa.post, statements: pa.statements, questions: pa.questions };
}

/**
 * The bot's SQLite state (better-sqlite3, WAL). Every method is synchronous, so callers can group
 * several in one `transaction()` together with the outbox.
 */
export class Store {
  readonly db: Database;
  private readonly agg: Aggregates;
  private readonly statements = new Map<string, Statement>();

  /** checkpoints on a worker thread (opts.backgroundCheckpoint), else null */
  private readonly checkpointer: BackgroundCheckpointer | null;

  constructor(path: string, opts: StoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new BetterSqlite3(path);
    this.db.pragma('journal_mode = WAL');
    // a commit is not synced; the WAL is synced at each checkpoint. A process crash loses nothing
    // committed; a power cut may lose the last commits, and with them the IMAP cursor (same
    // database), so those posts are read and handled again, not lost.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.checkpointer = opts.backgroundCheckpoint && path !== ':memory:' ? new BackgroundCheckpointer(path) : null;
    // a checkpoint writes the WAL's pages back and syncs (tens to hundreds of ms on a slow disk):
    // the bot runs one when idle (checkpoint()) or on a worker thread after each commit
    // (backgroundCheckpoint); this bound (~40 MB of WAL, ~400 MB with the worker) only catches a
    // long busy spell or a failed worker
    this.db.pragma(`wal_autocheckpoint = ${this.checkpointer ? 100_000 : 10_000}`);
    runMigrations(this.db);
    migrateOutbox(this.db);
    this.agg = new Aggregates(this.db, groupKey, { statCacheMax: opts.statCacheMax });
    if (this.meta('aggregates') !== '1') this.rebuildAggregates();
    if (this.meta('backscatter-findings') !== 'by-port') this.splitBackscatterFindings();
  }

  /** How many groups' grp_stats rows the aggregates hold in memory between saves (tests: the cap). */
  get statRowsHeld(): number {
    return this.agg.statRowsHeld;
  }

  /**
   * A store written before backscatter findings carried the port their actors answer from (sport)
   * kept one finding row per actor prefix for all its answering ports: the last group written
   * overwrote the others. Each linked group's finding is stored again under its own identity,
   * keeping the old row's first and last day and its days (their counts are the old row's); a
   * group whose finding no row held any more is stored with the first and last day of its records.
   * Nothing to do in a new store.
   */
  private splitBackscatterFindings(): void {
    // immediate: another process opening the same old store waits, then finds the work done
    this.db.transaction(() => {
      if (this.meta('backscatter-findings') === 'by-port') return;
      const rows = this.prepare("SELECT key, first_day, last_day FROM findings WHERE key >= 'flows:backscatter:' AND key < 'flows:backscatter;'").all() as Array<{
        key: string;
        first_day: string;
        last_day: string;
      }>;
      const groupsOf = this.prepare('SELECT group_key FROM finding_groups WHERE finding_key = ?').pluck();
      const daysOf = this.prepare('SELECT day, reporters, actors, observations, grew FROM finding_days WHERE finding_key = ?');
      const insert = this.prepare(
        `INSERT INTO findings(key, id, kind, first_day, last_day, reporters, actors, json, obs_group) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, ?) ON CONFLICT(key) DO NOTHING`,
      );
      const link = this.prepare('INSERT INTO finding_groups(finding_key, group_key) VALUES (?, ?) ON CONFLICT DO NOTHING');
      const day = this.prepare(
        'INSERT INTO finding_days(finding_key, day, reporters, actors, observations, grew) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(finding_key, day) DO NOTHING',
      );
      for (const row of rows) {
        const groups = groupsOf.all(row.key) as string[];
        const days = daysOf.all(row.key) as Array<{ day: string; reporters: string; actors: string; observations: number; grew: number | null }>;
        this.prepare('DELETE FROM findings WHERE key = ?').run(row.key);
        this.prepare('DELETE FROM finding_groups WHERE finding_key = ?').run(row.key);
        this.prepare('DELETE FROM finding_days WHERE finding_key = ?').run(row.key);
        for (const g of groups) {
          const f = this.agg.finding(g)?.finding;
          if (!f) continue;
          const key = findingKey(f);
          insert.run(key, f.id, f.kind, row.first_day, row.last_day, JSON.stringify(findingReporters(f)), JSON.stringify(f), g);
          link.run(key, g);
          for (const d of days) day.run(key, d.day, d.reporters, d.actors, d.observations, d.grew);
        }
      }
      // a group the shared row no longer linked (dropped with it when another port's finding moved
      // to a wider prefix) had its finding stored nowhere: stored now, over the days of its records
      const stored = this.prepare('SELECT 1 FROM findings WHERE obs_group = ?');
      const daysOfRecords = this.prepare(
        `SELECT MIN(day) AS first, MAX(day) AS last FROM (SELECT day FROM observations WHERE group_key = ? AND counted = 1 AND join_flow IS NULL
           UNION ALL SELECT day FROM observations WHERE eff_group = ? AND join_flow IS NOT NULL AND counted = 1)`,
      );
      for (const g of this.prepare("SELECT grp FROM grp_stats WHERE grp >= 'backscatter|' AND grp < 'backscatter}'").pluck().all() as string[]) {
        if (stored.get(g) !== undefined) continue;
        const f = this.agg.finding(g)?.finding;
        if (!f) continue;
        const span = daysOfRecords.get(g, g) as { first: string | null; last: string | null };
        if (span.first === null || span.last === null) continue;
        const key = findingKey(f);
        insert.run(key, f.id, f.kind, span.first, span.last, JSON.stringify(findingReporters(f)), JSON.stringify(f), g);
        link.run(key, g);
      }
      this.setMeta('backscatter-findings', 'by-port');
    }).immediate();
  }

  /** Fills the per group key aggregates from the stored observations (once, after migration 3). */
  private rebuildAggregates(): void {
    // a rebuild that stopped before its meta row (the process ended) left what its batches wrote: from none again
    this.transaction(() =>
      this.db.exec(`DELETE FROM grp_members; DELETE FROM grp_stats; DELETE FROM dup_log; DELETE FROM dup_log_hashes; DELETE FROM dup_classes; DELETE FROM stmt_apply;
        DELETE FROM ep_log; DELETE FROM h_threads; UPDATE observations SET cls = NULL, counted = 0, eff_group = NULL, join_flow = NULL WHERE eff_group IS NOT NULL OR counted = 1;`),
    );
    this.agg.resetCache();
    const batch = this.prepare('SELECT seq, thread, group_key, actor_num, day, json FROM observations WHERE seq > ? ORDER BY seq LIMIT 2000');
    let after = 0;
    for (;;) {
      const rows = batch.all(after) as Array<{ seq: number; thread: string; group_key: string; actor_num: number | null; day: string; json: string }>;
      if (rows.length === 0) break;
      this.transaction(() => {
        const t = emptyTouched();
        const threads = new Set<string>();
        this.agg.discard();
        this.agg.syncDuplicates();
        for (const r of rows) this.agg.insert(json<Observation>(r.json), r.thread, r.group_key, r.actor_num, r.day, t, threads, r.seq);
        this.agg.flush(t, threads);
      });
      after = rows[rows.length - 1]!.seq;
    }
    this.transaction(() => {
      const t = emptyTouched();
      for (const { thread } of this.prepare('SELECT DISTINCT thread FROM statements').all() as Array<{ thread: string }>) this.agg.checkThread(thread, t);
      this.setMeta('aggregates', '1');
    });
  }

  /**
   * Reads in what the first stored post would otherwise wait for: the duplicate keys' table
   * (~0.3 s of CPU at 1,000,000 stored observations). The bot calls it when it starts.
   */
  readDuplicateKeys(): void {
    this.agg.syncDuplicates();
  }

  /** How many duplicate keys this connection holds in memory (tests). */
  get duplicateKeysHeld(): number {
    return this.agg.duplicateKeysHeld;
  }

  /** Copies the WAL back into the database without waiting for readers (for idle moments, off the per-post path). */
  checkpoint(): void {
    if (this.checkpointer?.alive) this.checkpointer.poke();
    else if (this.db.open) this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** What the worker thread's last checkpoint reported (null: none yet, or no worker). */
  lastBackgroundCheckpoint(): CheckpointResult | null {
    return this.checkpointer?.last ?? null;
  }

  /** A prepared statement, made once per SQL text (preparing costs more than running most of these). */
  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  close(): void {
    this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    const out = this.db.transaction(fn)();
    if (this.checkpointer && !this.db.inTransaction) this.checkpointer.poke();
    return out;
  }

  // ---- meta
  meta(key: string): string | null {
    const row = this.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** A random secret made once and kept (the X-Loop token's HMAC key when none is configured). */
  secret(key: string): string {
    const existing = this.meta(key);
    if (existing) return existing;
    const value = randomBytes(24).toString('hex');
    this.setMeta(key, value);
    return value;
  }

  // ---- processed Message-IDs and errors
  isProcessed(messageId: string): boolean {
    return this.prepare('SELECT 1 FROM processed WHERE message_id = ?').get(messageId) !== undefined;
  }

  processedOutcome(messageId: string): string | null {
    const row = this.prepare('SELECT outcome FROM processed WHERE message_id = ?').get(messageId) as { outcome: string } | undefined;
    return row?.outcome ?? null;
  }

  markProcessed(messageId: string, input: string, outcome: string, at: string): void {
    this.prepare('INSERT INTO processed(message_id, input, outcome, at) VALUES (?, ?, ?, ?) ON CONFLICT(message_id) DO NOTHING')
      .run(messageId, input, outcome.slice(0, 500), at);
  }

  recordError(input: string, message: string, at: string): void {
    this.prepare('INSERT INTO errors(at, input, message) VALUES (?, ?, ?)').run(at, input.slice(0, 1000), message.slice(0, 4000));
  }

  // ---- threads
  /**
   * The thread a new post belongs to: the thread of the post it answers (In-Reply-To, then
   * References newest first), else the oldest Reference (the root even when it never reached us),
   * else an earlier post with the same normalized subject, else the post itself.
   */
  threadFor(mail: Pick<MailPost, 'id' | 'inReplyTo' | 'references' | 'subject'>, now: Date = new Date()): string {
    const known = this.prepare('SELECT thread FROM posts WHERE id = ?');
    const chain = [mail.inReplyTo, ...[...mail.references].reverse()].filter((r): r is string => !!r && r !== mail.id);
    for (const ref of chain.slice(0, 200)) {
      const row = known.get(ref) as { thread: string } | undefined;
      if (row) return row.thread;
    }
    const oldest = mail.references.find((r) => r && r !== mail.id);
    if (oldest) return oldest;
    // by subject only for a reply ("Re: ...", list tag aside) and only to a recent thread
    const key = normalizeSubject(mail.subject);
    const untagged = (mail.subject ?? '').replace(/^\s*\[[^\]]{1,80}\]\s*/, '');
    const looksLikeReply = key !== '' && key !== untagged.replace(/\s+/g, ' ').trim().toLowerCase();
    if (looksLikeReply) {
      const since = new Date(now.getTime() - SUBJECT_THREAD_DAYS * 86_400_000).toISOString();
      const row = this.prepare('SELECT thread FROM posts WHERE subject_key = ? AND received_at >= ? ORDER BY received_at LIMIT 1')
        .get(key, since) as { thread: string } | undefined;
      if (row) return row.thread;
    }
    return mail.inReplyTo ?? mail.id;
  }

  threadState(id: string): { replies: number; autoReplied: boolean } {
    const row = this.prepare('SELECT replies, auto_replied FROM threads WHERE id = ?').get(id) as { replies: number; auto_replied: number } | undefined;
    return { replies: row?.replies ?? 0, autoReplied: !!row?.auto_replied };
  }

  countThreadReply(id: string, auto: boolean): void {
    this.prepare('UPDATE threads SET replies = replies + 1, auto_replied = MAX(auto_replied, ?) WHERE id = ?')
      .run(auto ? 1 : 0, id);
  }

  // ---- posts
  hasPost(id: string): boolean {
    return this.prepare('SELECT 1 FROM posts WHERE id = ?').get(id) !== undefined;
  }

  /** Stores a post's analysis (observations indexed by group key). Returns false if it was stored before. */
  savePost(pa: PostAnalysis, groupKeyOf: (o: Observation) => string, day: string, at: string): boolean {
    return this.saveAnalysis(pa, groupKeyOf, day, at) !== null;
  }

  /**
   * Stores a post's analysis and takes it into the per group key aggregates; what it changed
   * (for refreshFindings), or null if the post was stored before.
   */
  saveAnalysis(pa: PostAnalysis, groupKeyOf: (o: Observation) => string, day: string, at: string): Touched | null {
    const touched = emptyTouched();
    const threads = new Set<string>();
    // what an earlier post left unflushed when its transaction failed was rolled back with it
    this.agg.discard();
    if (!this.storePost(pa, groupKeyOf, day, at, touched, threads)) return null;
    this.agg.flush(touched, threads);
    for (const thread of threads) this.agg.checkThread(thread, touched);
    return touched;
  }

  /**
   * Stores many posts at once (an archive import), in one transaction: the same rows and
   * aggregates as savePost for each in turn, but each group's counts, members and time span are
   * written once per call instead of once per post. Findings are not refreshed (as with savePost:
   * the next post that touches a group rebuilds its findings from the aggregates). Returns how
   * many posts were new. Batches of a few thousand posts keep the transaction's memory bounded.
   */
  savePosts(items: Iterable<{ analysis: PostAnalysis; day: string; at: string }>, groupKeyOf: (o: Observation) => string): number {
    const saved = this.db.transaction(() => {
      const touched = emptyTouched();
      const threads = new Set<string>();
      this.agg.discard();
      let saved = 0;
      for (const { analysis, day, at } of items) if (this.storePost(analysis, groupKeyOf, day, at, touched, threads)) saved++;
      this.agg.flush(touched, threads);
      for (const thread of threads) this.agg.checkThread(thread, touched);
      return saved;
    })();
    // a batch writes ~10 WAL pages per observation: copied back here, in the import's time, so the
    // WAL does not outgrow what the bot's checkpoints keep up with and the next post finds it short
    if (!this.db.inTransaction) this.db.pragma('wal_checkpoint(PASSIVE)');
    return saved;
  }

  /** The post's own rows and its observations' shares (left pending for agg.flush); false if it was stored before. */
  private storePost(pa: PostAnalysis, groupKeyOf: (o: Observation) => string, day: string, at: string, touched: Touched, threads: Set<string>): boolean {
    const p = pa.post;
    const inserted = this.prepare(
      `INSERT INTO posts(id, thread, subject, subject_key, date, from_address, from_org, tlp, day, received_at, analysis, mail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    ).run(
      p.id,
      p.thread,
      p.subject,
      normalizeSubject(p.subject),
      p.date,
      p.from.address?.toLowerCase() ?? null,
      p.from.org,
      pa.mail.tlp,
      day,
      at,
      JSON.stringify(slimAnalysis(pa)),
      pa.mail.text.length <= MAX_STORED_TEXT ? JSON.stringify({ text: pa.mail.text, blocks: pa.mail.blocks }) : null,
    );
    if (inserted.changes === 0) return false;
    // after the post's row: the write lock is held, so no other connection adds keys until the commit
    this.agg.syncDuplicates();
    for (const o of pa.observations) this.agg.insert(o, p.thread, groupKeyOf(o), ipv4Number(o.actor), day, touched, threads);
    const insSt = this.prepare('INSERT INTO statements(post, thread, json) VALUES (?, ?, ?)');
    for (const s of pa.statements) insSt.run(s.post, p.thread, JSON.stringify({ ...s, thread: p.thread }));
    if (pa.statements.length > 0) threads.add(p.thread);
    const insQ = this.prepare('INSERT INTO questions(post, thread, text, from_address, received_at) VALUES (?, ?, ?, ?, ?)');
    for (const q of pa.questions) insQ.run(q.post, p.thread, q.text, p.from.address?.toLowerCase() ?? null, at);
    this.prepare(
      `INSERT INTO threads(id, subject, last_post_at) VALUES (?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET last_post_at = excluded.last_post_at`,
    ).run(p.thread, p.subject, at);
    return true;
  }

  /** The thread's posts as PostAnalysis (bodies not kept), in arrival order. */
  threadAnalyses(thread: string, limit = 500): PostAnalysis[] {
    const rows = this.prepare('SELECT id, analysis FROM posts WHERE thread = ? ORDER BY received_at, rowid LIMIT ?')
      .all(thread, limit) as Array<{ id: string; analysis: string }>;
    const obsStmt = this.prepare('SELECT json FROM observations WHERE post = ? ORDER BY seq');
    return rows.map((r) => {
      const a = json<Omit<PostAnalysis, 'observations'>>(r.analysis);
      const observations = (obsStmt.all(r.id) as Array<{ json: string }>).map((o) => json<Observation>(o.json));
      return { ...a, observations };
    });
  }

  /** The posts as MailPost, with their text and blocks where kept (for the LLM layer). */
  mailsOf(ids: Iterable<string>): MailPost[] {
    const stmt = this.prepare('SELECT analysis, mail FROM posts WHERE id = ?');
    const out: MailPost[] = [];
    for (const id of new Set(ids)) {
      const row = stmt.get(id) as { analysis: string; mail: string | null } | undefined;
      if (!row) continue;
      const slim = json<Omit<PostAnalysis, 'observations'>>(row.analysis).mail;
      out.push(row.mail ? { ...slim, ...json<Pick<MailPost, 'text' | 'blocks'>>(row.mail) } : slim);
    }
    return out;
  }

  postsByIds(ids: Iterable<string>): Post[] {
    const stmt = this.prepare('SELECT analysis FROM posts WHERE id = ?');
    const out: Post[] = [];
    for (const id of new Set(ids)) {
      const row = stmt.get(id) as { analysis: string } | undefined;
      if (row) out.push(json<Omit<PostAnalysis, 'observations'>>(row.analysis).post);
    }
    return out;
  }

  postRow(id: string): { id: string; thread: string; subject: string | null; fromAddress: string | null; tlp: string | null; day: string } | null {
    const row = this.prepare('SELECT id, thread, subject, from_address AS fromAddress, tlp, day FROM posts WHERE id = ?')
      .get(id) as { id: string; thread: string; subject: string | null; fromAddress: string | null; tlp: string | null; day: string } | undefined;
    return row ?? null;
  }

  observation(id: string): Observation | null {
    const row = this.prepare('SELECT json FROM observations WHERE id = ?').get(id) as { json: string } | undefined;
    return row ? json<Observation>(row.json) : null;
  }

  /** The post of each observation id that exists, without reading the observations themselves. */
  postsOfObservations(ids: Iterable<string>): Map<string, string> {
    const stmt = this.prepare('SELECT post FROM observations WHERE id = ?');
    const out = new Map<string, string>();
    for (const id of new Set(ids)) {
      const row = stmt.get(id) as { post: string } | undefined;
      if (row) out.set(id, row.post);
    }
    return out;
  }

  /** Observations whose id starts with `prefix` (ids are long hashes; people type a few characters). */
  observationsByIdPrefix(prefix: string, limit = 5): Observation[] {
    const rows = this.prepare('SELECT json FROM observations WHERE id >= ? AND id < ? ORDER BY id LIMIT ?')
      .all(prefix, `${prefix}\uffff`, limit) as Array<{ json: string }>;
    return rows.map((r) => json<Observation>(r.json));
  }


  statementsOfThreads(threads: Iterable<string>): ProseStatement[] {
    const stmt = this.prepare('SELECT json FROM statements WHERE thread = ? LIMIT 1000');
    const out: ProseStatement[] = [];
    for (const t of new Set(threads)) for (const r of stmt.all(t) as Array<{ json: string }>) out.push(json<ProseStatement>(r.json));
    return out;
  }

  /** Observations whose IPv4 actor lies in [first, last] (inclusive), newest first. */
  observationsByActorRange(first: number, last: number, limit = 2000): Observation[] {
    const rows = this.prepare('SELECT json FROM observations WHERE actor_num BETWEEN ? AND ? ORDER BY seq DESC LIMIT ?')
      .all(first, last, limit) as Array<{ json: string }>;
    return rows.map((r) => json<Observation>(r.json));
  }

  observationsByActor(actor: string, limit = 2000): Observation[] {
    // an IPv4 actor is indexed by its number only (migration 6)
    const num = ipv4Number(actor);
    const rows = (
      num === null
        ? this.prepare('SELECT json FROM observations WHERE actor_num IS NULL AND actor = ? ORDER BY seq DESC LIMIT ?').all(actor, limit)
        : this.prepare('SELECT json FROM observations WHERE actor_num = ? AND actor = ? ORDER BY seq DESC LIMIT ?').all(num, actor, limit)
    ) as Array<{ json: string }>;
    return rows.map((r) => json<Observation>(r.json));
  }

  postsOfDay(day: string): Array<{ post: Post; tlp: string | null }> {
    const rows = this.prepare('SELECT analysis, tlp FROM posts WHERE day = ? ORDER BY received_at, rowid').all(day) as Array<{ analysis: string; tlp: string | null }>;
    return rows.map((r) => ({ post: json<Omit<PostAnalysis, 'observations'>>(r.analysis).post, tlp: r.tlp }));
  }

  observationsOfDay(day: string, limit = 50_000): Observation[] {
    const rows = this.prepare('SELECT json FROM observations WHERE day = ? ORDER BY seq LIMIT ?').all(day, limit) as Array<{ json: string }>;
    return rows.map((r) => json<Observation>(r.json));
  }

  /** Questions asked since `sinceAt` that nobody else has answered in the thread since. */
  openQuestions(sinceAt: string, limit = 50): Question[] {
    const rows = this.prepare(
        `SELECT q.post, q.thread, q.text FROM questions q
         WHERE q.received_at >= ?
           AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.thread = q.thread AND p.received_at > q.received_at
                            AND COALESCE(p.from_address, '') <> COALESCE(q.from_address, ''))
         ORDER BY q.received_at LIMIT ?`,
      )
      .all(sinceAt, limit) as Question[];
    return rows;
  }

  // ---- findings
  storedFinding(key: string): StoredFinding | null {
    const row = this.prepare('SELECT key, json, first_day, last_day, obs_group FROM findings WHERE key = ?').get(key) as
      | { key: string; json: string; first_day: string; last_day: string; obs_group: string | null }
      | undefined;
    return row ? { key: row.key, finding: this.findingOf(row), firstDay: row.first_day, lastDay: row.last_day } : null;
  }

  /** A stored finding with its observation ids (a group's finding keeps them in the observations table). */
  private findingOf(row: { json: string; obs_group: string | null }): Finding {
    const f = json<Finding>(row.json);
    if (row.obs_group !== null) f.observations = this.agg.observationIds(row.obs_group);
    return f;
  }

  /**
   * Builds the findings of what a saved post touched from the aggregates (the groups' findings,
   * and the same-traffic findings of joins made or undone) and stores them, keeping each
   * identity's first day and whether it grew that day. Returns what changed.
   */
  refreshFindings(touched: Touched, day: string): FindingChange[] {
    type PrevRow = { key: string; reporters: string; first_day: string; last_day: string; json: string; obs_group: string | null };
    type Prev = { reporters: string[]; first: string; last: string; json: string; group: string | null };
    const get = this.prepare('SELECT key, reporters, first_day, last_day, json, obs_group FROM findings WHERE key = ?');
    const prevOf = (row: PrevRow): Prev => ({ reporters: json(row.reporters), first: row.first_day, last: row.last_day, json: row.json, group: row.obs_group });
    // the rows of the touched groups' findings, read with the identities they hold (before), so most are not read twice
    const rowsOfGroups = new Map<string, PrevRow>();
    const read = (key: string): Prev | undefined => {
      const row = rowsOfGroups.get(key) ?? (get.get(key) as PrevRow | undefined);
      return row && prevOf(row);
    };
    const drop = (key: string): void => {
      this.prepare('DELETE FROM findings WHERE key = ?').run(key);
      this.prepare('DELETE FROM finding_groups WHERE finding_key = ?').run(key);
      this.prepare('DELETE FROM finding_days WHERE finding_key = ?').run(key);
    };
    const produced: Array<{ finding: Finding; group: string; ownsIds: boolean; n: number }> = [];
    for (const g of touched.groups) {
      const r = this.agg.finding(g, touched.stats);
      if (r) produced.push({ finding: r.finding, group: g, ownsIds: true, n: r.n });
    }
    const madeJoins = new Set<string>();
    for (const j of touched.joinsAdded) {
      const jf = this.agg.joinFinding(j.alert, j.flow);
      if (!jf) continue;
      madeJoins.add(findingKey(jf.finding));
      produced.push({ finding: jf.finding, group: jf.group, ownsIds: false, n: jf.finding.observations.length });
    }
    for (const j of touched.joinsRemoved) {
      const ids = this.agg.idsOf(j.alert, j.flow);
      if (!ids) continue;
      const key = `same-traffic:${[...ids].sort().join(',')}`;
      if (!madeJoins.has(key)) drop(key);
    }
    const order: Record<string, number> = { 'cross-reporter': 0, campaign: 1, 'same-traffic': 2 };
    const ms = (t: string | null): number => {
      const v = t ? Date.parse(t) : NaN;
      return Number.isFinite(v) ? v : 0;
    };
    produced.sort((a, b) => order[a.finding.kind]! - order[b.finding.kind]! || ms(a.finding.first) - ms(b.finding.first) || (a.finding.id < b.finding.id ? -1 : 1));

    const before = new Set<string>();
    const ofGroup = this.prepare('SELECT key, reporters, first_day, last_day, json, obs_group FROM findings WHERE obs_group = ?');
    for (const g of touched.groups) {
      for (const row of ofGroup.all(g) as PrevRow[]) {
        before.add(row.key);
        rowsOfGroups.set(row.key, row);
      }
    }
    // a finding stored again the same day for the same group: its last day and group stay, so their indexes are not written
    const update = this.prepare('UPDATE findings SET id = ?, kind = ?, reporters = ?, actors = \'[]\', json = ? WHERE key = ?');
    const upsert = this.prepare(
      `INSERT INTO findings(key, id, kind, first_day, last_day, reporters, actors, json, obs_group) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, ?)
       ON CONFLICT(key) DO UPDATE SET id = excluded.id, kind = excluded.kind, last_day = excluded.last_day, reporters = excluded.reporters,
         actors = excluded.actors, json = excluded.json, obs_group = excluded.obs_group`,
    );
    const link = this.prepare('INSERT INTO finding_groups(finding_key, group_key) VALUES (?, ?) ON CONFLICT DO NOTHING');
    const dayRow = this.prepare(
      `INSERT INTO finding_days(finding_key, day, reporters, actors, observations, grew) VALUES (?, ?, ?, '[]', ?, ?)
       ON CONFLICT(finding_key, day) DO UPDATE SET reporters = excluded.reporters, actors = excluded.actors,
         observations = excluded.observations, grew = MAX(COALESCE(grew, 0), excluded.grew)`,
    );
    const changes: FindingChange[] = [];
    const done = new Set<string>();
    for (const { finding: f, group, ownsIds, n } of produced) {
      let key = findingKey(f);
      if (done.has(key)) key = `${key}:${f.kind}`;
      if (done.has(key)) continue;
      done.add(key);
      const reporters = findingReporters(f);
      const prev = read(key);
      const newReporters = prev ? reporters.filter((r) => !prev.reporters.includes(r)) : reporters;
      // actors this post brought into the group (a same-traffic finding's never change)
      const newActors = ownsIds ? [...(touched.newActors.get(group) ?? [])].sort() : [];
      const changed = !prev || newReporters.length > 0 || newActors.length > 0;
      const fJson = JSON.stringify(f);
      const obsGroup = ownsIds ? group : null;
      if (changed || prev?.json !== fJson) {
        const reportersJson = JSON.stringify(reporters);
        if (prev && prev.last === day && prev.group === obsGroup) update.run(f.id, f.kind, reportersJson, fJson, key);
        else upsert.run(key, f.id, f.kind, prev?.first ?? day, day, reportersJson, fJson, obsGroup);
        dayRow.run(key, day, reportersJson, n, prev && (newReporters.length > 0 || newActors.length > 0) ? 1 : 0);
      }
      // a row that names this group as its obs_group was linked to it when written (with its link, in one transaction)
      if (group && !(prev && obsGroup !== null && prev.group === obsGroup)) link.run(key, group);
      if (changed) changes.push({ finding: f, added: !prev, newReporters, newActors });
    }
    // identities of these groups the aggregates no longer yield (e.g. a prefix that widened)
    for (const key of before) if (!done.has(key)) drop(key);
    return changes;
  }

  /** Findings that changed on `day`, with whether they are new, growing or recurring that day. */
  findingsOfDay(day: string): Array<{ finding: Finding; status: FindingStatus; firstDay: string }> {
    const rows = this.prepare('SELECT key, json, first_day, obs_group FROM findings WHERE last_day = ? ORDER BY first_day, key').all(day) as Array<{
      key: string;
      json: string;
      first_day: string;
      obs_group: string | null;
    }>;
    const prevDay = this.prepare('SELECT reporters, actors FROM finding_days WHERE finding_key = ? AND day < ? ORDER BY day DESC LIMIT 1');
    const thatDay = this.prepare('SELECT reporters, actors, grew FROM finding_days WHERE finding_key = ? AND day = ?');
    return rows.map((r) => {
      const finding = this.findingOf(r);
      if (r.first_day === day) return { finding, status: 'new' as const, firstDay: r.first_day };
      const prev = prevDay.get(r.key, day) as { reporters: string; actors: string } | undefined;
      const now = thatDay.get(r.key, day) as { reporters: string; actors: string; grew: number | null } | undefined;
      let growing = false;
      if (prev && now && now.grew !== null) {
        growing = now.grew === 1;
      } else if (prev && now) {
        const pr = json<string[]>(prev.reporters);
        const pa = json<string[]>(prev.actors);
        growing = json<string[]>(now.reporters).some((x) => !pr.includes(x)) || json<string[]>(now.actors).some((x) => !pa.includes(x));
      }
      return { finding, status: growing ? ('growing' as const) : ('recurring' as const), firstDay: r.first_day };
    });
  }

  /** The stored findings of these identities (findingKey), those that exist. */
  findingsByKeys(keys: Iterable<string>): StoredFinding[] {
    const out: StoredFinding[] = [];
    for (const k of new Set(keys)) {
      const f = this.storedFinding(k);
      if (f) out.push(f);
    }
    return out;
  }

  findingKeysOfGroups(groupKeys: Iterable<string>): string[] {
    const stmt = this.prepare('SELECT finding_key FROM finding_groups WHERE group_key = ?');
    const out = new Set<string>();
    for (const g of new Set(groupKeys)) for (const r of stmt.all(g) as Array<{ finding_key: string }>) out.add(r.finding_key);
    return [...out];
  }

  /** The group keys of these observations: as stored and as correlated (a joined alert counts in its flow's group). */
  groupKeysOfObservations(ids: Iterable<string>): string[] {
    const stmt = this.prepare('SELECT group_key, eff_group FROM observations WHERE id = ?');
    const out = new Set<string>();
    for (const id of new Set(ids)) {
      const r = stmt.get(id) as { group_key: string; eff_group: string | null } | undefined;
      if (r) out.add(r.group_key);
      if (r?.eff_group) out.add(r.eff_group);
    }
    return [...out];
  }

  // ---- cursor
  cursor(mailbox: string): CursorState | null {
    const row = this.prepare('SELECT uid_validity, last_uid FROM cursor WHERE mailbox = ?').get(mailbox) as { uid_validity: string; last_uid: number } | undefined;
    return row ? { uidValidity: row.uid_validity, lastUid: row.last_uid } : null;
  }

  setCursor(mailbox: string, state: CursorState, at: string): void {
    this.prepare(
        `INSERT INTO cursor(mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
      )
      .run(mailbox, state.uidValidity, state.lastUid, at);
  }

  // ---- members, subscriptions, requests
  isMember(address: string): boolean {
    return this.prepare('SELECT 1 FROM members WHERE address = ?').get(address.toLowerCase()) !== undefined;
  }

  addMember(address: string, at: string): void {
    this.prepare(
        `INSERT INTO members(address, first_seen, last_seen, posts) VALUES (?, ?, ?, 1)
         ON CONFLICT(address) DO UPDATE SET last_seen = excluded.last_seen, posts = posts + 1`,
      )
      .run(address.toLowerCase(), at, at);
  }

  subscribe(address: string, at: string): boolean {
    return this.prepare('INSERT INTO subscriptions(address, since) VALUES (?, ?) ON CONFLICT(address) DO NOTHING').run(address.toLowerCase(), at).changes > 0;
  }

  unsubscribe(address: string): boolean {
    return this.prepare('DELETE FROM subscriptions WHERE address = ?').run(address.toLowerCase()).changes > 0;
  }

  subscribers(): string[] {
    return (this.prepare('SELECT address FROM subscriptions ORDER BY address').all() as Array<{ address: string }>).map((r) => r.address);
  }

  countRequests(sender: string, sinceAt: string): number {
    const row = this.prepare('SELECT COUNT(*) AS n FROM requests WHERE sender = ? AND at >= ?').get(sender.toLowerCase(), sinceAt) as { n: number };
    return row.n;
  }

  addRequest(sender: string, at: string, post: string, command: string): void {
    this.prepare('INSERT INTO requests(sender, at, post, command) VALUES (?, ?, ?, ?)').run(sender.toLowerCase(), at, post, command);
  }

  // ---- digests
  markDigest(day: string, at: string, findings: number): void {
    this.prepare('INSERT INTO digests(day, sent_at, findings) VALUES (?, ?, ?) ON CONFLICT(day) DO NOTHING').run(day, at, findings);
  }

  lastDigestAt(): string | null {
    const row = this.prepare('SELECT sent_at FROM digests ORDER BY day DESC LIMIT 1').get() as { sent_at: string } | undefined;
    return row?.sent_at ?? null;
  }

  counts(): { posts: number; observations: number; findings: number; members: number } {
    const n = (sql: string) => (this.prepare(sql).get() as { n: number }).n;
    return {
      posts: n('SELECT COUNT(*) AS n FROM posts'),
      observations: n('SELECT COUNT(*) AS n FROM observations'),
      findings: n('SELECT COUNT(*) AS n FROM findings'),
      members: n('SELECT COUNT(*) AS n FROM members'),
    };
  }
}
