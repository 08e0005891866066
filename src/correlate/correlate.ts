// Correlation: observations grouped by what the actors did, the port and the actors' /16;
// a group becomes a finding when two organisations (reporters or prose corroborators) see it,
// or one reporter sees many actors or targets. Alert/flow joins become same-traffic findings.
// Hash maps only: linear in the number of observations.

import { createHash } from 'node:crypto';
import { behaviourOf } from '../contract.js';
import type { Behaviour, Corroboration, Finding, FindingKind, Observation, Post } from '../contract.js';
import { isoTimeMs } from './iso-time.js';
import { Float64List, Int32List, Uint8List } from './typed-lists.js';
import { coveringPrefix, coveringPrefixOfQuads, groupPrefix } from './prefix.js';
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

/**
 * The port a backscatter group's actors answer from, as its key holds it (`backscatter|from:80|…`);
 * null for any other group, or when the port is not known. Two backscatter groups of one /16 differ
 * only in it, so a finding's id and summary must carry it.
 */
export function answeringPortOf(key: string): number | null {
  if (!key.startsWith('backscatter|from:')) return null;
  const end = key.indexOf('|', 17);
  const port = Number(key.slice(17, end < 0 ? key.length : end));
  return end > 17 && Number.isInteger(port) ? port : null;
}

