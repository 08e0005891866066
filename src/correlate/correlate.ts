// Correlation: observations grouped by what the actors did, the port and the actors' /16;
// a group becomes a finding when two organisations (reporters or prose corroborators) see it,
// or one reporter sees many actors or targets. Alert/flow joins become same-traffic findings.
// Hash maps only: linear in the number of observations.

import { createHash } from 'node:crypto';
import { behaviourOf } from '../contract.js';
import type { Behaviour, Corroboration, Finding, FindingKind, Observation, Post } from '../contract.js';
import { coveringPrefix, groupPrefix } from './prefix.js';
import { victimSentence } from './roles.js';
import type { ProseStatement } from './types.js';

/** distinct actors or targets from one reporter that make a campaign */
export const CAMPAIGN_MIN = 3;

/**
 * What the actor did, whatever the target answered. A lone firewall or tcpdump line with only SYN
 * set is "unknown" as a flow (nothing shows the answer) but its sender's behaviour is plain: a
 * connection attempt. Other single packets (an ACK, a RST) could belong to a normal connection.
 */
export function behaviourOfObservation(obs: Observation): Behaviour {
  if (obs.class === 'unknown' && (obs.proto ?? '').toLowerCase() === 'tcp' && obs.srcFlags === 'S' && obs.dstFlags === null) return 'syn';
  return behaviourOf(obs.class);
}

/** The key correlate groups by; the store uses it to recompute only affected groups incrementally. */
export function groupKey(obs: Observation): string {
  return groupKeyOf(obs, behaviourOfObservation(obs), groupPrefix(obs.actor));
}

function groupKeyOf(obs: Observation, behaviour: Behaviour, prefix16: string | null): string {
  // Backscatter goes to whatever source ports the flood forged; what its records share is the
  // port the victim answers from.
  const port = behaviour === 'backscatter' ? `from:${actorPort(obs) ?? '-'}` : (obs.dport ?? '-');
  return `${behaviour}|${port}|${prefix16 ?? 'none'}`;
}

function actorPort(obs: Observation): number | null {
  if (obs.actor !== null && obs.actor === obs.dst && obs.actor !== obs.src) return obs.dport;
  return obs.sport;
}

export function findingId(parts: ReadonlyArray<string | number | null | undefined>): string {
  const h = createHash('sha1').update(parts.map((p) => (p === null || p === undefined ? '' : String(p))).join('|')).digest('hex');
  return `f-${h.slice(0, 12)}`;
}

function orgOf(o: Observation): string | null {
  return o.reporter.org ?? o.reporter.address ?? null;
}

function timeMs(t: string | null): number | null {
  if (!t) return null;
  const v = Date.parse(t);
  return Number.isFinite(v) ? v : null;
}

function span(obs: readonly Observation[]): { first: string | null; last: string | null } {
  let first: string | null = null;
  let last: string | null = null;
  let fMs = Infinity;
  let lMs = -Infinity;
  for (const o of obs) {
    const t = timeMs(o.time);
    if (t === null) continue;
    if (t < fMs) {
      fMs = t;
      first = o.time;
    }
    if (t > lMs) {
      lMs = t;
      last = o.time;
    }
  }
  return { first, last };
}

