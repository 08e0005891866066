// Incremental correlation: per group key aggregates kept up to date observation by observation,
// so a new post costs the rows it touches, not the history of its group keys. What a full
// `analyzeThread` over every stored post would do is reproduced step by step:
//  - duplicates (markDuplicates): each record's equivalence class is found by its two duplicate
//    keys (in memory, see duplicate-keys.ts); a class's original changes only when an unquoted copy follows quoted ones;
//  - alert↔flow joins (joinAlertsToFlows/applyJoin): a counted alert's best flow is looked up by
//    its 5-tuple key and time window; a new or vanished flow re-checks the alerts of its window;
//  - correlate: counts, distinct actors/targets/reporters/families/ports/threads per group key
//    (reference-counted rows), time span by index, corroborating statements applied per thread.
// A test (test/store-incremental.test.ts) feeds the same posts to this and to analyzeThread and
// compares the findings.

import type { Database, Statement } from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import type { Corroboration, Finding, Observation } from '../contract.js';
import type { Behaviour } from '../contract.js';
import { answeringPortOf, groupFindingId, groupFindingKind, groupFindingSummary, sameTrafficFinding, statementMatches } from '../correlate/correlate.js';
import { duplicateKey, wallClockDuplicateKey } from '../correlate/duplicates.js';
import { coveringPrefix } from '../correlate/prefix.js';
import type { ProseStatement } from '../correlate/types.js';
import { JOIN_WINDOW_MS, isAlertObservation, isFlowObservation } from '../classify/join.js';
import { decimalQuadBytes } from '../net/ipv4.js';
import { DuplicateKeys } from './duplicate-keys.js';
import { EndpointIndex } from './endpoints.js';

/** What one saved post changed: the group keys to rebuild findings for, and the joins made or undone. */
export interface Touched {
  groups: Set<string>;
  /** actors that became part of a group with this post, per group */
  newActors: Map<string, Set<string>>;
  joinsAdded: Array<{ alert: number; flow: number }>;
  joinsRemoved: Array<{ alert: number; flow: number }>;
  /**
   * each group's grp_stats row as the save's flush wrote it (null: it went), so its finding need not
   * read it back; valid in the save's transaction, until another save
   */
  stats: Map<string, StatRow | null>;
}

export function emptyTouched(): Touched {
  return { groups: new Set(), newActors: new Map(), joinsAdded: [], joinsRemoved: [], stats: new Map() };
}

interface Row {
  seq: number;
  id: string;
  post: string;
  thread: string;
  cls: string | null;
  quoted: number;
  counted: number;
  eff_group: string | null;
  eff_actor: string | null;
  eff_target: string | null;
  eff_family: string | null;
  org: string | null;
  dport: number | null;
  time: string | null;
  time_ms: number | null;
  ep_key: string | null;
  role: string | null;
  join_flow: number | null;
  json: string;
}

function timeMs(t: string | null): number | null {
  if (!t) return null;
  const v = Date.parse(t);
  return Number.isFinite(v) ? v : null;
}

function orgOf(o: Observation): string | null {
  return o.reporter.org ?? o.reporter.address ?? null;
}

function endpointKey(o: Observation): string | null {
  if (!o.src || !o.dst) return null;
  const a = `${o.src.toLowerCase()}:${o.sport ?? ''}`;
  const b = `${o.dst.toLowerCase()}:${o.dport ?? ''}`;
  const [x, y] = a < b ? [a, b] : [b, a];
  const reporter = o.reporter.org ?? o.reporter.address ?? `post:${o.post}`;
  return `${(o.proto ?? '').toLowerCase()}|${x}|${y}|${reporter}`;
}