/** A group finding's id: the key's parts, and for backscatter the port answered from. */
export function groupFindingId(kind: FindingKind, behaviour: Behaviour, prefix16: string, dport: number | null, family: string | undefined, key: string): string {
  if (behaviour !== 'backscatter') return findingId([kind, behaviour, prefix16, dport, family]);
  return findingId([kind, behaviour, prefix16, dport, family, `from:${answeringPortOf(key) ?? '-'}`]);
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
  const v = isoTimeMs(t);
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
  /** backscatter: the port the actors answer from (answeringPortOf), else null */
  fromPort: number | null;
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
    ` send ${BEHAVIOUR_WORDS[p.behaviour]}${p.fromPort === null ? '' : ` from port ${p.fromPort}`}${describePort(p.dport)}${p.family ? ` (${p.family})` : ''}` +
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
 * reporters and joins are settled). Each group keeps only what its finding needs: the time span,
 * the shared family and its members; a member is the caller's reference (an index, so a large
 * corpus need not keep its observations) plus its actor and target, a dotted quad as its 32-bit
 * number (a string only when it is anything else), and its reporter's number, kept by a
 * GroupMembers (flat typed lists on the heap, or the spill's file) by the group's number: its
 * distinct reporters, actors and targets are read from them when buildFindings counts it.
 */
export class GroupAccumulator {
  readonly groups = new Map<string, Group>();
  readonly groupsOfThread = new Map<string, Group[]>();
  /** groups made so far: a group's number (Group.index) is how many were made before it */
  private groupCount = 0;
  /** groupPrefix of the dotted quads, by their first two bytes */
  private readonly prefixOf16 = new Map<number, string>();
  /** the groups of dotted-quad actors by behaviour, port and /16 as one number (see add) */
  private readonly groupOfNumber = new Map<number, Group>();

  /**
   * keep: how a string the groups hold on to is kept. A caller whose observations are parsed from
   * JSON passes a flat copy (V8 keeps a parsed string of 13+ characters as a slice of the text it
   * came from, so one kept address would keep its whole chunk of the file alive).
   */
  constructor(
    readonly keep: (s: string) => string = (s) => s,
    /** where the members are kept: in memory, or (the spilling corpus) in a file read back by group */
    private readonly members: GroupMembers = new MemoryGroupMembers(),
  ) {}

  /**
   * The threads whose groups buildFindings asks for (groupsOfThread): those of the "same"
   * statements with an organisation. Null: every thread. A large corpus's groups otherwise list
   * every thread they span, for the few threads anyone comments on.
   */
  threadsAsked: ReadonlySet<string> | null = null;

  /**
   * Threads given as numbers (the spilling corpus numbers the threads asked about 0, 1, ... and
   * gives -1 for the rest): each group's (thread, group number) pair, written once per run of the
   * same thread in the group, in a flat list (the exact pairs are sorted out of it when the first
   * statement asks, groupsOfThreadRef) instead of sets and lists of strings per group.
   */
  private threadPairs = new Int32List();
  /** the groups by their number (Group.index), for threads given as numbers */
  private groupsByIndex: Group[] = [];
  /** by thread number: where its groups' numbers start in threadGroups (its end is the next thread's start) */
  private threadStart: Int32Array | null = null;
  private threadGroups: Int32Array | null = null;

  /** Adds an observation that is not a duplicate; `ref` names it in the finding's observations. */
  add(o: Observation, thread: string | number, ref: number): void {
    const actor = o.actor;
    if (actor === null) return;
    const actorQuad = quadNumber(actor);
    let prefix16: string | null;
    if (actorQuad !== null) prefix16 = this.prefixOfQuad(actorQuad, actor);
    else {
      // kept before groupPrefix sees it: prefix.ts caches its parses by the address string
      prefix16 = groupPrefix(this.keep(actor));
      if (prefix16 === null) return;
    }
    const behaviour = behaviourOfObservation(o);
    const target = o.target;
    const targetQuad = target ? quadNumber(target) : null;
    const dport = o.dport;
    let g: Group | undefined;
    if (actorQuad !== null) {
      // a dotted-quad actor's group found by a number instead of its key string (built and hashed per record otherwise)
      const n = groupNumber(o, behaviour, actorQuad);
      if (n >= 0) {
        g = this.groupOfNumber.get(n);
        if (g === undefined) this.groupOfNumber.set(n, (g = this.groupOf(groupKeyOf(o, behaviour, prefix16), behaviour, dport, prefix16, this.keep)));
        else if (g.dport !== dport) g.dport = null;
      }
    }
    g ??= this.groupOf(groupKeyOf(o, behaviour, prefix16), behaviour, dport, prefix16, this.keep);
    this.addTo(g, actor, actorQuad, target || null, targetQuad, orgOf(o), o.family, o.time, null, timeMs(o.time), thread, ref, this.keep);
  }

  /**
   * add() for a caller that worked out an observation's group number beforehand (the spilling
   * corpus, when it stored the observation; groupNumberOf, not -1), with its port, a dotted-quad
   * actor as its number, the target as its number (null: none), the reporter's org, the family, the time's instant (null: none) and where to read the time itself (by `ref`, when
   * the finding is built, for the member that ends up first or last). Same groups as add().
   */
  addQuadMember(groupNumber: number, dport: number | null, actorQuad: number, targetQuad: number | null, org: string | null, family: string | undefined, ms: number | null, time: TimeSource, thread: string | number, ref: number): void {
    let g = this.groupOfNumber.get(groupNumber);
    if (g === undefined) {
      const f = this.groupFactsOfNumber(groupNumber);
      // (the /16 is the accumulator's own kept copy)
      this.groupOfNumber.set(groupNumber, (g = this.groupOf(this.keep(f.key), f.behaviour, dport, f.prefix16, asGiven)));
    } else if (g.dport !== dport) g.dport = null;
    // the caller's strings are its own kept copies (one per party, thread, family): held as they are
    this.addTo(g, null, actorQuad, null, targetQuad, org, family, null, time, ms, thread, ref, asGiven);
  }

  /**
   * The group facts of a group number (groupNumberOf, not -1): what groupFactsOf gives for every
   * observation with that number, worked out from the number alone (behaviour, port, the /16).
   */
  groupFactsOfNumber(n: number): GroupFacts {
    const high = Math.floor(n / 65536);
    const kind = Math.floor(high / 65537);
    const portPart = high % 65537;
    const behaviour = BEHAVIOURS[kind >> 1] as Behaviour;
    const port = portPart === 65536 ? null : portPart;
    const quad = (n % 65536) * 65536;
    const prefix16 = this.prefixOfQuad(quad, quadString(quad));
    const keyPort = kind & 1 ? `from:${port ?? '-'}` : (port ?? '-');
    return { key: `${behaviour}|${keyPort}|${prefix16}`, behaviour, prefix16 };
  }

  /**
   * A number for the group of an observation whose actor is a dotted quad (given as its number):
   * observations with the same number have the same group facts (groupFactsOf), so a caller can
   * look the facts up by it instead of by their key string. -1 when it has none (then the key).
   */
  groupNumberOf(o: Observation, actorQuad: number): number {
    return groupNumber(o, behaviourOfObservation(o), actorQuad);
  }

  /** The group facts of an observation whose actor is a dotted quad, given as its number: what addQuadMember takes. */
  groupFactsOf(o: Observation, actorQuad: number): GroupFacts {
    const prefix16 = this.prefixOfQuad(actorQuad, o.actor as string);
    const behaviour = behaviourOfObservation(o);
    return { key: groupKeyOf(o, behaviour, prefix16), behaviour, prefix16 };
  }

  /** a dotted quad's /16 is its first two bytes: groupPrefix once per /16, not per observation */
  private prefixOfQuad(actorQuad: number, actor: string): string {
    const hi = actorQuad >>> 16;
    let prefix16 = this.prefixOf16.get(hi);
    if (prefix16 === undefined) this.prefixOf16.set(hi, (prefix16 = groupPrefix(this.keep(actor)) as string));
    return prefix16;
  }

  /** The group of this key, made if new; a member's port that differs from the group's leaves the group without one. */
  private groupOf(key: string, behaviour: Behaviour, dport: number | null, prefix16: string, keep: (s: string) => string): Group {
    let g = this.groups.get(key);
    if (!g) {
      g = {
        key: keep(key),
        index: this.groupCount++,
        behaviour,
        dport,
        prefix16: keep(prefix16),
        count: 0,
        reporters: null,
        otherActors: null,
        otherTargets: null,
        family: undefined,
        familyConflict: false,
        first: null,
        firstMs: Infinity,
        firstRef: -1,
        last: null,
        lastMs: -Infinity,
        lastRef: -1,
        thread: null,
        threads: null,
        lastThread: -1,
      };
      this.groupsByIndex.push(g);
      this.groups.set(g.key, g);
    } else if (g.dport !== dport) g.dport = null;
    return g;
  }

  /** actor: the actor's string, needed only when it is not a dotted quad (actorQuad null); target likewise */
  private addTo(
    g: Group,
    actor: string | null,
    actorQuad: number | null,
    target: string | null,
    targetQuad: number | null,
    org: string | null,
    family: string | undefined,
    time: string | null,
    timeSource: TimeSource | null,
    t: number | null,
    thread: string | number,
    ref: number,
    keep: (s: string) => string,
  ): void {
    g.count++;
    let kind = 0;
    if (actorQuad !== null) kind |= ACTOR_QUAD;
    else if (!g.otherActors?.has(actor as string)) (g.otherActors ??= new Set()).add(keep(actor as string));
    if (targetQuad !== null) kind |= TARGET_QUAD;
    else if (target !== null) {
      if (!g.otherTargets?.has(target)) (g.otherTargets ??= new Set()).add(keep(target));
    } else kind |= NO_TARGET;
    this.members.push(g.index, ref, actorQuad ?? 0, targetQuad ?? 0, kind, org ? this.orgNumberOf(org, keep) : -1);

    if (family && !g.familyConflict) {
      if (g.family === undefined) g.family = keep(family);
      else if (g.family !== family) {
        g.family = undefined;
        g.familyConflict = true;
      }
    }
    if (t !== null) {
      // from a time source only the member is noted, and its time read when the finding is built:
      // a string per new first or last would pile up (promoted before the next one replaces it)
      if (t < g.firstMs) {
        g.firstMs = t;
        g.first = timeSource === null ? time && keep(time) : null;
        g.firstRef = timeSource === null ? -1 : ref;
      }
      if (t > g.lastMs) {
        g.lastMs = t;
        g.last = timeSource === null ? time && keep(time) : null;
        g.lastRef = timeSource === null ? -1 : ref;
      }
      if (timeSource !== null) this.timeSource = timeSource;
    }
    if (typeof thread === 'number') {
      if (thread >= 0 && g.lastThread !== thread) {
        g.lastThread = thread;
        this.threadPairs.push(thread);
        this.threadPairs.push(g.index);
      }
    } else if ((this.threadsAsked === null || this.threadsAsked.has(thread)) && g.thread !== thread && !g.threads?.has(thread)) {
      const kept = keep(thread);
      if (g.thread === null) g.thread = kept;
      else (g.threads ??= new Set([g.thread])).add(kept);
      let list = this.groupsOfThread.get(kept);
      if (!list) this.groupsOfThread.set(kept, (list = []));
      list.push(g);
    }
  }

  /** the members' reporters (an org, else an address) by number, and the last one looked up */
  private readonly orgNumber = new Map<string, number>();
  private readonly orgs: string[] = [];
  private lastOrg: string | null = null;
  private lastOrgNumber = -1;

  private orgNumberOf(org: string, keep: (s: string) => string): number {
    if (org === this.lastOrg) return this.lastOrgNumber;
    let n = this.orgNumber.get(org);
    if (n === undefined) {
      n = this.orgs.length;
      const kept = keep(org);
      this.orgs.push(kept);
      this.orgNumber.set(kept, n);
    }
    this.lastOrg = org;
    this.lastOrgNumber = n;
    return n;
  }

  /** where members added with addQuadMember have their times read */
  private timeSource: TimeSource | null = null;

  /** A group's first and last times, read from the time source for members that came from one. */
  timesOf(g: Group): { first: string | null; last: string | null } {
    if (g.firstRef >= 0) {
      const t = (this.timeSource as TimeSource).timeOf(g.firstRef);
      g.first = t && this.keep(t);
      g.firstRef = -1;
    }
    if (g.lastRef >= 0) {
      const t = (this.timeSource as TimeSource).timeOf(g.lastRef);
      g.last = t && this.keep(t);
      g.lastRef = -1;
    }
    return { first: g.first, last: g.last };
  }

  /**
   * Lets go of what only counting the addresses and finding a statement's groups read: the
   * members' actors, targets, kinds and reporters (GroupMembers.releaseAddresses) and the groups
   * by key and by thread. buildFindings calls it once it has counted every group's addresses and kept the
   * groups with a finding; addressesOf and add may not be called after.
   */
  releaseAddresses(): void {
    this.members.releaseAddresses();
    this.groups.clear();
    this.groupsOfThread.clear();
    this.groupsByIndex = [];
    this.threadPairs = new Int32List();
    this.threadStart = null;
    this.threadGroups = null;
    this.groupOfNumber.clear();
    this.prefixOf16.clear();
  }

  /** The groups of a thread: its name (groupsOfThread), or its number when threads were given as numbers. */
  groupsOfThreadRef(thread: string | number): readonly Group[] | undefined {
    if (typeof thread === 'string') return this.groupsOfThread.get(thread);
    if (this.threadStart === null) this.sortThreadPairs();
    const start = this.threadStart as Int32Array;
    if (!(thread >= 0 && thread + 1 < start.length)) return undefined;
    const groups: Group[] = [];
    const of = this.threadGroups as Int32Array;
    for (let k = start[thread] as number; k < (start[thread + 1] as number); k++) groups.push(this.groupsByIndex[of[k] as number] as Group);
    return groups;
  }

  /** the pairs by thread (counted, then placed), each thread's groups sorted and once each */
  private sortThreadPairs(): void {
    const pairs = this.threadPairs;
    let threads = 0;
    for (let k = 0; k < pairs.length; k += 2) threads = Math.max(threads, pairs.get(k) + 1);
    const start = new Int32Array(threads + 1);
    for (let k = 0; k < pairs.length; k += 2) (start[pairs.get(k) + 1] as number)++;
    for (let t = 0; t < threads; t++) start[t + 1] = (start[t + 1] as number) + (start[t] as number);
    const at = start.slice(0, threads);
    const of = new Int32Array(pairs.length / 2);
    for (let k = 0; k < pairs.length; k += 2) {
      const t = pairs.get(k);
      of[(at[t] as number)++] = pairs.get(k + 1);
    }
    this.threadPairs = new Int32List();
    // a group noted again after another thread: sorted within its thread and written once
    let out = 0;
    for (let t = 0; t < threads; t++) {
      const from = start[t] as number;
      const to = start[t + 1] as number;
      const run = of.subarray(from, to).sort();
      start[t] = out;
      for (let k = 0; k < run.length; k++) if (k === 0 || run[k] !== run[k - 1]) of[out++] = run[k] as number;
    }
    start[threads] = out;
    this.threadStart = start;
    this.threadGroups = of.subarray(0, out);
  }

  /** The members' references of a group (by its number), in the order added, one at a time. */
  forEachMemberOfGroup(group: number, visit: (ref: number) => void): void {
    this.members.forEachRef(group, visit);
  }

  /** The members' references of a group (by its number), in the order added. */
  membersOfGroup(group: number): number[] {
    const out: number[] = [];
    this.members.forEachRef(group, (ref) => out.push(ref));
    return out;
  }

  hasReporter(g: Group, org: string): boolean {
    return g.reporters !== null && g.reporters.includes(org);
  }

  /**
   * How many distinct actors and targets a group has, and the addresses its actors' covering
   * prefix depends on; its distinct reporters are noted on it (reportersOf).
   */
  addressesOf(g: Group): { actors: number; targets: number; actorPrefix: string | null } {
    const read = this.members.readGroup(g.index, g.count);
    const orgs = distinctSorted(read.orgs);
    if (orgs.length > 0) {
      const names: string[] = [];
      for (let k = 0; k < orgs.length; k++) names.push(this.orgs[orgs[k] as number] as string);
      g.reporters = names.sort();
    }
    const a = distinctSorted(read.actors);
    const t = distinctSorted(read.targets);
    // The dotted quads' common leading bytes are those of the lowest and the highest (numerically
    // sorted, big-endian), so coveringPrefix of those two and the other actors is that of them all.
    // Only dotted quads: from the two numbers (parsing two strings would leave them in prefix.ts's
    // parse cache, two entries per finding, up to 50,000 held).
    let actorPrefix: string | null;
    if (a.length > 0 && !g.otherActors) actorPrefix = coveringPrefixOfQuads(a[0] as number, a[a.length - 1] as number);
    else {
      const actorExtremes: string[] = [];
      if (a.length > 0) actorExtremes.push(quadString(a[0] as number), quadString(a[a.length - 1] as number));
      if (g.otherActors) for (const s of g.otherActors) actorExtremes.push(s);
      actorPrefix = coveringPrefix(actorExtremes);
    }
    return { actors: a.length + (g.otherActors?.size ?? 0), targets: t.length + (g.otherTargets?.size ?? 0), actorPrefix };
  }
}

/**
 * Where a GroupAccumulator keeps its groups' members: each member's reference (the caller's index
 * of the observation), its actor and target as dotted-quad numbers and its kind (ACTOR_QUAD,
 * TARGET_QUAD, NO_TARGET bits), by its group's number (0, 1, ... in the order the groups are made).
 */
export interface GroupMembers {
  /** org: the member's reporter as the accumulator numbers them, -1 for none */
  push(group: number, ref: number, actorQuad: number, targetQuad: number, kind: number, org: number): void;
  /**
   * The group's dotted-quad actors (members with ACTOR_QUAD) and targets (TARGET_QUAD), unsigned,
   * and its members' reporters (none: left out), in any order and repeated; the arrays may be
   * reused by the next call. count: the group's members. An implementation may require the groups
   * in increasing order, each once (buildFindings asks so).
   */
  readGroup(group: number, count: number): { actors: Uint32Array; targets: Uint32Array; orgs: Uint32Array };
  /** readGroup is not called again: what only it read may go */
  releaseAddresses(): void;
  /** The group's references in the order added. */
  forEachRef(group: number, visit: (ref: number) => void): void;
}

/** GroupMembers in flat typed lists on the heap, chained per group: 21 bytes a member plus 8 a group. */
export class MemoryGroupMembers implements GroupMembers {
  private readonly ref = new Int32List();
  private readonly next = new Int32List();
  private actor = new Int32List();
  private target = new Int32List();
  private kind = new Uint8List();
  private org = new Int32List();
  /** by group: its first and last member */
  private readonly head = new Int32List();
  private readonly tail = new Int32List();

  push(group: number, ref: number, actorQuad: number, targetQuad: number, kind: number, org: number): void {
    const m = this.ref.push(ref);
    this.next.push(-1);
    while (this.head.length <= group) {
      this.head.push(-1);
      this.tail.push(-1);
    }
    const tail = this.tail.get(group);
    if (tail >= 0) this.next.set(tail, m);
    else this.head.set(group, m);
    this.tail.set(group, m);
    this.actor.push(actorQuad);
    this.target.push(targetQuad);
    this.kind.push(kind);
    this.org.push(org);
  }

  readGroup(group: number, count: number): { actors: Uint32Array; targets: Uint32Array; orgs: Uint32Array } {
    const actors = new Uint32Array(count);
    const targets = new Uint32Array(count);
    const orgs = new Uint32Array(count);
    let na = 0;
    let nt = 0;
    let no = 0;
    for (let m = group < this.head.length ? this.head.get(group) : -1; m >= 0; m = this.next.get(m)) {
      const kind = this.kind.get(m);
      if (kind & ACTOR_QUAD) actors[na++] = this.actor.get(m) >>> 0;
      if (kind & TARGET_QUAD) targets[nt++] = this.target.get(m) >>> 0;
      const org = this.org.get(m);
      if (org >= 0) orgs[no++] = org;
    }
    return { actors: actors.subarray(0, na), targets: targets.subarray(0, nt), orgs: orgs.subarray(0, no) };
  }

  releaseAddresses(): void {
    this.actor = new Int32List();
    this.target = new Int32List();
    this.kind = new Uint8List();
    this.org = new Int32List();
  }

  forEachRef(group: number, visit: (ref: number) => void): void {
    for (let m = group < this.head.length ? this.head.get(group) : -1; m >= 0; m = this.next.get(m)) visit(this.ref.get(m));
  }
}

/** Members' times, read when a finding is built (GroupAccumulator.addQuadMember): the time of the member with this reference. */
export interface TimeSource {
  timeOf(ref: number): string | null;
}

/** What an observation's group is, worked out once: see GroupAccumulator.groupFactsOf. */
export interface GroupFacts {
  key: string;
  behaviour: Behaviour;
  prefix16: string;
}

const asGiven = (s: string): string => s;

/** the behaviours by their number in a group's numeric key */
const BEHAVIOURS = Object.keys(BEHAVIOUR_WORDS) as Behaviour[];

/** each behaviour's number in a group's numeric key */
const BEHAVIOUR_NUMBER: Partial<Record<string, number>> = Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(Object.keys(BEHAVIOUR_WORDS).map((b, i) => [b, i])));

