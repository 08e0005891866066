// Incremental correlation: per group key aggregates kept up to date observation by observation,
// so a new post costs the rows it touches, not the history of its group keys. What a full
// `analyzeThread` over every stored post would do is reproduced step by step:
//  - duplicates (markDuplicates): each record's equivalence class is found by its two duplicate
//    keys through an index; a class's original changes only when an unquoted copy follows quoted ones;
//  - alert↔flow joins (joinAlertsToFlows/applyJoin): a counted alert's best flow is looked up by
//    its 5-tuple key and time window; a new or vanished flow re-checks the alerts of its window;
//  - correlate: counts, distinct actors/targets/reporters/families/ports/threads per group key
//    (reference-counted rows), time span by index, corroborating statements applied per thread.
// A test (test/store-incremental.test.ts) feeds the same posts to this and to analyzeThread and
// compares the findings.

import type { Database, Statement } from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import type { Corroboration, Finding, FindingKind, Observation } from '../contract.js';
import { behaviourOf, type Behaviour } from '../contract.js';
import { findingId, statementMatches, CAMPAIGN_MIN } from '../correlate/correlate.js';
import { duplicateKey } from '../correlate/duplicates.js';
import { coveringPrefix } from '../correlate/prefix.js';
import { victimSentence } from '../correlate/roles.js';
import type { ProseStatement } from '../correlate/types.js';
import { JOIN_WINDOW_MS, isAlertObservation, isFlowObservation } from '../classify/join.js';

/** What one saved post changed: the group keys to rebuild findings for, and the joins made or undone. */
export interface Touched {
  groups: Set<string>;
  /** actors that became part of a group with this post, per group */
  newActors: Map<string, Set<string>>;
  /** actors that left a group with this post (a copy or a join moved them), per group */
  goneActors: Map<string, Set<string>>;
  joinsAdded: Array<{ alert: number; flow: number }>;
  joinsRemoved: Array<{ alert: number; flow: number }>;
}

export function emptyTouched(): Touched {
  return { groups: new Set(), newActors: new Map(), goneActors: new Map(), joinsAdded: [], joinsRemoved: [] };
}