/** How reports, the store's findings and the digest name a behaviour. */
export const BEHAVIOUR_WORDS: Record<Behaviour, string> = {
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

/** cross-reporter with two or more organisations, campaign with one reporter and many actors or targets */
export function groupFindingKind(reporters: number, corroborating: number, actors: number, targets: number): FindingKind | null {
  if (reporters + corroborating >= 2) return 'cross-reporter';
  if (reporters <= 1 && (actors >= CAMPAIGN_MIN || targets >= CAMPAIGN_MIN)) return 'campaign';
  return null;
}

/** The one or two sentences of a group finding; the bot's incremental store words it the same way. */
export function groupFindingSummary(p: {
  kind: FindingKind;
  reporters: readonly string[];
  corroborating: readonly Corroboration[];
  actors: number;
  targets: number;
  records: number;
  actorPrefix: string;
  behaviour: Behaviour;
  dport: number | null;
  family: string | undefined;
  first: string | null;
  last: string | null;
}): string {
  const who =
    p.kind === 'cross-reporter'
      ? `${p.reporters.length + p.corroborating.length} organisations` +
        ` (${[...p.reporters, ...p.corroborating.map((c) => `${c.org} in prose`)].join(', ')})`
      : p.reporters[0] ?? 'one reporter';
  return (
    `${who} saw ${p.actors === 1 ? `${p.actorPrefix.replace(/\/(32|128)$/, '')}` : `${p.actors} hosts in ${p.actorPrefix}`}` +
    ` send ${BEHAVIOUR_WORDS[p.behaviour]}${describePort(p.dport)}${p.family ? ` (${p.family})` : ''}` +
    ` on ${p.targets} ${p.targets === 1 ? 'address' : 'addresses'}, ${p.records} ${p.records === 1 ? 'record' : 'records'}` +
    `${p.first ? ` from ${p.first} to ${p.last}` : ''}.` +
    roleSentence(p.behaviour, p.actorPrefix, p.family)
  );
}

/** The same-traffic finding of an alert joined to its flow record. */
export function sameTrafficFinding(alert: Observation, flow: Observation): Finding {
  const behaviour = behaviourOf(flow.class);
  const actorPrefix = coveringPrefix([flow.actor]) ?? '';
  const family = alert.family ?? flow.family;
  const org = orgOf(flow) ?? orgOf(alert);
  const { first, last } = span([alert, flow]);
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
  return f;
}

/** What a statement is matched against: a group here, a finding in the LLM layer's merge. */
export interface StatementTarget {
  dport: number | null;
  behaviour: Behaviour;
  /** the actors' /16 (IPv6: /48), e.g. `130.67.0.0/16` */
  prefix16: string;
}

/** Does a statement's text point at this group rather than another one of its thread? */
export function statementMatches(s: ProseStatement, g: StatementTarget): boolean {
  return quoteMatches(s.quote.toLowerCase(), s.details.includes('no-handshake'), g, needlesOf(g));
}

/** What a statement's (lower-cased) text may name a group by: its port and its /16 as written in prose. */
interface Needles {
  /** `port 80`, `:80 `, `/80`, `.80 ` */
  port: readonly string[];
  /** `130.67.`, `130.67/` (none for IPv6) */
  network: readonly string[];
}

function needlesOf(g: StatementTarget): Needles {
  const p = g.dport === null ? null : String(g.dport);
  const m = /^(\d+)\.(\d+)\./.exec(g.prefix16);
  return {
    port: p === null ? [] : [`port ${p}`, `:${p} `, `/${p}`, `.${p} `],
    network: m ? [`${m[1]}.${m[2]}.`, `${m[1]}.${m[2]}/`] : [],
  };
}

function includesAny(q: string, needles: readonly string[]): boolean {
  for (const n of needles) if (q.includes(n)) return true;
  return false;
}

/** statementMatches on the statement's lower-cased quote and the group's needles, worked out once by the caller. */
function quoteMatches(q: string, noHandshake: boolean, g: StatementTarget, needles: Needles): boolean {
  if (includesAny(q, needles.port)) return true;
  if (noHandshake && (g.behaviour === 'midstream' || g.behaviour === 'stealth-probe')) return true;
  // "from 130.67/16", "130.67.x.x": the statement names the actors' network
  if (includesAny(q, needles.network)) return true;
  if (g.behaviour === 'backscatter' && q.includes('backscatter')) return true;
  return false;
}

/**
 * The groups of an analysis, fed one observation at a time in the corpus order (after duplicates,
 * reporters and joins are settled). Each group keeps only what its finding needs: counts, the
 * distinct reporters, actors and targets, the time span, the shared family and a reference to each
 * member (the caller's: an index, so a large corpus need not keep its observations).
 */
export class GroupAccumulator {
  readonly groups = new Map<string, Group>();
  readonly groupsOfThread = new Map<string, Group[]>();

  /** Adds an observation that is not a duplicate; `ref` names it in the finding's observations. */
  add(o: Observation, thread: string, ref: number): void {
    const prefix16 = groupPrefix(o.actor);
    if (prefix16 === null) return;
    const behaviour = behaviourOfObservation(o);
    const key = groupKeyOf(o, behaviour, prefix16);
    let g = this.groups.get(key);
    if (!g) {
      g = {
        key,
        behaviour,
        dport: o.dport,
        prefix16,
        members: [],
        reporters: new Set(),
        actors: new Set(),
        targets: new Set(),
        family: undefined,
        familyConflict: false,
        first: null,
        firstMs: Infinity,
        last: null,
        lastMs: -Infinity,
        threads: new Set(),
      };
      this.groups.set(key, g);
    } else if (g.dport !== o.dport) g.dport = null;
    g.members.push(ref);
    const org = orgOf(o);
    if (org) g.reporters.add(org);
    if (o.actor) g.actors.add(o.actor);
    if (o.target) g.targets.add(o.target);
    if (o.family && !g.familyConflict) {
      if (g.family === undefined) g.family = o.family;
      else if (g.family !== o.family) {
        g.family = undefined;
        g.familyConflict = true;
      }
    }
    const t = timeMs(o.time);
    if (t !== null) {
      if (t < g.firstMs) {
        g.firstMs = t;
        g.first = o.time;
      }
      if (t > g.lastMs) {
        g.lastMs = t;
        g.last = o.time;
      }
    }
    if (!g.threads.has(thread)) {
      g.threads.add(thread);
      let list = this.groupsOfThread.get(thread);
      if (!list) this.groupsOfThread.set(thread, (list = []));
      list.push(g);
    }
  }
}

interface Group {
  key: string;
  behaviour: Behaviour;
  dport: number | null;
  prefix16: string;
  /** the members' references, in the order added */
  members: number[];
  reporters: Set<string>;
  actors: Set<string>;
  targets: Set<string>;
  /** the family all members with one share (sharedFamily) */
  family: string | undefined;
  familyConflict: boolean;
  first: string | null;
  firstMs: number;
  last: string | null;
  lastMs: number;
  threads: Set<string>;
  /** set when a statement is first matched against the group (after grouping, when dport is final) */
  needles?: Needles;
}

/** A finding whose observation ids are still references into the caller's corpus (GroupFinding.members). */
export interface PendingFinding {
  finding: Omit<Finding, 'observations'> & { observations?: string[] };
  /** group findings: the members' references; same-traffic findings carry their ids already */
  members: readonly number[] | null;
}

/**
 * The findings of accumulated groups plus the same-traffic findings of joins, in the document's
 * order. Which "same" statements speak for which groups: the groups of the statement's thread,
 * narrowed to the ones it names. Per group only an org's first statement counts, so once an org's
 * statements cover every group of a thread its later ones are skipped unread: a long thread of
 * "same here" replies stays linear.
 */
export function buildFindings(acc: GroupAccumulator, statements: readonly ProseStatement[], sameTraffic: readonly Finding[]): PendingFinding[] {
  const corroborationOf = new Map<Group, ProseStatement[]>();
  const coveredFor = new Map<string, Set<Group>>();
  for (const s of statements) {
    if (s.polarity !== 'same' || !s.org) continue;
    const candidates = acc.groupsOfThread.get(s.thread);
    if (!candidates || candidates.length === 0) continue;
    const coverKey = `${s.thread}\u0000${s.org}`;
    let covered = coveredFor.get(coverKey);
    if (!covered) coveredFor.set(coverKey, (covered = new Set()));
    if (covered.size === candidates.length) continue;
    const q = s.quote.toLowerCase();
    const noHandshake = s.details.includes('no-handshake');
    const preferred: Group[] = [];
    for (const g of candidates) {
      if (quoteMatches(q, noHandshake, g, (g.needles ??= needlesOf(g)))) preferred.push(g);
    }
    for (const g of preferred.length > 0 ? preferred : candidates) {
      if (covered.has(g)) continue;
      covered.add(g);
      let list = corroborationOf.get(g);
      if (!list) corroborationOf.set(g, (list = []));
      list.push(s);
    }
  }

  const out: PendingFinding[] = [];
  for (const g of acc.groups.values()) {
    const reporters = [...g.reporters].sort();
    // A reporter saying "we see it too" adds no independent org: only others corroborate.
    const corroborating: Corroboration[] = [];
    const corroboratingOrgs = new Set<string>();
    for (const s of corroborationOf.get(g) ?? []) {
      const org = s.org as string;
      if (g.reporters.has(org) || corroboratingOrgs.has(org)) continue;
      corroboratingOrgs.add(org);
      corroborating.push({ org, post: s.post, quote: s.quote, via: s.via });
    }
    const kind = groupFindingKind(reporters.length, corroborating.length, g.actors.size, g.targets.size);
    if (!kind) continue;

    const actorPrefix = coveringPrefix(g.actors) ?? g.prefix16;
    const family = g.family;
    const { first, last } = g;
    const summary = groupFindingSummary({
      kind,
      reporters,
      corroborating,
      actors: g.actors.size,
      targets: g.targets.size,
      records: g.members.length,
      actorPrefix,
      behaviour: g.behaviour,
      dport: g.dport,
      family,
      first,
      last,
    });
    const f: PendingFinding['finding'] = {
      id: findingId([kind, g.behaviour, g.prefix16, g.dport, family]),
      kind,
      behaviour: g.behaviour,
      actorPrefix,
      dport: g.dport,
      reporters,
      corroborating,
      observations: undefined,
      first,
      last,
      summary,
    };
    if (family) f.family = family;
    out.push({ finding: f, members: g.members });
  }
  for (const f of sameTraffic) out.push({ finding: f, members: null });

  const order: Record<FindingKind, number> = { 'cross-reporter': 0, campaign: 1, 'same-traffic': 2 };
  out.sort(
    ({ finding: a }, { finding: b }) =>
      order[a.kind] - order[b.kind] || (timeMs(a.first) ?? 0) - (timeMs(b.first) ?? 0) || (a.id < b.id ? -1 : 1),
  );
  return out;
}

/** The finding with its member references turned into observation ids (the key stays where the literal put it). */
export function resolveFinding(p: PendingFinding, idOf: (ref: number) => string): Finding {
  if (p.members !== null) p.finding.observations = p.members.map(idOf);
  return p.finding as Finding;
}

export function correlate(input: {
  posts: readonly Post[];
  observations: readonly Observation[];
  statements: readonly ProseStatement[];
  joins: ReadonlyArray<{ alert: string; flow: string }>;
}): Finding[] {
  const threadOfPost = new Map<string, string>();
  for (const p of input.posts) threadOfPost.set(p.id, p.thread);

  const acc = new GroupAccumulator();
  const byId = new Map<string, Observation>();
  const observations = input.observations;
  for (let i = 0; i < observations.length; i++) {
    const o = observations[i] as Observation;
    byId.set(o.id, o);
    if (o.duplicateOf !== undefined) continue;
    acc.add(o, threadOfPost.get(o.post) ?? o.post, i);
  }

  const sameTraffic: Finding[] = [];
  for (const j of input.joins) {
    const alert = byId.get(j.alert);
    const flow = byId.get(j.flow);
    if (!alert || !flow || alert.duplicateOf !== undefined || flow.duplicateOf !== undefined) continue;
    sameTraffic.push(sameTrafficFinding(alert, flow));
  }

  return buildFindings(acc, input.statements, sameTraffic).map((p) => resolveFinding(p, (i) => (observations[i] as Observation).id));
}