/**
 * Behaviour, port (a backscatter's from-port) and the actor's /16 as one number: what a dotted-quad
 * actor's group key is built from, so equal numbers give equal keys. -1 for a behaviour or port
 * the number cannot hold.
 */
function groupNumber(o: Observation, behaviour: Behaviour, actorQuad: number): number {
  const kind = BEHAVIOUR_NUMBER[behaviour];
  const backscatter = behaviour === 'backscatter';
  const port = backscatter ? actorPort(o) : o.dport;
  if (kind === undefined || !(port === null || (port >>> 0 === port && port < 65536))) return -1;
  return ((kind * 2 + (backscatter ? 1 : 0)) * 65537 + (port === null ? 65536 : port)) * 65536 + (actorQuad >>> 16);
}

/** a member's kind bits (GroupMembers): its actor is a dotted quad (its number is the address), its target is, it has none */
export const ACTOR_QUAD = 1;
export const TARGET_QUAD = 2;
export const NO_TARGET = 4;

/**
 * A dotted quad as its number (an exact round trip: only the canonical form, four decimal parts
 * without leading zeros, each at most 255, as decimalQuadBytes takes), else null. Read here
 * without decimalQuadBytes' array: the groups ask it twice per record.
 */
export function quadNumber(s: string): number | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  let v = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || parts === 4) return null;
      v = (v << 8) | part;
      parts++;
      part = 0;
      digits = 0;
    } else return null;
  }
  return parts === 4 ? v : null;
}