interface Row {
  seq: number;
  id: string;
  post: string;
  thread: string;
  cls: number | null;
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

function localSecondOf(time: string | null): string {
  if (!time) return '';
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(time);
  return m ? (m[1] as string) : time;
}

/** The wall-clock-second key of markDuplicates: the UTC key with the time part swapped. */
function localDuplicateKey(o: Observation): string {
  return duplicateKey({ ...o, time: null }).replace(/^((?:[^|]*\|){6})/, `$1${localSecondOf(o.time)}`);
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
const BEHAVIOUR_WORDS: Record<Behaviour, string> = {
  midstream: 'ACK or PSH-ACK segments without a handshake',
  syn: 'connection attempts (SYN)',
  backscatter: 'SYN-ACKs or resets nobody asked for (backscatter)',
  'stealth-probe': 'stealth probes (FIN, NULL, SYN-FIN or Xmas)',
  udp: 'UDP datagrams',
  'icmp-echo': 'pings',
  'icmp-error': 'ICMP errors',
  established: 'completed connections',
  alert: 'alerted packets',
  unknown: 'traffic of undetermined kind',
};

function describePort(dport: number | null): string {
  return dport === null ? '' : ` to port ${dport}`;
}

function roleSentence(behaviour: Behaviour, prefix: string, family: string | undefined): string {
  const s = victimSentence(behaviour, prefix, family);
  return s ? ` ${s}` : '';
}

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
  setObs: `UPDATE observations SET cls = ?, quoted = ?, org = ?, dport = ?, time_ms = ?, ep_key = ?, role = ? WHERE seq = ?`,
  setCounted: 'UPDATE observations SET counted = ? WHERE seq = ?',
  setEff: 'UPDATE observations SET eff_group = ?, eff_actor = ?, eff_target = ?, eff_family = ?, join_flow = ? WHERE seq = ?',
  dupGet: 'SELECT cls FROM dup_keys WHERE key = ?',
  dupPut: 'INSERT INTO dup_keys(key, cls) VALUES (?, ?) ON CONFLICT(key) DO NOTHING',
  clsGet: 'SELECT original FROM dup_classes WHERE cls = ?',
  clsPut: 'INSERT INTO dup_classes(cls, original) VALUES (?, ?) ON CONFLICT(cls) DO UPDATE SET original = excluded.original',
  clsMembers: 'SELECT seq FROM observations WHERE cls = ? ORDER BY seq',
  memberAdd: `INSERT INTO grp_members(grp, kind, value, n) VALUES (?, ?, ?, ?)
            ON CONFLICT(grp, kind, value) DO UPDATE SET n = n + excluded.n RETURNING n`,
  memberDel: 'DELETE FROM grp_members WHERE grp = ? AND kind = ? AND value = ?',
  members: 'SELECT value FROM grp_members WHERE grp = ? AND kind = ?',
  membersTwo: 'SELECT value FROM grp_members WHERE grp = ? AND kind = ? LIMIT 2',
  minMember: 'SELECT value FROM grp_members WHERE grp = ? AND kind = ? ORDER BY value LIMIT 1',
  maxMember: 'SELECT value FROM grp_members WHERE grp = ? AND kind = ? ORDER BY value DESC LIMIT 1',
  groupsOfThread: "SELECT grp FROM grp_members WHERE kind = 'h' AND value = ?",
  statAdd: `INSERT INTO grp_stats(grp, n, actors, targets) VALUES (?, ?, ?, ?)
          ON CONFLICT(grp) DO UPDATE SET n = n + excluded.n, actors = actors + excluded.actors, targets = targets + excluded.targets`,
  stat: 'SELECT n, actors, targets FROM grp_stats WHERE grp = ?',
  firstMs: 'SELECT MIN(time_ms) AS t FROM observations WHERE eff_group = ? AND counted = 1 AND time_ms IS NOT NULL',
  lastMs: 'SELECT MAX(time_ms) AS t FROM observations WHERE eff_group = ? AND counted = 1 AND time_ms IS NOT NULL',
  timeAt: 'SELECT time FROM observations WHERE eff_group = ? AND counted = 1 AND time_ms IS NOT NULL AND time_ms = ? ORDER BY seq LIMIT 1',
  flowsNear: `SELECT seq, post, time_ms FROM observations WHERE ep_key = ? AND role = 'f' AND counted = 1 AND time_ms BETWEEN ? AND ? ORDER BY time_ms, seq`,
  alertsNear: `SELECT seq FROM observations WHERE ep_key = ? AND role = 'a' AND counted = 1 AND time_ms BETWEEN ? AND ? ORDER BY seq`,
  stmtsOfThread: 'SELECT rowid AS id, json FROM statements WHERE thread = ? ORDER BY rowid',
  applied: 'SELECT stmt, grp FROM stmt_apply WHERE thread = ?',
  apply: 'INSERT INTO stmt_apply(stmt, grp, org, thread) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  unapply: 'DELETE FROM stmt_apply WHERE stmt = ? AND grp = ?',
  corroborators: 'SELECT org, MIN(stmt) AS stmt FROM stmt_apply WHERE grp = ? GROUP BY org ORDER BY stmt',
  statement: 'SELECT json FROM statements WHERE rowid = ?',
  threadsWithStatements: `SELECT DISTINCT m.value AS thread FROM grp_members m WHERE m.grp = ? AND m.kind = 'h'
                          AND EXISTS (SELECT 1 FROM statements s WHERE s.thread = m.value)`,
  ids: 'SELECT id FROM observations WHERE eff_group = ? AND counted = 1 ORDER BY seq',
};

type Kind = 'a' | 'A' | 't' | 'r' | 'f' | 'p' | 'h';

export class Aggregates {
  private readonly s: Record<keyof typeof SQL, Statement>;

  constructor(
    private readonly db: Database,
    private readonly groupKeyOf: (o: Observation) => string,
  ) {
    this.s = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<keyof typeof SQL, Statement>;
  }

  /** Takes a just-inserted observation (by seq) into the aggregates. */
  addObservation(seq: number, o: Observation, t: Touched, threadsToCheck: Set<string>): void {
    const ku = 'u|' + duplicateKey(o);
    const kl = 'l|' + localDuplicateKey(o);
    const found = (this.s.dupGet.get(ku) ?? this.s.dupGet.get(kl)) as { cls: number } | undefined;
    const cls = found?.cls ?? seq;
    this.s.dupPut.run(ku, cls);
    this.s.dupPut.run(kl, cls);
    const role = isAlertObservation(o) ? 'a' : isFlowObservation(o) ? 'f' : null;
    const ms = timeMs(o.time);
    this.s.setObs.run(cls, o.quoted ? 1 : 0, orgOf(o), o.dport, ms, role && ms !== null ? endpointKey(o) : null, role, seq);
    // the row's own effective view until a join says otherwise
    this.s.setEff.run(this.groupKeyOf(o), o.actor, o.target, o.family ?? null, null, seq);
    if (!found) {
      this.s.clsPut.run(cls, seq);
      this.setCounted(seq, true, t, threadsToCheck);
      return;
    }
    const origSeq = (this.s.clsGet.get(cls) as { original: number }).original;
    const orig = this.row(origSeq);
    if (orig.quoted && !o.quoted) {
      this.s.clsPut.run(cls, seq);
      for (const { seq: m } of this.s.clsMembers.all(cls) as Array<{ seq: number }>) {
        const r = this.row(m);
        const counted = m === seq || (r.post === o.post && !r.quoted);
        if (m === seq || !!r.counted !== counted) this.setCounted(m, counted, t, threadsToCheck);
      }
      return;
    }
    // two identical lines in one post, both quoted or both not, are two records
    if (orig.post === o.post && !!orig.quoted === !!o.quoted) this.setCounted(seq, true, t, threadsToCheck);
  }

