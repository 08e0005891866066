// What the layer may send, and how it is shaped: only the author's own words of posts that are
// not TLP:AMBER/RED and not from a private list; facts without names or mail addresses.
import { groupPrefix, maskTo24 } from '../correlate/prefix.js';
import { FLOW_CLASSES, type Finding, type FlowClass, type Observation } from '../contract.js';
import { detectTlp } from '../mail/tlp.js';
import type { MailPost } from '../mail/types.js';
import { replaceAddress } from '../report/digest-mask.js';
import { allowAddress, allowDomain, emptyFacts, type AllowedFacts } from './sanitize.js';

const MAX_OWN_TEXT = 8000;
const MAX_SUBJECT = 200;

function listIdOf(header: string): { id: string; full: string } {
  const full = header.trim().toLowerCase();
  const m = /<([^<>]{1,300})>/.exec(full);
  return { id: (m ? m[1]! : full).trim(), full };
}

/** Why this post must not go to the model, or null when it may. */
export function withheldReason(mail: MailPost, privateLists: readonly string[]): string | null {
  // the same detector as the digest's, so the two never disagree about a post
  const tlp = mail.tlp ?? detectTlp(mail.subject, mail.text);
  if (tlp === 'AMBER' || tlp === 'RED') return `TLP:${tlp}`;
  if (mail.headers.listId && privateLists.length > 0) {
    const { id, full } = listIdOf(mail.headers.listId);
    for (const entry of privateLists) {
      const e = entry.trim().toLowerCase().replace(/^<|>$/g, '');
      if (e && (id === e || full === e || id.endsWith(`.${e}`))) return `private list ${e}`;
    }
  }
  return null;
}