function quadString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function distinctSorted(v: Uint32Array): Uint32Array {
  v.sort();
  let k = 0;
  for (let i = 0; i < v.length; i++) if (i === 0 || v[i] !== v[i - 1]) v[k++] = v[i] as number;
  return v.subarray(0, k);
}

interface Group {
  key: string;
  /** the group's number: groups made before it (its members' group in GroupMembers) */
  index: number;
  behaviour: Behaviour;
  dport: number | null;
  prefix16: string;
  count: number;
  /** the distinct reporters, sorted: noted when the group's members are read (addressesOf); null before, and for none */
  reporters: string[] | null;
  /** actors and targets that are not dotted quads */
  otherActors: Set<string> | null;
  otherTargets: Set<string> | null;
  /** the family all members with one share (sharedFamily) */
  family: string | undefined;
  familyConflict: boolean;
  first: string | null;
  firstMs: number;
  /** the member whose time is first, when it came from a time source (first is read from it later); else -1 */
  firstRef: number;
  last: string | null;
  lastMs: number;
  lastRef: number;
  /** the one thread, until a second makes it a set */
  thread: string | null;
  threads: Set<string> | null;
  /** threads given as numbers: the last one noted (GroupAccumulator.threadPairs), -1 before */
  lastThread: number;
  /** set when a statement is first matched against the group (after grouping, when dport is final) */
  needles?: Needles;
}