  private row(seq: number): Row {
    return this.s.row.get(seq) as Row;
  }

  private setCounted(seq: number, counted: boolean, t: Touched, threadsToCheck: Set<string>): void {
    let r = this.row(seq);
    if (!!r.counted === counted) return;
    if (!counted) {
      this.contribute(r, -1, t, threadsToCheck);
      this.s.setCounted.run(0, seq);
      if (r.role === 'a' && r.join_flow !== null) {
        t.joinsRemoved.push({ alert: seq, flow: r.join_flow });
        this.resetEff(r);
      }
      if (r.role === 'f' && r.ep_key !== null) this.recheckAlerts(r, t, threadsToCheck);
      return;
    }
    this.s.setCounted.run(1, seq);
    if (r.role === 'a' && r.ep_key !== null) {
      const flow = this.bestFlow(r);
      if (flow !== null) {
        this.joinTo(r, flow);
        t.joinsAdded.push({ alert: seq, flow });
      }
    }
    r = this.row(seq);
    this.contribute(r, +1, t, threadsToCheck);
    if (r.role === 'f' && r.ep_key !== null) this.recheckAlerts(r, t, threadsToCheck);
  }

  /** The flow an alert joins, as joinAlertsToFlows picks it: nearest in time, same post wins ties, then input order. */
  private bestFlow(a: Row): number | null {
    if (a.ep_key === null || a.time_ms === null) return null;
    let best: number | null = null;
    let bestScore = Infinity;
    for (const f of this.s.flowsNear.all(a.ep_key, a.time_ms - JOIN_WINDOW_MS, a.time_ms + JOIN_WINDOW_MS) as Array<{ seq: number; post: string; time_ms: number }>) {
      const score = Math.abs(f.time_ms - a.time_ms) * 4 + (f.post === a.post ? 0 : 2);
      if (score < bestScore) {
        bestScore = score;
        best = f.seq;
      }
    }
    return best;
  }

  private joinTo(a: Row, flowSeq: number): void {
    const alert = JSON.parse(a.json) as Observation;
    const flow = JSON.parse(this.row(flowSeq).json) as Observation;
    const family = alert.family ?? flow.family;
    const joined: Observation = { ...alert, class: flow.class, actor: flow.actor, target: flow.target };
    if (family !== undefined) joined.family = family;
    this.s.setEff.run(this.groupKeyOf(joined), joined.actor, joined.target, joined.family ?? null, flowSeq, a.seq);
  }

  private resetEff(a: Row): void {
    const alert = JSON.parse(a.json) as Observation;
    this.s.setEff.run(this.groupKeyOf(alert), alert.actor, alert.target, alert.family ?? null, null, a.seq);
  }

  /** A flow appeared or vanished: the counted alerts of its window may now join another flow. */
  private recheckAlerts(f: Row, t: Touched, threadsToCheck: Set<string>): void {
    if (f.time_ms === null) return;
    for (const { seq } of this.s.alertsNear.all(f.ep_key, f.time_ms - JOIN_WINDOW_MS, f.time_ms + JOIN_WINDOW_MS) as Array<{ seq: number }>) {
      const a = this.row(seq);
      const best = this.bestFlow(a);
      if (best === a.join_flow) continue;
      this.contribute(a, -1, t, threadsToCheck);
      if (a.join_flow !== null) t.joinsRemoved.push({ alert: seq, flow: a.join_flow });
      if (best === null) this.resetEff(a);
      else {
        this.joinTo(a, best);
        t.joinsAdded.push({ alert: seq, flow: best });
      }
      this.contribute(this.row(seq), +1, t, threadsToCheck);
    }
  }