/** The address's bytes as fixed-width hex (sorts like the number), as correlate/prefix.ts parses it. */
function actorHex(addr: string): string | null {
  const quad = decimalQuadBytes(addr);
  if (quad) return quad.map((b) => b.toString(16).padStart(2, '0')).join('');
  if (addr.length > 64) return null;
  try {
    if (!ipaddr.isValid(addr)) return null;
    if (addr.includes('.') && !addr.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
    return ipaddr
      .process(addr)
      .toByteArray()
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
  } catch {
    return null;
  }
}

function hexToAddress(hex: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return ipaddr.fromByteArray(bytes).toString();
}

// correlate.ts's words (not exported there); the equivalence test catches a drift



/** behaviour|port|prefix → its parts; null for the actor-less group ('none'), which makes no finding. */
function splitGroup(key: string): { behaviour: Behaviour; prefix16: string } | null {
  const a = key.indexOf('|');
  const b = key.indexOf('|', a + 1);
  if (a < 0 || b < 0) return null;
  const prefix16 = key.slice(b + 1);
  if (prefix16 === 'none') return null;
  return { behaviour: key.slice(0, a) as Behaviour, prefix16 };
}

const SQL = {
  row: 'SELECT seq, id, post, thread, cls, quoted, counted, eff_group, eff_actor, eff_target, eff_family, org, dport, time, time_ms, ep_key, role, join_flow, json FROM observations WHERE seq = ?',
  insert: `INSERT INTO observations(id, post, thread, group_key, actor, actor_num, time, class, day, json,
             cls, quoted, counted, eff_group, eff_actor, eff_target, eff_family, join_flow, org, dport, time_ms, ep_key, role)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
  refill: `UPDATE observations SET cls = ?, quoted = ?, counted = ?, eff_group = ?, eff_actor = ?, eff_target = ?, eff_family = ?, join_flow = ?,
             org = ?, dport = ?, time_ms = ?, ep_key = ?, role = ? WHERE seq = ?`,
  setCounted: 'UPDATE observations SET counted = ? WHERE seq = ?',
  setEff: 'UPDATE observations SET eff_group = ?, eff_actor = ?, eff_target = ?, eff_family = ?, join_flow = ? WHERE seq = ?',
  // a class's original is its first record (whose id names the class) until a flip moves it: only moved ones have a row
  original: 'SELECT o.seq, o.post, o.quoted FROM dup_classes c JOIN observations o ON o.seq = c.original WHERE c.cls = ?',
  firstOfClass: 'SELECT seq, post, quoted FROM observations WHERE id = ?',
  clsPut: 'INSERT INTO dup_classes(cls, original) VALUES (?, ?) ON CONFLICT(cls) DO UPDATE SET original = excluded.original',
  clsMembers: 'SELECT seq FROM observations WHERE cls = ? ORDER BY seq',
  memberAdd: `INSERT INTO grp_members(grp, kind, value, n, sort) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(grp, kind, value) DO UPDATE SET n = n + excluded.n RETURNING n`,
  memberDel: 'DELETE FROM grp_members WHERE grp = ? AND kind = ? AND value = ?',
  members: 'SELECT value FROM grp_members WHERE grp = ? AND kind = ?',
  membersTwo: 'SELECT value FROM grp_members WHERE grp = ? AND kind = ? LIMIT 2',
  // a group's lowest and highest actor, read again only when an actor left it (rare: a copy's original moved, a join changed)
  actorSpan: "SELECT MIN(sort) AS lo, MAX(sort) AS hi FROM grp_members WHERE grp = ? AND kind = 'a'",
  // with the group's port (statements match on it)
  groupsOfThread: "SELECT m.grp, s.ports, s.port FROM grp_members m LEFT JOIN grp_stats s ON s.grp = m.grp WHERE m.kind = 'h' AND m.value = ?",
  statDel: 'DELETE FROM grp_stats WHERE grp = ?',
  stat: `SELECT n, actors, targets, first_ms, first_seq, first_time, last_ms, last_seq, last_time, actor_lo, actor_hi,
           reporters, families, family, ports, port, reporter_n, family_n, key_port_n FROM grp_stats WHERE grp = ?`,
  // a group's row as flush leaves it, in one statement (it used to take up to five per group)
  statPut: `INSERT INTO grp_stats(grp, n, actors, targets, first_ms, first_seq, first_time, last_ms, last_seq, last_time, actor_lo, actor_hi,
              reporters, families, family, ports, port, reporter_n, family_n, key_port_n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(grp) DO UPDATE SET n = excluded.n, actors = excluded.actors, targets = excluded.targets, first_ms = excluded.first_ms,
              first_seq = excluded.first_seq, first_time = excluded.first_time, last_ms = excluded.last_ms, last_seq = excluded.last_seq,
              last_time = excluded.last_time, actor_lo = excluded.actor_lo, actor_hi = excluded.actor_hi, reporters = excluded.reporters,
              families = excluded.families, family = excluded.family, ports = excluded.ports, port = excluded.port,
              reporter_n = excluded.reporter_n, family_n = excluded.family_n, key_port_n = excluded.key_port_n`,
  // a group's counted rows: its own (eff_group is group_key unless joined) and the alerts joined into it
  groupTimes: `SELECT seq, time, time_ms FROM observations WHERE group_key = ? AND counted = 1 AND join_flow IS NULL AND time_ms IS NOT NULL
               UNION ALL SELECT seq, time, time_ms FROM observations WHERE eff_group = ? AND join_flow IS NOT NULL AND counted = 1 AND time_ms IS NOT NULL`,
  stmtsOfThread: 'SELECT rowid AS id, json FROM statements WHERE thread = ? ORDER BY rowid',
  applied: 'SELECT stmt, grp FROM stmt_apply WHERE thread = ?',
  apply: 'INSERT INTO stmt_apply(stmt, grp, org, thread) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  unapply: 'DELETE FROM stmt_apply WHERE stmt = ? AND grp = ?',
  // each org's first statement, through stmt_apply_grp (no sorter): one row per org instead of every row of the group
  // (a corroborated group of the bench's store has up to ~300: ~57 us a group read whole, ~14 us this way)
  corroborators: 'SELECT org, MIN(stmt) AS stmt FROM stmt_apply WHERE grp = ? GROUP BY org ORDER BY org',
  corroboratedGroups: 'SELECT DISTINCT grp FROM stmt_apply',
  // the aggregates' generation: each flush counts it up, so a connection finds out whether its last flush
  // committed and nothing else flushed since (its cached rows are then the stored ones)
  genGet: "SELECT value FROM meta WHERE key = 'agg-gen'",
  genPut: "INSERT INTO meta(key, value) VALUES ('agg-gen', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  dataVersion: 'PRAGMA data_version',
  statement: 'SELECT json FROM statements WHERE rowid = ?',
  // thread members ('h') are kept only for threads with statements (migration 12): the threads listed here
  tracked: 'SELECT 1 FROM h_threads WHERE thread = ?',
  track: 'INSERT INTO h_threads(thread) VALUES (?) ON CONFLICT(thread) DO NOTHING',
  hasStatements: 'SELECT 1 FROM statements WHERE thread = ? LIMIT 1',
  threadMembersDel: "DELETE FROM grp_members WHERE kind = 'h' AND value = ?",
  // a thread's groups as its counted rows give them (what its 'h' members count), read when its first statement comes
  threadGroups: `SELECT o.eff_group AS grp, COUNT(*) AS n FROM posts p JOIN observations o ON o.post = p.id
                 WHERE p.thread = ? AND o.thread = ? AND o.counted = 1 AND o.eff_group IS NOT NULL GROUP BY o.eff_group`,
  threadMemberPut: "INSERT INTO grp_members(grp, kind, value, n, sort) VALUES (?, 'h', ?, ?, NULL)",
  threadsWithStatements: `SELECT DISTINCT m.value AS thread FROM grp_members m WHERE m.grp = ? AND m.kind = 'h'
                          AND EXISTS (SELECT 1 FROM statements s WHERE s.thread = m.value)`,
  ids: `SELECT id, seq FROM observations WHERE group_key = ? AND counted = 1 AND join_flow IS NULL
        UNION ALL SELECT id, seq FROM observations WHERE eff_group = ? AND join_flow IS NOT NULL AND counted = 1 ORDER BY seq`,
};

type Kind = 'a' | 't' | 'p' | 'h';

/** The most grp_stats rows the aggregates keep in memory between saves (the bench's 1,000,000 stored observations have ~3,600 groups). */
export const STAT_CACHE_MAX = 50_000;

export interface AggregatesOptions {
  /** the most groups whose grp_stats rows are kept between saves (default STAT_CACHE_MAX); the cache starts over past it */
  statCacheMax?: number;
}

export interface StatRow {
  n: number;
  actors: number;
  targets: number;
  first_ms: number | null;
  first_seq: number | null;
  first_time: string | null;
  last_ms: number | null;
  last_seq: number | null;
  last_time: string | null;
  actor_lo: string | null;
  actor_hi: string | null;
  reporters: string;
  families: number;
  family: string | null;
  ports: number;
  port: string | null;
  /** the group's reporters and families with how many counted rows each has, as [value, n] pairs sorted by value (migration 10) */
  reporter_n: string;
  family_n: string;
  /** how many counted rows have the port the group's key names (their port has no grp_members row; migration 10) */
  key_port_n: number;
}

/** A new group's row before its first rows count. */
function emptyStat(): StatRow {
  return {
    n: 0, actors: 0, targets: 0, first_ms: null, first_seq: null, first_time: null, last_ms: null, last_seq: null, last_time: null,
    actor_lo: null, actor_hi: null, reporters: '[]', families: 0, family: null, ports: 0, port: null, reporter_n: '[]', family_n: '[]', key_port_n: 0,
  };
}

/** [value, n] pairs as kept in reporter_n and family_n, after the changes in `deltas`; pairs whose n falls to 0 go. */
function applyCounts(stored: string, deltas: Map<string, number>): Array<[string, number]> {
  const counts = new Map(JSON.parse(stored) as Array<[string, number]>);
  for (const [value, d] of deltas) {
    if (d === 0) continue;
    const n = (counts.get(value) ?? 0) + d;
    if (n > 0) counts.set(value, n);
    else counts.delete(value);
  }
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The port a group's key names, as a record's port member is written ('' for none); null for a key without one. */
export function keyPort(g: string): string | null {
  const a = g.indexOf('|');
  const b = g.indexOf('|', a + 1);
  if (a < 0 || b < 0) return null;
  const port = g.slice(a + 1, b);
  return port === '-' ? '' : port;
}

/** What a flush changes in one group besides its member rows. */
interface PendingGroup {
  n: number;
  /** the earliest and latest of the rows added (by time, then arrival), and whether a timed row left */
  first: Share | null;
  last: Share | null;
  removed: boolean;
  reporters: Map<string, number> | null;
  families: Map<string, number> | null;
  keyPort: number;
}

interface SpanEnd {
  seq: number;
  time: string | null;
  time_ms: number | null;
}

function earlier(a: SpanEnd, b: SpanEnd): boolean {
  return a.time_ms! < b.time_ms! || (a.time_ms === b.time_ms && a.seq < b.seq);
}

/** later in time; on a tie the row that came first stands (correlate's span keeps the first maximum) */
function later(a: SpanEnd, b: SpanEnd): boolean {
  return a.time_ms! > b.time_ms! || (a.time_ms === b.time_ms && a.seq < b.seq);
}

/** What a counted observation adds to its group. */
type Share = Pick<Row, 'seq' | 'time' | 'time_ms' | 'eff_group' | 'eff_actor' | 'eff_target' | 'eff_family' | 'org' | 'dport' | 'thread'>;

interface Eff {
  group: string;
  actor: string | null;
  target: string | null;
  family: string | null;
  join: number | null;
}

export class Aggregates {
  private readonly s: Record<keyof typeof SQL, Statement>;
  /** each stored record's two duplicate keys and the class each names */
  private readonly dups: DuplicateKeys;
  /** each stored alert's and flow's join key (5-tuple and reporter) and time */
  private readonly eps: EndpointIndex;

  private readonly statCacheMax: number;

  constructor(
    db: Database,
    private readonly groupKeyOf: (o: Observation) => string,
    opts: AggregatesOptions = {},
  ) {
    this.statCacheMax = opts.statCacheMax ?? STAT_CACHE_MAX;
    this.s = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<keyof typeof SQL, Statement>;
    this.dups = new DuplicateKeys(db);
    this.eps = new EndpointIndex(db);
    this.s.genGet.pluck();
    this.s.dataVersion.pluck();
  }

  /**
   * grp_stats rows as this connection last read or wrote them (null: no row), and the groups with
   * stmt_apply rows (null: not read), kept from one flush to the next while they are what is stored:
   * while the generation (meta 'agg-gen') is the one this connection last saw or wrote and no other
   * connection committed (data_version). A flush counts the generation up with its first write of
   * grp_stats or stmt_apply (a flush that writes neither leaves it, and takes no write lock for it).
   * A rolled-back flush leaves the stored generation behind, so the next one starts afresh; data_version
   * catches what the generation cannot: another connection's one save after such a rollback brings
   * the generation back to this connection's number, and a writer that does not count it (a manual
   * repair, an older listwatch) changes rows under it. A group's row was read at every post that touched it.
   */
  private statCache = new Map<string, StatRow | null>();
  private corroborated: Set<string> | null = null;
  private cacheGen: string | null = null;
  private cacheVersion: number | null = null;
  /** whether the flush under way (since checkCache) counted the generation up */
  private genCounted = false;

  /** Forgets the cached rows (after grp_stats or stmt_apply were written other than by flush and checkThread). */
  resetCache(): void {
    this.statCache.clear();
    this.corroborated = null;
    this.cacheGen = null;
  }

  /** At a flush's start, in its transaction: the cache kept if still what is stored, else emptied (reads only). */
  private checkCache(): void {
    const gen = (this.s.genGet.get() as string | undefined) ?? '0';
    const version = this.s.dataVersion.get() as number;
    if (gen !== this.cacheGen || version !== this.cacheVersion) {
      this.statCache.clear();
      this.corroborated = null;
    }
    this.cacheGen = gen;
    this.cacheVersion = version;
    this.genCounted = false;
  }

  /** Before the flush's first write of a cached table (grp_stats, stmt_apply): the generation counted up, once. */
  private countGeneration(): void {
    if (this.genCounted) return;
    const gen = (this.s.genGet.get() as string | undefined) ?? '0';
    // in a flush it is the generation checkCache read; else (checkThread alone) a cache not checked against it goes
    if (gen !== this.cacheGen) this.resetCache();
    const next = String(Number(gen) + 1);
    this.s.genPut.run(next);
    this.cacheGen = next;
    this.genCounted = true;
  }

  /** How many groups' grp_stats rows this connection holds in memory (tests). */
  get statRowsHeld(): number {
    return this.statCache.size;
  }

  private statOf(g: string): StatRow | undefined {
    const cached = this.statCache.get(g);
    if (cached !== undefined) return cached ?? undefined;
    const row = this.s.stat.get(g) as StatRow | undefined;
    this.remember(g, row ?? null);
    return row;
  }

  /** Keeps a group's row; a cache grown to statCacheMax groups starts over (bounds its memory: ~0.5 KB a group). */
  private remember(g: string, row: StatRow | null): void {
    if (this.statCache.size >= this.statCacheMax && !this.statCache.has(g)) this.statCache.clear();
    this.statCache.set(g, row);
  }

  /** Groups that may have stmt_apply rows (read once per cache; a group corroborated since is added). */
  private corroboratedGroups(): Set<string> {
    return (this.corroborated ??= new Set(this.s.corroboratedGroups.pluck().all() as string[]));
  }

  /** Takes in the duplicate keys other connections stored since the last call; call inside the write transaction, before insert(). */
  syncDuplicates(): void {
    this.dups.sync();
    this.eps.sync();
  }

  /** How many duplicate keys the in-memory table holds. */
  get duplicateKeysHeld(): number {
    return this.dups.entries;
  }

  /** Member count changes of this post, applied at once by flush(): one statement per distinct value, not per observation. */
  private pending = new Map<string, { g: string; kind: Kind; value: string; delta: number }>();
  /** per group: its count, time span, reporters, families and key port changes (kept on its grp_stats row) */
  private pendingGroups = new Map<string, PendingGroup>();

  /**
   * Stores one observation with what markDuplicates, joinAlertsToFlows and correlate would make
   * of it given everything stored before, and updates what it changes; false when its id was
   * stored before. With `existingSeq` the row is there already and only its derived columns are
   * written (rebuilding the aggregates of an old store). Call flush() after the post.
   */
  insert(
    o: Observation,
    thread: string,
    rawGroup: string,
    actorNum: number | null,
    day: string,
    t: Touched,
    threadsToCheck: Set<string>,
    existingSeq?: number,
  ): boolean {
    const ku = 'u|' + duplicateKey(o);
    const kl = 'l|' + wallClockDuplicateKey(o);
    const clsU = this.dups.get(ku);
    const clsL = this.dups.get(kl);
    const found = clsU ?? clsL;
    const cls = found ?? o.id;
    const quoted = o.quoted ? 1 : 0;
    const orig = found === undefined ? undefined : this.originalOf(found);
    // the class's original moves to the first copy that stands outside a quotation
    const flip = !!orig && !!orig.quoted && !quoted;
    // two identical lines in one post, both quoted or both not, are two records
    const counted = !orig || flip || (orig.post === o.post && orig.quoted === quoted);
    const role = isAlertObservation(o) ? 'a' : isFlowObservation(o) ? 'f' : null;
    const ms = timeMs(o.time);
    const ep = role && ms !== null ? endpointKey(o) : null;
    let eff: Eff = { group: rawGroup, actor: o.actor, target: o.target, family: o.family ?? null, join: null };
    if (counted && role === 'a' && ep !== null) {
      const best = this.bestFlow(ep, ms!, o.post);
      if (best !== null) eff = this.joinedEff(o, best);
    }
    const org = orgOf(o);
    // members need finding only while their class can still change original (its original is quoted)
    const memberCls = (!orig && quoted) || (orig && !flip && orig.quoted) ? cls : null;
    let seq: number;
    if (existingSeq === undefined) {
      const r = this.s.insert.run(o.id, o.post, thread, rawGroup, o.actor, actorNum, o.time, o.class, day, JSON.stringify(o),
        memberCls, quoted, counted ? 1 : 0, eff.group, eff.actor, eff.target, eff.family, eff.join, org, o.dport, ms, ep, role);
      if (r.changes === 0) return false;
      seq = Number(r.lastInsertRowid);
    } else {
      seq = existingSeq;
      this.s.refill.run(memberCls, quoted, counted ? 1 : 0, eff.group, eff.actor, eff.target, eff.family, eff.join, org, o.dport, ms, ep, role, seq);
    }
    if (ep !== null) this.eps.add(seq, ep, ms!, role!);
    if (clsU === undefined) this.dups.add(ku, cls);
    if (clsL === undefined) this.dups.add(kl, cls);
    if (flip) this.s.clsPut.run(cls, seq);
    if (counted) {
      if (eff.join !== null) t.joinsAdded.push({ alert: seq, flow: eff.join });
      this.contribute({ seq, time: o.time, time_ms: ms, eff_group: eff.group, eff_actor: eff.actor, eff_target: eff.target, eff_family: eff.family, org, dport: o.dport, thread }, +1, t);
      if (role === 'f' && ep !== null) this.recheckAlerts(ep, ms!, t);
    }
    if (flip) {
      for (const { seq: m } of this.s.clsMembers.all(cls) as Array<{ seq: number }>) {
        if (m === seq) continue;
        const r = this.row(m);
        const now = r.post === o.post && !r.quoted;
        if (!!r.counted !== now) this.setCounted(r, now, t);
      }
    }
    return true;
  }

  private originalOf(cls: string): { seq: number; post: string; quoted: number } | undefined {
    return (this.s.original.get(cls) ?? this.s.firstOfClass.get(cls)) as { seq: number; post: string; quoted: number } | undefined;
  }

  /**
   * Keeps the thread's members from now on: writes them as its counted rows give them (any left from
   * before it was tracked go first) and lists the thread in h_threads.
   */
  private track(thread: string): void {
    this.s.threadMembersDel.run(thread);
    for (const { grp, n } of this.s.threadGroups.all(thread, thread) as Array<{ grp: string; n: number }>) {
      if (splitGroup(grp)) this.s.threadMemberPut.run(grp, thread, n);
    }
    this.s.track.run(thread);
  }

  /** Forgets member changes not flushed (a post whose transaction failed half-way); call as a save's transaction begins, before its first insert(). */
  discard(): void {
    this.dups.discardRun();
    this.eps.discardRun();
    this.pending.clear();
    this.pendingGroups.clear();
  }

  /**
   * Applies the post's changes: member rows (actors, targets, threads, ports other than the key's)
   * one statement per distinct value, then each group's grp_stats row read once and written once.
   * Notes new actors, and the threads whose statements may now speak for other groups.
   */
  flush(t: Touched, threadsToCheck: Set<string>): void {
    this.checkCache();
    this.dups.flushRun();
    this.eps.flushRun();
    // per group: actors and targets that appeared (+1) or left (-1), the lowest and highest actor that
    // joined (null: one left, read them all again), ports other than the key's that appeared or left
    const moved = new Map<string, { actors: number; targets: number; ends: { lo: string | null; hi: string | null } | null; portsIn: number; portsOut: number }>();
    const movedOf = (g: string) => {
      let m = moved.get(g);
      if (!m) moved.set(g, (m = { actors: 0, targets: 0, ends: { lo: null, hi: null }, portsIn: 0, portsOut: 0 }));
      return m;
    };
    // thread members: only of threads with statements (tracked); a thread whose first statement came with
    // this save is tracked from now on, its members counted from its rows (this save's included)
    const trackedNow = new Map<string, boolean>();
    const tracked = (thread: string): boolean => {
      let yes = trackedNow.get(thread);
      if (yes === undefined) {
        yes = this.s.tracked.get(thread) !== undefined;
        if (!yes && this.s.hasStatements.get(thread) !== undefined) {
          this.track(thread);
          threadsToCheck.add(thread);
          // counted from the rows: this save's changes to the thread's members are in them already
          trackedNow.set(thread, false);
          return false;
        }
        trackedNow.set(thread, yes);
      }
      return yes;
    };
    for (const thread of threadsToCheck) tracked(thread);
    for (const { g, kind, value, delta } of this.pending.values()) {
      if (delta === 0) continue;
      if (kind === 'h' && !tracked(value)) continue;
      const hex = kind === 'a' ? actorHex(value) : null;
      const n = (this.s.memberAdd.get(g, kind, value, delta, hex) as { n: number }).n;
      if (n <= 0) this.s.memberDel.run(g, kind, value);
      const before = n - delta;
      const appeared = before <= 0 && n > 0;
      const left = before > 0 && n <= 0;
      if (!appeared && !left) continue;
      const step = appeared ? 1 : -1;
      if (kind === 'a') {
        const m = movedOf(g);
        m.actors += step;
        if (left) m.ends = null;
        else if (hex !== null && m.ends !== null) {
          if (m.ends.lo === null || hex < m.ends.lo) m.ends.lo = hex;
          if (m.ends.hi === null || hex > m.ends.hi) m.ends.hi = hex;
        }
        if (appeared) {
          const set = t.newActors.get(g);
          if (set) set.add(value);
          else t.newActors.set(g, new Set([value]));
        }
      } else if (kind === 't') movedOf(g).targets += step;
      else if (kind === 'h') threadsToCheck.add(value);
      else if (kind === 'p') {
        if (appeared) movedOf(g).portsIn++;
        else movedOf(g).portsOut++;
      }
    }
    const groups = new Set([...this.pendingGroups.keys(), ...moved.keys()]);
    for (const g of groups) {
      const p = this.pendingGroups.get(g);
      const m = moved.get(g);
      const stored = this.statOf(g);
      const dn = p?.n ?? 0;
      const dActors = m?.actors ?? 0;
      const dTargets = m?.targets ?? 0;
      // as an upsert of the counts would: no row is made for a group whose counts do not change, and one whose count falls to 0 goes
      if (!stored && dn === 0 && dActors === 0 && dTargets === 0) continue;
      const before = stored ?? emptyStat();
      const row: StatRow = { ...before, n: before.n + dn, actors: before.actors + dActors, targets: before.targets + dTargets };
      const portsChanged = (m !== undefined && m.portsIn + m.portsOut > 0) || (p !== undefined && p.keyPort !== 0 && (before.key_port_n > 0) !== (before.key_port_n + p.keyPort > 0));
      if (row.n <= 0) {
        t.stats.set(g, null);
        this.remember(g, null);
        if (stored) {
          this.countGeneration();
          this.s.statDel.run(g);
        }
        if (portsChanged) for (const { thread } of this.s.threadsWithStatements.all(g) as Array<{ thread: string }>) threadsToCheck.add(thread);
        continue;
      }
      if (p?.reporters) {
        const pairs = applyCounts(before.reporter_n, p.reporters);
        row.reporter_n = JSON.stringify(pairs);
        row.reporters = JSON.stringify(pairs.map((x) => x[0]));
      }
      if (p?.families) {
        const pairs = applyCounts(before.family_n, p.families);
        row.family_n = JSON.stringify(pairs);
        row.families = pairs.length;
        row.family = pairs.length === 1 ? pairs[0]![0] : null;
      }
      if (portsChanged) {
        // the key's port (no member row) and the others (member rows)
        row.key_port_n = before.key_port_n + (p?.keyPort ?? 0);
        const others = before.ports - (before.key_port_n > 0 ? 1 : 0) + (m?.portsIn ?? 0) - (m?.portsOut ?? 0);
        row.ports = (row.key_port_n > 0 ? 1 : 0) + others;
        if (row.ports !== 1) row.port = null;
        else if (row.key_port_n > 0) row.port = keyPort(g);
        else row.port = (this.s.membersTwo.all(g, 'p') as Array<{ value: string }>)[0]?.value ?? null;
        // a group's port is its one port, else none: statements match on it
        if (before.ports < 2 || row.ports < 2) for (const { thread } of this.s.threadsWithStatements.all(g) as Array<{ thread: string }>) threadsToCheck.add(thread);
      } else if (p) row.key_port_n = before.key_port_n + p.keyPort;
      if (m?.ends === null) {
        // an actor left: read the group's lowest and highest again
        const span = this.s.actorSpan.get(g) as { lo: string | null; hi: string | null };
        row.actor_lo = span.lo;
        row.actor_hi = span.hi;
      } else if (m?.ends) {
        if (m.ends.lo !== null && (row.actor_lo === null || m.ends.lo < row.actor_lo)) row.actor_lo = m.ends.lo;
        if (m.ends.hi !== null && (row.actor_hi === null || m.ends.hi > row.actor_hi)) row.actor_hi = m.ends.hi;
      }
      // first and last time as correlate's span: the earliest (latest) time, the first such row on a tie
      if (p && (p.removed || p.first || p.last)) {
        let first: SpanEnd | null = row.first_ms === null ? null : { seq: row.first_seq!, time: row.first_time, time_ms: row.first_ms };
        let last: SpanEnd | null = row.last_ms === null ? null : { seq: row.last_seq!, time: row.last_time, time_ms: row.last_ms };
        if (p.removed) {
          // a row left (a copy's original moved, a join changed): read the group's times again
          first = null;
          last = null;
          for (const r of this.s.groupTimes.all(g, g) as SpanEnd[]) {
            if (!first || earlier(r, first)) first = r;
            if (!last || later(r, last)) last = r;
          }
        } else {
          if (p.first && (!first || earlier(p.first, first))) first = p.first;
          if (p.last && (!last || later(p.last, last))) last = p.last;
        }
        row.first_ms = first?.time_ms ?? null;
        row.first_seq = first?.seq ?? null;
        row.first_time = first?.time ?? null;
        row.last_ms = last?.time_ms ?? null;
        row.last_seq = last?.seq ?? null;
        row.last_time = last?.time ?? null;
      }
      t.stats.set(g, row);
      this.remember(g, row);
      this.countGeneration();
      this.s.statPut.run(g, row.n, row.actors, row.targets, row.first_ms, row.first_seq, row.first_time, row.last_ms, row.last_seq, row.last_time,
        row.actor_lo, row.actor_hi, row.reporters, row.families, row.family, row.ports, row.port, row.reporter_n, row.family_n, row.key_port_n);
    }
    this.pending.clear();
    this.pendingGroups.clear();
  }

  private row(seq: number): Row {
    return this.s.row.get(seq) as Row;
  }

  /** A stored observation becomes an original (counted) or a copy; its group and joins follow. */
  private setCounted(r: Row, counted: boolean, t: Touched): void {
    if (!counted) {
      this.contribute(r, -1, t);
      if (r.role === 'a' && r.join_flow !== null) {
        t.joinsRemoved.push({ alert: r.seq, flow: r.join_flow });
        const own = this.ownEff(JSON.parse(r.json) as Observation);
        this.s.setEff.run(own.group, own.actor, own.target, own.family, null, r.seq);
      }
      this.s.setCounted.run(0, r.seq);
      if (r.role === 'f' && r.ep_key !== null) this.recheckAlerts(r.ep_key, r.time_ms!, t);
      return;
    }
    this.s.setCounted.run(1, r.seq);
    let share: Share = r;
    if (r.role === 'a' && r.ep_key !== null) {
      const best = this.bestFlow(r.ep_key, r.time_ms!, r.post);
      if (best !== null) {
        const eff = this.joinedEff(JSON.parse(r.json) as Observation, best);
        this.s.setEff.run(eff.group, eff.actor, eff.target, eff.family, eff.join, r.seq);
        t.joinsAdded.push({ alert: r.seq, flow: best });
        share = { ...r, eff_group: eff.group, eff_actor: eff.actor, eff_target: eff.target, eff_family: eff.family };
      }
    }
    this.contribute(share, +1, t);
    if (r.role === 'f' && r.ep_key !== null) this.recheckAlerts(r.ep_key, r.time_ms!, t);
  }

  /** The flow an alert joins, as joinAlertsToFlows picks it: nearest in time, same post wins ties, then input order. */
  private bestFlow(ep: string, ms: number, post: string): number | null {
    let best: number | null = null;
    let bestScore = Infinity;
    const flows = this.eps.near(ep, 'f', ms - JOIN_WINDOW_MS, ms + JOIN_WINDOW_MS).sort((a, b) => a.time_ms - b.time_ms || a.seq - b.seq);
    for (const f of flows) {
      const score = Math.abs(f.time_ms - ms) * 4 + (f.post === post ? 0 : 2);
      if (score < bestScore) {
        bestScore = score;
        best = f.seq;
      }
    }
    return best;
  }

  /** The alert as applyJoin leaves it: the flow's class, actor and target. */
  private joinedEff(alert: Observation, flowSeq: number): Eff {
    const flow = JSON.parse(this.row(flowSeq).json) as Observation;
    const family = alert.family ?? flow.family;
    const joined: Observation = { ...alert, class: flow.class, actor: flow.actor, target: flow.target };
    if (family !== undefined) joined.family = family;
    return { group: this.groupKeyOf(joined), actor: joined.actor, target: joined.target, family: joined.family ?? null, join: flowSeq };
  }

  private ownEff(o: Observation): Eff {
    return { group: this.groupKeyOf(o), actor: o.actor, target: o.target, family: o.family ?? null, join: null };
  }

  /** A flow appeared or vanished: the counted alerts of its window may now join another flow. */
  private recheckAlerts(ep: string, ms: number, t: Touched): void {
    for (const { seq } of this.eps.near(ep, 'a', ms - JOIN_WINDOW_MS, ms + JOIN_WINDOW_MS)) {
      const a = this.row(seq);
      const best = this.bestFlow(ep, a.time_ms!, a.post);
      if (best === a.join_flow) continue;
      this.contribute(a, -1, t);
      if (a.join_flow !== null) t.joinsRemoved.push({ alert: seq, flow: a.join_flow });
      const alert = JSON.parse(a.json) as Observation;
      const eff = best === null ? this.ownEff(alert) : this.joinedEff(alert, best);
      if (best !== null) t.joinsAdded.push({ alert: seq, flow: best });
      this.s.setEff.run(eff.group, eff.actor, eff.target, eff.family, eff.join, seq);
      this.contribute({ ...a, eff_group: eff.group, eff_actor: eff.actor, eff_target: eff.target, eff_family: eff.family }, +1, t);
    }
  }

  /** Adds (+1) or takes away (-1) one counted observation's share of its group's aggregates (applied by flush). */
  private contribute(r: Share, sign: 1 | -1, t: Touched): void {
    const g = r.eff_group;
    if (!g || !splitGroup(g)) return;
    t.groups.add(g);
    let p = this.pendingGroups.get(g);
    if (!p) this.pendingGroups.set(g, (p = { n: 0, first: null, last: null, removed: false, reporters: null, families: null, keyPort: 0 }));
    p.n += sign;
    if (r.time_ms !== null) {
      if (sign < 0) p.removed = true;
      else {
        if (!p.first || earlier(r, p.first)) p.first = r;
        if (!p.last || later(r, p.last)) p.last = r;
      }
    }
    const member = (kind: Kind, value: string): void => {
      const k = `${kind}\u0000${value}\u0000${g}`;
      const m = this.pending.get(k);
      if (m) m.delta += sign;
      else this.pending.set(k, { g, kind, value, delta: sign });
    };
    if (r.eff_actor !== null) member('a', r.eff_actor);
    if (r.eff_target !== null) member('t', r.eff_target);
    // reporters and families are few per group: counted on its grp_stats row, not as member rows
    if (r.org !== null) (p.reporters ??= new Map()).set(r.org, (p.reporters.get(r.org) ?? 0) + sign);
    if (r.eff_family !== null) (p.families ??= new Map()).set(r.eff_family, (p.families.get(r.eff_family) ?? 0) + sign);
    // the port the key names (every row of a group but backscatter's has it) is counted on the row too
    const port = r.dport === null ? '' : String(r.dport);
    if (port === keyPort(g)) p.keyPort += sign;
    else member('p', port);
    member('h', r.thread);
  }

  /**
   * Which groups each "same" statement of the thread speaks for (correlate's rule: the thread's
   * groups it names, else all of them); records the changes and touches the groups concerned.
   */
  checkThread(thread: string, t: Touched): void {
    const same: Array<{ id: number; s: ProseStatement }> = [];
    for (const row of this.s.stmtsOfThread.all(thread) as Array<{ id: number; json: string }>) {
      const s = JSON.parse(row.json) as ProseStatement;
      if (s.polarity === 'same' && s.org) same.push({ id: row.id, s });
    }
    const appliedRows = this.s.applied.all(thread) as Array<{ stmt: number; grp: string }>;
    // most threads have no "same here": nothing to apply or undo, and their groups need not be read
    if (same.length === 0 && appliedRows.length === 0) return;
    // a thread with statements is tracked (flush sees to it); this covers a caller that did not flush first
    if (same.length > 0 && this.s.tracked.get(thread) === undefined) this.track(thread);
    const groups =
      same.length === 0
        ? []
        : (this.s.groupsOfThread.all(thread) as Array<{ grp: string; ports: number | null; port: string | null }>).map((r) => {
            const parts = splitGroup(r.grp)!;
            const dport = r.ports === 1 && r.port !== null && r.port !== '' ? Number(r.port) : null;
            return { grp: r.grp, behaviour: parts.behaviour, prefix16: parts.prefix16, dport };
          });
    const want = new Map<string, { stmt: number; grp: string; org: string }>();
    for (const { id, s } of same) {
      if (groups.length === 0) continue;
      const preferred = groups.filter((g) => statementMatches(s, g));
      for (const g of preferred.length > 0 ? preferred : groups) want.set(`${id} ${g.grp}`, { stmt: id, grp: g.grp, org: s.org! });
    }
    const have = new Set<string>();
    for (const r of appliedRows) {
      const k = `${r.stmt} ${r.grp}`;
      have.add(k);
      if (!want.has(k)) {
        this.countGeneration();
        this.s.unapply.run(r.stmt, r.grp);
        t.groups.add(r.grp);
      }
    }
    for (const [k, w] of want) {
      if (have.has(k)) continue;
      this.countGeneration();
      this.s.apply.run(w.stmt, w.grp, w.org, thread);
      this.corroborated?.add(w.grp);
      t.groups.add(w.grp);
    }
  }

  /**
   * The group's finding as correlate would make it from all stored posts, without its observation
   * ids (see observationIds), and its count of records; `flushed`: the rows a save's flush just wrote (not read again).
   */
  finding(g: string, flushed?: Touched['stats']): { finding: Finding; n: number } | null {
    const parts = splitGroup(g);
    if (!parts) return null;
    const stat = flushed?.has(g) ? flushed.get(g) : (this.s.stat.get(g) as StatRow | undefined);
    if (!stat || stat.n <= 0) return null;
    const reporterSet = new Set(JSON.parse(stat.reporters) as string[]);
    const reporters = [...reporterSet].sort();
    // the first statement of each org, in input order
    const firsts: Array<{ org: string; stmt: number }> = [];
    // after a flush (in its save), only the groups known to have stmt_apply rows are read
    const mayHave = flushed === undefined || this.corroboratedGroups().has(g);
    for (const c of (mayHave ? this.s.corroborators.all(g) : []) as Array<{ org: string; stmt: number }>) {
      if (firsts.length > 0 && firsts[firsts.length - 1]!.org === c.org) continue;
      firsts.push(c);
    }
    firsts.sort((a, b) => a.stmt - b.stmt);
    const corroborating: Corroboration[] = [];
    for (const c of firsts) {
      if (reporterSet.has(c.org)) continue;
      const s = JSON.parse((this.s.statement.get(c.stmt) as { json: string }).json) as ProseStatement;
      corroborating.push({ org: c.org, post: s.post, quote: s.quote, via: s.via });
    }
    const kind = groupFindingKind(reporters.length, corroborating.length, stat.actors, stat.targets);
    if (!kind) return null;

    const lo = stat.actor_lo;
    const hi = stat.actor_hi;
    const actorPrefix = (lo !== null && hi !== null ? coveringPrefix([hexToAddress(lo), hexToAddress(hi)]) : null) ?? parts.prefix16;
    const family = stat.families === 1 && stat.family !== null ? stat.family : undefined;
    const dport = stat.ports === 1 && stat.port !== null && stat.port !== '' ? Number(stat.port) : null;
    const first = stat.first_ms === null ? null : stat.first_time;
    const last = stat.last_ms === null ? null : stat.last_time;
    const behaviour = parts.behaviour;
    const n = stat.n;
    const summary = groupFindingSummary({
      kind,
      reporters,
      corroborating,
      actors: stat.actors,
      targets: stat.targets,
      records: n,
      actorPrefix,
      behaviour,
      fromPort: answeringPortOf(g),
      dport,
      family,
      first,
      last,
    });
    const f: Finding = {
      id: groupFindingId(kind, behaviour, parts.prefix16, dport, family, g),
      kind,
      behaviour,
      actorPrefix,
      dport,
      reporters,
      corroborating,
      observations: [],
      first,
      last,
      summary,
    };
    if (family) f.family = family;
    const sport = answeringPortOf(g);
    if (sport !== null) f.sport = sport;
    return { finding: f, n };
  }

  /** The ids of a group's counted observations, in arrival order (a finding's observations). */
  observationIds(g: string): string[] {
    return (this.s.ids.all(g, g) as Array<{ id: string }>).map((r) => r.id);
  }

  /** The same-traffic finding of a join, as correlate makes it; null when either side is gone or no longer counted. */
  joinFinding(alertSeq: number, flowSeq: number): { finding: Finding; group: string } | null {
    const a = this.row(alertSeq);
    const fr = this.row(flowSeq);
    if (!a || !fr || !a.counted || !fr.counted || a.join_flow !== flowSeq) return null;
    const alert = JSON.parse(a.json) as Observation;
    const flow = JSON.parse(fr.json) as Observation;
    const f = sameTrafficFinding(alert, flow);
    return { finding: f, group: fr.eff_group ?? '' };
  }

  /** The ids of both sides of a join (for the identity of its finding when it is undone). */
  idsOf(alertSeq: number, flowSeq: number): [string, string] | null {
    const a = this.row(alertSeq);
    const f = this.row(flowSeq);
    return a && f ? [a.id, f.id] : null;
  }
}