/**
 * The statements buildFindings reads: in order once, then some by their number (k-th in that
 * order) when their group's finding is built. An array is one; the spilling corpus reads them
 * from a file.
 */
export interface StatementList extends Iterable<ProseStatement> {
  at(k: number): ProseStatement | undefined;
  /** statement k's thread as the GroupAccumulator was given it, when given as a number (absent: the statement's thread) */
  threadOf?(k: number): number;
}

/** The threads buildFindings asks GroupAccumulator.groupsOfThread for: those of "same" statements with an organisation. */
export function threadsAskedBy(statements: Iterable<ProseStatement>): Set<string> {
  const threads = new Set<string>();
  for (const s of statements) if (s.polarity === 'same' && s.org) threads.add(s.thread);
  return threads;
}

/** A finding whose observation ids are still references into the caller's corpus. */
export interface PendingFinding {
  finding: Omit<Finding, 'observations'> & { observations?: string[] };
  /** group findings: the members' references, listed when asked (one finding's at a time); same-traffic findings carry their ids already */
  members: (() => number[]) | null;
  /** members, one at a time (a large group's list need not be held); null with members */
  forEachMember: ((visit: (ref: number) => void) => void) | null;
}

/**
 * The findings of accumulated groups plus the same-traffic findings of joins, in the document's
 * order. Which "same" statements speak for which groups: the groups of the statement's thread,
 * narrowed to the ones it names. Per group only an org's first statement counts, so once an org's
 * statements cover every group of a thread its later ones are skipped unread: a long thread of
 * "same here" replies stays linear. It uses the accumulator up (releaseAddresses): one call per
 * accumulator; the findings are built as the result is iterated, in order.
 */