function normLine(l: string): string {
  return l.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Lines of withheld posts, so a reply that pastes them without quote marks does not leak them. */
export function withheldLines(mails: readonly MailPost[]): Set<string> {
  const out = new Set<string>();
  for (const m of mails) {
    for (const line of m.text.split('\n')) {
      const n = normLine(line);
      if (n.length >= 16) out.add(n);
    }
  }
  return out;
}

/** The author's own words: own blocks only, no quotes, signatures or footers; capped. */
export function ownText(mail: MailPost, withheld?: Set<string>): string {
  const parts: string[] = [];
  for (const b of mail.blocks) {
    if (b.kind !== 'own') continue;
    const lines = withheld && withheld.size > 0 ? b.lines.filter((l) => !withheld.has(normLine(l))) : b.lines;
    parts.push(lines.join('\n'));
  }
  const text = parts
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text.length > MAX_OWN_TEXT ? text.slice(0, MAX_OWN_TEXT) : text;
}

export function oneLine(s: string | null | undefined, max = MAX_SUBJECT): string {
  const t = (s ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

const CLASS_MEANING: Record<FlowClass, string> = {
  established: "the originator's SYN was answered, or data flowed both ways after a SYN",
  'syn-unanswered': 'SYN from the originator, nothing came back',
  'syn-rejected': 'SYN answered only by RST',
  'midstream-unanswered': 'no SYN; ACK or PSH-ACK segments, often with payload, from a sender that did not wait for a handshake; nothing came back',
  'midstream-reset': 'no SYN; ACK or PSH-ACK from the originator, answered only by RST',
  backscatter: 'only SYN-ACK or RST sent without a SYN having been seen: replies to traffic someone else sent in this address\'s name',
  'stealth-probe': 'FIN, NULL, SYN-FIN or Xmas packets without a handshake',
  'udp-unanswered': 'UDP with nothing back',
  'udp-answered': 'UDP with packets back',
  'icmp-echo-unanswered': 'echo request without reply',
  'icmp-echo-answered': 'echo request with reply',
  'icmp-error': 'ICMP unreachable, time exceeded or another error',
  alert: 'a single alerted packet whose flags do not decide a class',
  unknown: 'too little evidence to classify',
};

export function classGlossary(classes: Iterable<FlowClass>): string {
  const present = new Set(classes);
  const lines = FLOW_CLASSES.filter((c) => present.has(c)).map((c) => `- ${c}: ${CLASS_MEANING[c]}`);
  return lines.length > 0 ? lines.join('\n') : '- (no observations)';
}

/**
 * A target is a reporter's own address: the facts carry its /24 (/64 for IPv6) by the engine's
 * masker, as the default reports do, never the host. Null when it is not an address.
 */
export function maskTarget(addr: string | null): string | null {
  return addr && groupPrefix(addr) !== null ? maskTo24(addr) : null;
}

const MAX_FACT_OBS = 25;

/** The contract's fields of an observation that the model is shown. */
type SharedObservationField =
  | 'id' | 'quoted' | 'source' | 'format' | 'time' | 'proto' | 'src' | 'sport' | 'dst' | 'dport' | 'dir'
  | 'srcPkts' | 'dstPkts' | 'srcBytes' | 'dstBytes' | 'srcFlags' | 'dstFlags' | 'state' | 'class' | 'actor' | 'target' | 'family' | 'evidence';

/** An observation as sent: those fields (addresses masked), the reporter as its org and the signature as its message. */
export type ObservationFacts = Pick<Observation, SharedObservationField> & { reporter: string | null; signature?: string };

/** One observation as the model sees it; the addresses it shows are added to `allowed`. */
export function observationFacts(o: Observation, allowed: AllowedFacts): ObservationFacts {
  const target = o.target;
  const shown = (a: string | null) => (a !== null && a === target ? maskTarget(a) : a);
  const f: ObservationFacts = {
    id: o.id,
    reporter: o.reporter.org,
    quoted: o.quoted,
    source: o.source,
    format: o.format,
    time: o.time,
    proto: o.proto,
    src: shown(o.src),
    sport: o.sport,
    dst: shown(o.dst),
    dport: o.dport,
    dir: o.dir,
    srcPkts: o.srcPkts,
    dstPkts: o.dstPkts,
    srcBytes: o.srcBytes,
    dstBytes: o.dstBytes,
    srcFlags: o.srcFlags,
    dstFlags: o.dstFlags,
    state: o.state,
    class: o.class,
    actor: o.actor,
    target: maskTarget(target),
    evidence: maskTargetIn(o.evidence, target),
  };
  if (o.signature?.message) f.signature = o.signature.message;
  if (o.family) f.family = o.family;
  for (const a of [f.src, f.dst, f.actor, f.target]) allowAddress(allowed, a);
  allowDomain(allowed, f.reporter);
  allowed.ids.add(o.id);
  return f;
}

function maskTargetIn(text: string, target: string | null): string {
  const masked = maskTarget(target);
  return target && masked ? replaceAddress(text, target, masked) : text;
}

export interface FindingFacts {
  id: string;
  kind: Finding['kind'];
  behaviour: Finding['behaviour'];
  family?: string;
  actorPrefix?: string;
  dport: number | null;
  reporters: string[];
  corroborating: Array<{ org: string; quote: string }>;
  first: string | null;
  last: string | null;
  summary?: string;
  observations: ObservationFacts[];
  moreObservations?: number;
}

/**
 * A finding reduced to what may be sent: observations of cleared posts only. When some of its
 * observations are withheld, the summary, prefix and times (computed over all of them) are left out
 * and the reporters recomputed. Null when nothing of it may be sent.
 */
export function findingFacts(
  f: Finding,
  observationsById: ReadonlyMap<string, Observation>,
  cleared: (post: string) => boolean,
  allowed: AllowedFacts,
  maxObs = MAX_FACT_OBS,
): FindingFacts | null {
  const all = f.observations.map((id) => observationsById.get(id)).filter((o): o is Observation => o !== undefined);
  const ok = all.filter((o) => cleared(o.post) && !o.duplicateOf);
  if (ok.length === 0) return null;
  // the summary names every reporter and corroborator, so it goes only when all of them are cleared
  const complete = all.every((o) => cleared(o.post)) && f.corroborating.every((c) => cleared(c.post));
  const shown = ok.slice(0, maxObs).map((o) => observationFacts(o, allowed));
  const reporters = complete ? f.reporters : [...new Set(ok.map((o) => o.reporter.org).filter((x): x is string => !!x))].sort();
  const times = ok.map((o) => o.time).filter((t): t is string => !!t).sort();
  const facts: FindingFacts = {
    id: f.id,
    kind: f.kind,
    behaviour: f.behaviour,
    dport: f.dport,
    reporters,
    corroborating: f.corroborating.filter((c) => cleared(c.post)).map((c) => ({ org: c.org, quote: c.quote })),
    first: complete ? f.first : (times[0] ?? null),
    last: complete ? f.last : (times[times.length - 1] ?? null),
    observations: shown,
  };
  if (f.family) facts.family = f.family;
  if (complete) {
    facts.actorPrefix = f.actorPrefix;
    facts.summary = maskTargetsInSummary(f.summary, all);
    allowAddress(allowed, f.actorPrefix);
  }
  if (ok.length > shown.length) facts.moreObservations = ok.length - shown.length;
  for (const r of reporters) allowDomain(allowed, r);
  for (const c of facts.corroborating) allowDomain(allowed, c.org);
  allowed.ids.add(f.id);
  return facts;
}

function maskTargetsInSummary(summary: string, obs: readonly Observation[]): string {
  let s = summary;
  for (const o of obs) if (o.target) s = maskTargetIn(s, o.target);
  return s;
}

export function emptyAllowed(): AllowedFacts {
  return emptyFacts();
}