  /** Adds (+1) or takes away (-1) one counted observation's share of its group's aggregates. */
  private contribute(r: Row, sign: 1 | -1, t: Touched, threadsToCheck: Set<string>): void {
    const g = r.eff_group;
    if (!g || !splitGroup(g)) return;
    t.groups.add(g);
    let actors = 0;
    let targets = 0;
    const member = (kind: Kind, value: string): boolean => {
      const n = (this.s.memberAdd.get(g, kind, value, sign) as { n: number }).n;
      if (n <= 0) this.s.memberDel.run(g, kind, value);
      return sign > 0 ? n === 1 : n <= 0;
    };
    if (r.eff_actor !== null) {
      if (member('a', r.eff_actor)) {
        actors += sign;
        // an actor that leaves and comes back within one post is not new
        const [mine, other] = sign > 0 ? [t.newActors, t.goneActors] : [t.goneActors, t.newActors];
        if (!other.get(g)?.delete(r.eff_actor)) {
          const set = mine.get(g);
          if (set) set.add(r.eff_actor);
          else mine.set(g, new Set([r.eff_actor]));
        }
      }
      const hex = actorHex(r.eff_actor);
      if (hex) member('A', hex);
    }
    if (r.eff_target !== null && member('t', r.eff_target)) targets += sign;
    if (r.org !== null) member('r', r.org);
    if (r.eff_family !== null) member('f', r.eff_family);
    if (member('p', r.dport === null ? '' : String(r.dport))) {
      // the group's port may have become mixed or single again: statements match on it
      for (const { thread } of this.s.threadsWithStatements.all(g) as Array<{ thread: string }>) threadsToCheck.add(thread);
    }
    if (member('h', r.thread)) threadsToCheck.add(r.thread);
    this.s.statAdd.run(g, sign, actors, targets);
  }

  /**
   * Which groups each "same" statement of the thread speaks for (correlate's rule: the thread's
   * groups it names, else all of them); records the changes and touches the groups concerned.
   */
  checkThread(thread: string, t: Touched): void {
    const groups = (this.s.groupsOfThread.all(thread) as Array<{ grp: string }>).map((r) => {
      const parts = splitGroup(r.grp)!;
      return { grp: r.grp, behaviour: parts.behaviour, prefix16: parts.prefix16, dport: this.groupPort(r.grp) };
    });
    const want = new Map<string, { stmt: number; grp: string; org: string }>();
    for (const row of this.s.stmtsOfThread.all(thread) as Array<{ id: number; json: string }>) {
      const s = JSON.parse(row.json) as ProseStatement;
      if (s.polarity !== 'same' || !s.org || groups.length === 0) continue;
      const preferred = groups.filter((g) => statementMatches(s, g));
      for (const g of preferred.length > 0 ? preferred : groups) want.set(`${row.id} ${g.grp}`, { stmt: row.id, grp: g.grp, org: s.org });
    }
    const have = new Set<string>();
    for (const r of this.s.applied.all(thread) as Array<{ stmt: number; grp: string }>) {
      const k = `${r.stmt} ${r.grp}`;
      have.add(k);
      if (!want.has(k)) {
        this.s.unapply.run(r.stmt, r.grp);
        t.groups.add(r.grp);
      }
    }
    for (const [k, w] of want) {
      if (have.has(k)) continue;
      this.s.apply.run(w.stmt, w.grp, w.org, thread);
      t.groups.add(w.grp);
    }
  }

  private groupPort(g: string): number | null {
    const ports = this.s.membersTwo.all(g, 'p') as Array<{ value: string }>;
    return ports.length === 1 && ports[0]!.value !== '' ? Number(ports[0]!.value) : null;
  }