export function buildFindings(acc: GroupAccumulator, statements: StatementList, sameTraffic: readonly Finding[], records: FindingRecords = new MemoryFindingRecords()): Generator<PendingFinding> {
  // a group's statements by their number in the list (read back when its finding is built), and
  // each statement's org as a number (the orgs are few): nothing of a statement is held but these
  const corroborationOf = new Map<Group, number[]>();
  const orgOfStatement = new Int32List();
  const orgNumber = new Map<string, number>();
  const orgNames: string[] = [];
  const coveredFor = new Map<string, Set<Group>>();
  let k = -1;
  for (const s of statements) {
    k++;
    // (threadsAskedBy names the threads that get past this test)
    if (s.polarity !== 'same' || !s.org) continue;
    const thread = statements.threadOf?.(k) ?? s.thread;
    const candidates = acc.groupsOfThreadRef(thread);
    if (!candidates || candidates.length === 0) continue;
    const coverKey = `${thread}\u0000${s.org}`;
    let covered = coveredFor.get(coverKey);
    if (!covered) coveredFor.set(coverKey, (covered = new Set()));
    if (covered.size === candidates.length) continue;
    const q = s.quote.toLowerCase();
    const noHandshake = s.details.includes('no-handshake');
    const preferred: Group[] = [];
    for (const g of candidates) {
      if (quoteMatches(q, noHandshake, g, (g.needles ??= needlesOf(g)))) preferred.push(g);
    }
    let org = orgNumber.get(s.org);
    if (org === undefined) {
      orgNumber.set(s.org, (org = orgNames.length));
      orgNames.push(s.org);
    }
    while (orgOfStatement.length <= k) orgOfStatement.push(-1);
    orgOfStatement.set(k, org);
    for (const g of preferred.length > 0 ? preferred : candidates) {
      if (covered.has(g)) continue;
      covered.add(g);
      let list = corroborationOf.get(g);
      if (!list) corroborationOf.set(g, (list = []));
      list.push(k);
    }
  }
  coveredFor.clear();

  // Each group's sort key (kind, first time, id: numbers in typed lists) first, and what building
  // its finding needs as one record (FindingRecords: a file in the spilling corpus), the findings
  // built one at a time as they are taken in order. Held as objects with their groups until the
  // sort, they were ~860 bytes a finding (~29,000 findings at 1,000,000 posts).
  const order: Record<FindingKind, number> = { 'cross-reporter': 0, campaign: 1, 'same-traffic': 2 };
  const keys = new FindingKeys();
  for (const g of acc.groups.values()) {
    // (reads the members: the group's reporters too)
    const { actors, targets, actorPrefix } = acc.addressesOf(g);
    const corroborations = corroborationOf.get(g);
    let corroborating = 0;
    if (corroborations) {
      const orgs = new Set<number>();
      for (const k of corroborations) {
        const org = orgOfStatement.get(k);
        if (orgs.has(org) || acc.hasReporter(g, orgNames[org] as string)) continue;
        orgs.add(org);
        corroborating++;
      }
    }
    const reporters = g.reporters === null ? 0 : g.reporters.length;
    const kind = groupFindingKind(reporters, corroborating, actors, targets);
    if (!kind) {
      // let go young: most groups have no finding
      g.reporters = null;
      continue;
    }
    const { first, last } = acc.timesOf(g);
    const id = groupFindingId(kind, g.behaviour, g.prefix16, g.dport, g.family, g.key);
    const record = records.push({
      id,
      kind,
      group: g.index,
      actors,
      targets,
      records: g.count,
      actorPrefix: actorPrefix ?? g.prefix16,
      behaviour: g.behaviour,
      dport: g.dport,
      family: g.family,
      fromPort: answeringPortOf(g.key),
      reporters: g.reporters ?? [],
      first,
      last,
      statements: corroborations ?? [],
    });
    g.reporters = null;
    keys.push(order[kind], timeMs(first) ?? 0, id, record);
  }
  corroborationOf.clear();
  // the groups, and what only counting needed, are let go before the findings are built
  acc.releaseAddresses();
  for (let t = 0; t < sameTraffic.length; t++) {
    const f = sameTraffic[t] as Finding;
    keys.push(order[f.kind], timeMs(f.first) ?? 0, f.id, -1 - t);
  }
  return findingsInOrder(acc, keys.sorted(), records, sameTraffic, statements);
}

/** What building a group's finding needs, worked out when its group was counted (buildFindings). */
export interface GroupFindingRecord {
  id: string;
  kind: FindingKind;
  /** the group's number (its members) */
  group: number;
  actors: number;
  targets: number;
  records: number;
  actorPrefix: string;
  behaviour: Behaviour;
  dport: number | null;
  family: string | undefined;
  /** backscatter: the port the actors answer from */
  fromPort: number | null;
  /** distinct, sorted */
  reporters: string[];
  first: string | null;
  last: string | null;
  /** the statements (their numbers in the StatementList) that speak for the group, in order */
  statements: number[];
}

/** Where buildFindings keeps its group findings' records until they are built in order: push gives a record's number. */
export interface FindingRecords {
  push(r: GroupFindingRecord): number;
  at(k: number): GroupFindingRecord;
}

/** FindingRecords on the heap: the objects themselves. */
export class MemoryFindingRecords implements FindingRecords {
  private list: Array<GroupFindingRecord | undefined> = [];

  push(r: GroupFindingRecord): number {
    return this.list.push(r) - 1;
  }

  /** each record is taken once: let go as taken */
  at(k: number): GroupFindingRecord {
    const r = this.list[k] as GroupFindingRecord;
    this.list[k] = undefined;
    return r;
  }
}