  /** The group's finding as correlate would make it from all stored posts, without its observation ids (see observationIds). */
  finding(g: string): Finding | null {
    const parts = splitGroup(g);
    if (!parts) return null;
    const stat = this.s.stat.get(g) as { n: number; actors: number; targets: number } | undefined;
    if (!stat || stat.n <= 0) return null;
    const reporterList = (this.s.members.all(g, 'r') as Array<{ value: string }>).map((r) => r.value);
    const reporterSet = new Set(reporterList);
    const reporters = [...reporterSet].sort();
    const corroborating: Corroboration[] = [];
    for (const c of this.s.corroborators.all(g) as Array<{ org: string; stmt: number }>) {
      if (reporterSet.has(c.org)) continue;
      const s = JSON.parse((this.s.statement.get(c.stmt) as { json: string }).json) as ProseStatement;
      corroborating.push({ org: c.org, post: s.post, quote: s.quote, via: s.via });
    }
    // the first statement of each org, in input order (the query orders by it)
    let kind: FindingKind | null = null;
    if (reporters.length + corroborating.length >= 2) kind = 'cross-reporter';
    else if (reporters.length <= 1 && (stat.actors >= CAMPAIGN_MIN || stat.targets >= CAMPAIGN_MIN)) kind = 'campaign';
    if (!kind) return null;

    const lo = this.s.minMember.get(g, 'A') as { value: string } | undefined;
    const hi = this.s.maxMember.get(g, 'A') as { value: string } | undefined;
    const actorPrefix = (lo && hi ? coveringPrefix([hexToAddress(lo.value), hexToAddress(hi.value)]) : null) ?? parts.prefix16;
    const families = this.s.membersTwo.all(g, 'f') as Array<{ value: string }>;
    const family = families.length === 1 ? families[0]!.value : undefined;
    const dport = this.groupPort(g);
    const fMs = (this.s.firstMs.get(g) as { t: number | null }).t;
    const lMs = (this.s.lastMs.get(g) as { t: number | null }).t;
    const first = fMs === null ? null : (this.s.timeAt.get(g, fMs) as { time: string }).time;
    const last = lMs === null ? null : (this.s.timeAt.get(g, lMs) as { time: string }).time;
    const behaviour = parts.behaviour;
    const n = stat.n;
    const who =
      kind === 'cross-reporter'
        ? `${reporters.length + corroborating.length} organisations` + ` (${[...reporters, ...corroborating.map((c) => `${c.org} in prose`)].join(', ')})`
        : reporters[0] ?? 'one reporter';
    const summary =
      `${who} saw ${stat.actors === 1 ? `${actorPrefix.replace(/\/(32|128)$/, '')}` : `${stat.actors} hosts in ${actorPrefix}`}` +
      ` send ${BEHAVIOUR_WORDS[behaviour]}${describePort(dport)}${family ? ` (${family})` : ''}` +
      ` on ${stat.targets} ${stat.targets === 1 ? 'address' : 'addresses'}, ${n} ${n === 1 ? 'record' : 'records'}` +
      `${first ? ` from ${first} to ${last}` : ''}.` +
      roleSentence(behaviour, actorPrefix, family);
    const f: Finding = {
      id: findingId([kind, behaviour, parts.prefix16, dport, family]),
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
    return f;
  }

  /** The ids of a group's counted observations, in arrival order (a finding's observations). */
  observationIds(g: string): string[] {
    return (this.s.ids.all(g) as Array<{ id: string }>).map((r) => r.id);
  }

  /** The same-traffic finding of a join, as correlate makes it; null when either side is gone or no longer counted. */
  joinFinding(alertSeq: number, flowSeq: number): { finding: Finding; group: string } | null {
    const a = this.row(alertSeq);
    const fr = this.row(flowSeq);
    if (!a || !fr || !a.counted || !fr.counted || a.join_flow !== flowSeq) return null;
    const alert = JSON.parse(a.json) as Observation;
    const flow = JSON.parse(fr.json) as Observation;
    const behaviour = behaviourOf(flow.class);
    const actorPrefix = coveringPrefix([flow.actor]) ?? '';
    const family = alert.family ?? flow.family;
    const org = orgOf(flow) ?? orgOf(alert);
    const times = [alert.time, flow.time];
    let first: string | null = null;
    let last: string | null = null;
    let fMs = Infinity;
    let lMs = -Infinity;
    for (const time of times) {
      const v = timeMs(time);
      if (v === null) continue;
      if (v < fMs) {
        fMs = v;
        first = time;
      }
      if (v > lMs) {
        lMs = v;
        last = time;
      }
    }
    const what = alert.signature?.message ? `alert "${alert.signature.message}"` : `alert ${alert.id}`;
    const f: Finding = {
      id: findingId(['same-traffic', behaviour, actorPrefix, flow.dport, family, alert.id, flow.id]),
      kind: 'same-traffic',
      behaviour,
      actorPrefix,
      dport: flow.dport,
      reporters: org ? [org] : [],
      corroborating: [],
      observations: [alert.id, flow.id],
      first,
      last,
      summary:
        `The ${what} (${alert.id}) and flow record ${flow.id} are the same traffic: the flow shows it was ${flow.class}` +
        ` from ${flow.actor ?? '?'}${describePort(flow.dport)}.` +
        roleSentence(behaviour, actorPrefix, family),
    };
    if (family) f.family = family;
    return { finding: f, group: fr.eff_group ?? '' };
  }

  /** The ids of both sides of a join (for the identity of its finding when it is undone). */
  idsOf(alertSeq: number, flowSeq: number): [string, string] | null {
    const a = this.row(alertSeq);
    const f = this.row(flowSeq);
    return a && f ? [a.id, f.id] : null;
  }
}