/** a finding id as findingId makes them: `f-` and 12 lower-case hex digits (48 bits, so a number sorts them as their strings) */
const FINDING_ID = /^f-[0-9a-f]{12}$/;

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The findings' order keys (kind's rank, first time, id) in typed lists, and for each the record
 * it takes: a group finding's record number, or -1 - t for sameTraffic[t].
 */
class FindingKeys {
  private readonly rank = new Uint8List();
  private readonly firstMs = new Float64List();
  private readonly idNumber = new Float64List();
  private readonly record = new Int32List();
  /** the ids themselves, kept only once one is not of findingId's form (then compared as strings) */
  private ids: string[] | null = null;

  push(rank: number, firstMs: number, id: string, record: number): void {
    const k = this.record.push(record);
    this.rank.push(rank);
    this.firstMs.push(firstMs);
    const numbered = FINDING_ID.test(id);
    this.idNumber.push(numbered ? parseInt(id.slice(2), 16) : 0);
    if (!numbered && this.ids === null) {
      // from here on every id is kept as a string (those before are made back from their numbers)
      this.ids = [];
      for (let j = 0; j < k; j++) this.ids.push(`f-${this.idNumber.get(j).toString(16).padStart(12, '0')}`);
    }
    this.ids?.push(id);
  }

  /**
   * the records in the findings' order: by rank, first time, id, then as pushed (the sort is
   * stable; a comparison that never said "equal" left findings equal in all three in whatever order
   * the sort happened to: reversed by Int32Array's, as pushed by Array's)
   */
  sorted(): Int32Array {
    const n = this.record.length;
    const pos = new Int32Array(n);
    for (let k = 0; k < n; k++) pos[k] = k;
    const rank = this.rank;
    const firstMs = this.firstMs;
    const ids = this.ids;
    const idNumber = this.idNumber;
    pos.sort(
      ids === null
        ? (a, b) => rank.get(a) - rank.get(b) || firstMs.get(a) - firstMs.get(b) || idNumber.get(a) - idNumber.get(b)
        : (a, b) => rank.get(a) - rank.get(b) || firstMs.get(a) - firstMs.get(b) || compareIds(ids[a] as string, ids[b] as string),
    );
    for (let k = 0; k < n; k++) pos[k] = this.record.get(pos[k] as number);
    return pos;
  }
}

function* findingsInOrder(acc: GroupAccumulator, order: Int32Array, records: FindingRecords, sameTraffic: readonly Finding[], statements: StatementList): Generator<PendingFinding> {
  for (let i = 0; i < order.length; i++) {
    const k = order[i] as number;
    if (k < 0) {
      yield { finding: sameTraffic[-1 - k] as Finding, members: null, forEachMember: null };
      continue;
    }
    const r = records.at(k);
    const reporters = r.reporters;
    // A reporter saying "we see it too" adds no independent org: only others corroborate.
    const corroborating: Corroboration[] = [];
    const corroboratingOrgs = new Set<string>();
    for (const n of r.statements) {
      const s = statements.at(n) as ProseStatement;
      const org = s.org as string;
      if (reporters.includes(org) || corroboratingOrgs.has(org)) continue;
      corroboratingOrgs.add(org);
      corroborating.push({ org, post: s.post, quote: s.quote, via: s.via });
    }
    const kind = r.kind;
    const actorPrefix = r.actorPrefix;
    const family = r.family;
    const { first, last } = r;
    const summary = groupFindingSummary({
      kind,
      reporters,
      corroborating,
      actors: r.actors,
      targets: r.targets,
      records: r.records,
      actorPrefix,
      behaviour: r.behaviour,
      fromPort: r.fromPort,
      dport: r.dport,
      family,
      first,
      last,
    });
    const f: PendingFinding['finding'] = {
      id: r.id,
      kind,
      behaviour: r.behaviour,
      actorPrefix,
      dport: r.dport,
      reporters: [...reporters],
      corroborating,
      observations: undefined,
      first,
      last,
      summary,
    };
    if (family) f.family = family;
    const sport = r.fromPort;
    if (sport !== null) f.sport = sport;
    const group = r.group;
    yield { finding: f, members: () => acc.membersOfGroup(group), forEachMember: (visit) => acc.forEachMemberOfGroup(group, visit) };
  }
}

/** The finding with its member references turned into observation ids (the key stays where the literal put it). */
export function resolveFinding(p: PendingFinding, idOf: (ref: number) => string): Finding {
  if (p.members !== null) p.finding.observations = p.members().map(idOf);
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
  acc.threadsAsked = threadsAskedBy(input.statements);
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

  return Array.from(buildFindings(acc, input.statements, sameTraffic), (p) => resolveFinding(p, (i) => (observations[i] as Observation).id));
}
