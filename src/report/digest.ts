// The daily digest: what changed in the correlations today, as plain text, HTML and the day's
// listwatch.analysis/1 document. Privacy is applied here, whatever the caller passed in:
// posts listed in excludedPosts (TLP:AMBER/RED) and their observations never appear (also not in
// the JSON), and reporters' own addresses (observation targets) only as their /24 unless
// showTargets is on.
import { SCHEMA } from '../contract.js';
import type { AnalysisDocument, Behaviour, Corroboration, Finding, FlowClass, Observation, Post } from '../contract.js';
import type { Question } from '../correlate/types.js';
import type { OutgoingMail } from '../deliver/types.js';
import { roleWords, victimSentence, type ActorRole } from '../correlate/roles.js';
import { actorRole } from './reasoning.js';
import { renderDigestHtml } from './digest-html.js';
import { prefix24, replaceAddress } from './digest-mask.js';
import { isValidTimeZone, zonedDayAndTime } from './digest-time.js';
import { BEHAVIOUR_WORDS } from '../correlate/correlate.js';

export interface DigestFinding {
  finding: Finding;
  status: 'new' | 'growing' | 'recurring';
  firstDay: string;
}

export interface DigestInput {
  day: string;
  timeZone: string;
  findings: DigestFinding[];
  observations: Observation[];
  posts: Post[];
  openQuestions: Question[];
  deliveryFailures: Array<{ cause: string; error: string; at: string }>;
  excludedPosts: string[];
  showTargets: boolean;
  llmFooter?: string;
  narratives?: Record<string, string>;
}

export interface RenderedDigest {
  subject: string;
  text: string;
  html: string;
  document: AnalysisDocument;
}

/** One post as the digest links it. */
export interface DigestPostLink {
  id: string;
  subject: string | null;
  org: string | null;
  date: string | null;
  /** an http(s) archive URL when the post carries one */
  url: string | null;
}

export interface DigestItem {
  id: string;
  status: DigestFinding['status'];
  firstDay: string;
  kind: Finding['kind'];
  behaviour: Behaviour;
  behaviourWords: string;
  family: string | null;
  role: DigestActorRole;
  /** e.g. `common victim: 203.0.0.0/16` */
  actorLine: string;
  /** why the wording is what it is, when the sources are probably spoofed */
  roleNote: string | null;
  dport: number | null;
  /** backscatter: the port the actors answer from (Finding.sport), else null */
  sport: number | null;
  reporters: string[];
  corroborating: Array<{ org: string; quote: string }>;
  orgCount: number;
  first: string | null;
  last: string | null;
  summary: string;
  narrative: string | null;
  posts: DigestPostLink[];
  morePosts: number;
}

/** Everything both renderers show, already filtered and masked. */
export interface DigestModel {
  day: string;
  timeZone: string;
  headline: string;
  sections: Array<{ status: DigestFinding['status']; title: string; items: DigestItem[]; more: number }>;
  classCounts: Array<[string, number]>;
  familyCounts: Array<[string, number]>;
  observationCount: number;
  topPrefixes: Array<{ prefix: string; orgs: string[]; role: DigestActorRole }>;
  questions: Array<{ thread: string; text: string; post: DigestPostLink | null; narrative: string | null }>;
  failures: Array<{ cause: string; error: string; at: string }>;
  llmFooter: string | null;
  showTargets: boolean;
}

/** Whose behaviour the actor prefix describes (spoofing-aware: the engine's actorRole). */
export type DigestActorRole = ActorRole;

const MAX_ITEMS_PER_SECTION = 50;
const MAX_POSTS_PER_ITEM = 10;
const MAX_QUESTIONS = 30;
const MAX_FAILURES = 30;
const MAX_QUOTE = 300;
const MAX_TEXT = 2000;
const TOP_PREFIXES = 5;

const STATUS_TITLES: Record<DigestFinding['status'], string> = {
  new: 'New findings',
  growing: 'Growing findings (new reporters or actors)',
  recurring: 'Recurring findings (seen on earlier days, again today)',
};


// ---------------------------------------------------------------------------------------------
// privacy

class Masker {
  /** target → its /24, longest target first (10.0.0.12 is tried before 10.0.0.1) */
  private readonly masked: Map<string, string>;
  constructor(
    targets: Iterable<string>,
    private readonly show: boolean,
  ) {
    const longestFirst = [...new Set(targets)].filter((t) => t.length >= 3).sort((a, b) => b.length - a.length);
    this.masked = new Map(longestFirst.map((t) => [t, prefix24(t)]));
  }

  address(addr: string | null): string | null {
    if (addr === null || this.show) return addr;
    return this.masked.get(addr) ?? addr;
  }

  /** Replaces target addresses standing in free text (also as `addr.port` / `addr:port`). */
  text(s: string): string {
    if (this.show || this.masked.size === 0 || !s) return s;
    let out = s;
    for (const [t, masked] of this.masked) out = replaceAddress(out, t, masked);
    return out;
  }
}

function clip(s: string | null | undefined, max: number): string {
  const t = String(s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function archiveUrl(p: Post): string | null {
  const extra = p as Post & { archivedAt?: unknown; archiveUrl?: unknown; url?: unknown };
  for (const v of [extra.archivedAt, extra.archiveUrl, extra.url]) {
    if (typeof v === 'string') {
      const u = v.trim().replace(/^<|>$/g, '');
      if (/^https?:\/\/[^\s"'<>]{1,2000}$/.test(u)) return u;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// time

function formatTime(iso: string | null, timeZone: string): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  try {
    const { day, time } = zonedDayAndTime(new Date(t), timeZone);
    return `${day} ${time}`;
  } catch {
    return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }
}

// ---------------------------------------------------------------------------------------------
// the model

interface Filtered {
  posts: Post[];
  postById: Map<string, Post>;
  observations: Observation[];
  obsById: Map<string, Observation>;
  findings: Array<DigestFinding & { touched: boolean }>;
  questions: Question[];
  excluded: Set<string>;
  masker: Masker;
}

function filterInput(input: DigestInput): Filtered {
  const excluded = new Set(input.excludedPosts);
  const masker = new Masker(
    input.observations.map((o) => o.target).filter((t): t is string => typeof t === 'string' && t.length > 0),
    input.showTargets,
  );

  const observations: Observation[] = [];
  const excludedObs = new Set<string>();
  for (const o of input.observations) {
    if (excluded.has(o.post)) {
      excludedObs.add(o.id);
      continue;
    }
    observations.push(maskObservation(o, masker));
  }
  const obsById = new Map(observations.map((o) => [o.id, o]));

  const posts = input.posts
    .filter((p) => !excluded.has(p.id))
    .map((p) => ({ ...p, observations: p.observations.filter((id) => !excludedObs.has(id)) }));
  const postById = new Map(posts.map((p) => [p.id, p]));

  // orgs we can see only in restricted posts: they must not show up as reporters
  const excludedOrgs = new Set<string>();
  for (const o of input.observations) if (excluded.has(o.post) && o.reporter.org) excludedOrgs.add(o.reporter.org);
  for (const p of input.posts) if (excluded.has(p.id) && p.from.org) excludedOrgs.add(p.from.org);
  for (const df of input.findings) for (const c of df.finding.corroborating) if (excluded.has(c.post) && c.org) excludedOrgs.add(c.org);

  const findings: Filtered['findings'] = [];
  for (const df of input.findings) {
    const f = df.finding;
    const kept = f.observations.filter((id) => !excludedObs.has(id));
    if (kept.length === 0) continue;
    const corroborating = f.corroborating.filter((c) => !excluded.has(c.post));
    const known = kept.map((id) => obsById.get(id)).filter((o): o is Observation => o !== undefined);
    const unknown = kept.length - known.length;
    const knownOrgs = new Set(known.filter((o) => !o.duplicateOf && o.reporter.org).map((o) => o.reporter.org as string));
    // a reporter stays when a visible record shows it, or when records we cannot see (earlier
    // days) may, unless it is known only from restricted posts. Callers that drop restricted
    // records before calling still get their orgs removed here, as nothing visible shows them.
    const reporters = f.reporters.filter((org) => knownOrgs.has(org) || (unknown > 0 && !excludedOrgs.has(org)));
    const touched = kept.length !== f.observations.length || corroborating.length !== f.corroborating.length || reporters.length !== f.reporters.length;
    let first = f.first;
    let last = f.last;
    if (touched && unknown === 0) {
      const times = known.map((o) => o.time).filter((t): t is string => !!t).sort((a, b) => Date.parse(a) - Date.parse(b));
      first = times[0] ?? null;
      last = times[times.length - 1] ?? null;
    }
    const masked: Finding = {
      ...f,
      reporters,
      first,
      last,
      observations: kept,
      corroborating: corroborating.map((c): Corroboration => ({ ...c, quote: masker.text(clip(c.quote, MAX_QUOTE)) })),
      // the engine's sentence may name what was left out: say it again from what is left
      summary: touched ? ownSummary({ ...f, reporters, corroborating }) : masker.text(f.summary),
    };
    findings.push({ ...df, finding: masked, touched });
  }

  const questions = input.openQuestions
    .filter((q) => !excluded.has(q.post))
    .map((q) => ({ ...q, text: masker.text(clip(q.text, MAX_QUOTE)) }));

  return { posts, postById, observations, obsById, findings, questions, excluded, masker };
}

function maskObservation(o: Observation, m: Masker): Observation {
  const out: Observation = {
    ...o,
    src: m.address(o.src),
    dst: m.address(o.dst),
    actor: m.address(o.actor),
    target: m.address(o.target),
    evidence: m.text(o.evidence),
  };
  if (o.payload) out.payload = { ...o.payload, strings: o.payload.strings.map((s) => m.text(s)) };
  return out;
}

function independentOrgs(f: Finding): string[] {
  return [...new Set([...f.reporters, ...f.corroborating.map((c) => c.org)].filter((o) => !!o))].sort();
}

function actorLine(f: Finding, role: DigestActorRole): string {
  return `${roleWords(role)}: ${f.actorPrefix}`;
}

function roleNote(f: Finding, role: DigestActorRole): string | null {
  if (role !== 'common-victim') return null;
  return victimSentence(f.behaviour, f.actorPrefix, f.family) || null;
}

/** A plain sentence for a finding whose engine summary may mention what was left out. */
function ownSummary(f: Finding): string {
  const orgs = independentOrgs(f);
  const port = `${f.sport !== undefined ? ` from port ${f.sport}` : ''}${f.dport !== null ? ` to port ${f.dport}` : ''}`;
  const fam = f.family ? ` (${f.family})` : '';
  return `${orgs.length} organisation${orgs.length === 1 ? '' : 's'} reported ${BEHAVIOUR_WORDS[f.behaviour] ?? f.behaviour}${port}${fam} involving ${f.actorPrefix}.`;
}

function postLink(p: Post | undefined, id: string): DigestPostLink {
  if (!p) return { id, subject: null, org: null, date: null, url: null };
  return { id: p.id, subject: p.subject ? clip(p.subject, 200) : null, org: p.from.org, date: p.date, url: archiveUrl(p) };
}

function byDate(a: DigestPostLink, b: DigestPostLink): number {
  const ta = a.date ? Date.parse(a.date) : Number.POSITIVE_INFINITY;
  const tb = b.date ? Date.parse(b.date) : Number.POSITIVE_INFINITY;
  return (Number.isNaN(ta) ? Infinity : ta) - (Number.isNaN(tb) ? Infinity : tb) || a.id.localeCompare(b.id);
}

export function buildDigestModel(input: DigestInput): { model: DigestModel; filtered: Filtered } | null {
  const timeZone = isValidTimeZone(input.timeZone) ? input.timeZone : 'UTC';
  const fx = filterInput(input);
  const narratives = input.narratives ?? {};

  const items: DigestItem[] = fx.findings.map(({ finding: f, status, firstDay, touched }) => {
    const role = actorRole(f);
    const postIds = new Set<string>();
    for (const id of f.observations) {
      const o = fx.obsById.get(id);
      if (o) postIds.add(o.post);
    }
    for (const c of f.corroborating) postIds.add(c.post);
    const links = [...postIds].filter((id) => !fx.excluded.has(id)).map((id) => postLink(fx.postById.get(id), id)).sort(byDate);
    const narrative = !touched && typeof narratives[f.id] === 'string' ? fx.masker.text(clip(narratives[f.id], MAX_TEXT)) : null;
    return {
      id: f.id,
      status,
      firstDay,
      kind: f.kind,
      behaviour: f.behaviour,
      behaviourWords: BEHAVIOUR_WORDS[f.behaviour] ?? f.behaviour,
      family: f.family ?? null,
      role,
      actorLine: actorLine(f, role),
      roleNote: roleNote(f, role),
      dport: f.dport,
      sport: f.sport ?? null,
      reporters: f.reporters,
      corroborating: f.corroborating.map((c) => ({ org: c.org, quote: c.quote })),
      orgCount: independentOrgs(f).length,
      first: formatTime(f.first, timeZone),
      last: formatTime(f.last, timeZone),
      summary: clip(f.summary, MAX_TEXT),
      narrative,
      posts: links.slice(0, MAX_POSTS_PER_ITEM),
      morePosts: Math.max(0, links.length - MAX_POSTS_PER_ITEM),
    };
  });

  const sections: DigestModel['sections'] = [];
  for (const status of ['new', 'growing', 'recurring'] as const) {
    const all = items.filter((i) => i.status === status).sort((a, b) => b.orgCount - a.orgCount || a.id.localeCompare(b.id));
    if (all.length > 0) {
      sections.push({ status, title: STATUS_TITLES[status], items: all.slice(0, MAX_ITEMS_PER_SECTION), more: Math.max(0, all.length - MAX_ITEMS_PER_SECTION) });
    }
  }

  const counted = fx.observations.filter((o) => !o.duplicateOf);
  const classCounts = countBy(counted.map((o) => o.class as FlowClass));
  const familyCounts = countBy(counted.map((o) => o.family).filter((f): f is string => !!f));

  const prefixOrgs = new Map<string, { orgs: Set<string>; roles: Set<DigestActorRole> }>();
  for (const { finding: f } of fx.findings) {
    const e = prefixOrgs.get(f.actorPrefix) ?? { orgs: new Set<string>(), roles: new Set<DigestActorRole>() };
    independentOrgs(f).forEach((o) => e.orgs.add(o));
    e.roles.add(actorRole(f));
    prefixOrgs.set(f.actorPrefix, e);
  }
  const topPrefixes = [...prefixOrgs.entries()]
    .map(([prefix, e]) => ({
      prefix,
      orgs: [...e.orgs].sort(),
      role: (e.roles.size === 1 ? [...e.roles][0]! : e.roles.has('common-victim') ? 'common-victim' : 'unknown') as DigestActorRole,
    }))
    .filter((p) => p.orgs.length > 0)
    .sort((a, b) => b.orgs.length - a.orgs.length || a.prefix.localeCompare(b.prefix))
    .slice(0, TOP_PREFIXES);

  const questions = fx.questions.slice(0, MAX_QUESTIONS).map((q) => {
    const n = narratives[`thread:${q.thread}`];
    return {
      thread: q.thread,
      text: q.text,
      post: fx.postById.has(q.post) ? postLink(fx.postById.get(q.post), q.post) : { id: q.post, subject: null, org: null, date: null, url: null },
      narrative: typeof n === 'string' && !fx.excluded.has(q.thread) ? fx.masker.text(clip(n, MAX_TEXT)) : null,
    };
  });

  const failures = input.deliveryFailures.slice(0, MAX_FAILURES).map((f) => ({
    cause: withoutExcluded(fx.masker.text(clip(f.cause, 300)), fx.excluded),
    error: withoutExcluded(fx.masker.text(clip(f.error, 500)), fx.excluded),
    at: f.at,
  }));

  if (items.length === 0 && questions.length === 0 && failures.length === 0) return null;

  const counts = { new: 0, growing: 0, recurring: 0 };
  for (const i of items) counts[i.status]++;
  const parts: string[] = [];
  const findingParts = (['new', 'growing', 'recurring'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  if (findingParts.length > 0) parts.push(`${findingParts.join(', ')} finding${items.length === 1 ? '' : 's'}`);
  if (questions.length > 0) parts.push(`${questions.length} open question${questions.length === 1 ? '' : 's'}`);
  if (failures.length > 0) parts.push(`${failures.length} delivery failure${failures.length === 1 ? '' : 's'}`);

  const model: DigestModel = {
    day: input.day,
    timeZone,
    headline: parts.join('; '),
    sections,
    classCounts,
    familyCounts,
    observationCount: counted.length,
    topPrefixes,
    questions,
    failures,
    llmFooter: input.llmFooter ? fx.masker.text(clip(input.llmFooter, MAX_TEXT)) : null,
    showTargets: input.showTargets,
  };
  return { model, filtered: fx };
}

function withoutExcluded(s: string, excluded: Set<string>): string {
  let out = s;
  for (const id of excluded) if (id && out.includes(id)) out = out.split(id).join('(a TLP-restricted post)');
  return out;
}

function countBy(values: string[]): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

// ---------------------------------------------------------------------------------------------
// text

function postLine(p: DigestPostLink, timeZone: string): string[] {
  const subject = p.subject ? `"${p.subject}"` : '(post not in today\u2019s set)';
  const who = p.org ?? 'unknown organisation';
  const when = p.date ? formatTime(p.date, timeZone) : null;
  const lines = [`    - ${subject} \u2014 ${who}${when ? `, ${when}` : ''}`, `      <${p.id}>`];
  if (p.url) lines.push(`      ${p.url}`);
  return lines;
}

export function renderDigestText(m: DigestModel): string {
  const out: string[] = [];
  out.push(`listwatch digest for ${m.day} (times in ${m.timeZone})`);
  out.push(m.headline);
  out.push('');
  let n = 0;
  for (const s of m.sections) {
    out.push(`== ${s.title}: ${s.items.length + s.more} ==`, '');
    for (const i of s.items) {
      n++;
      const head = [i.kind, i.behaviourWords, i.sport !== null ? `from port ${i.sport}` : null, i.dport !== null ? `port ${i.dport}` : null, i.family].filter(Boolean).join(', ');
      out.push(`[${n}] ${head}`);
      out.push(`    ${i.actorLine}`);
      if (i.roleNote) out.push(`    (${i.roleNote})`);
      out.push(`    ${i.orgCount} independent organisation${i.orgCount === 1 ? '' : 's'}: ${i.reporters.join(', ') || 'none with own records'}` + (i.corroborating.length ? `; in prose: ${[...new Set(i.corroborating.map((c) => c.org))].join(', ')}` : ''));
      for (const c of i.corroborating.slice(0, 3)) out.push(`      ${c.org}: \u201c${c.quote}\u201d`);
      const since = i.status !== 'new' ? `known since ${i.firstDay}` : null;
      const span = i.first || i.last ? `first ${i.first ?? '?'}, last ${i.last ?? '?'}` : null;
      if (span || since) out.push(`    ${[span, since].filter(Boolean).join('; ')}`);
      out.push(`    ${i.summary}`);
      if (i.narrative) out.push(`    ${i.narrative}`);
      out.push(`    finding ${i.id}; posts:`);
      for (const p of i.posts) out.push(...postLine(p, m.timeZone));
      if (i.morePosts > 0) out.push(`    ... and ${i.morePosts} more post${i.morePosts === 1 ? '' : 's'}`);
      out.push('');
    }
    if (s.more > 0) out.push(`... and ${s.more} more (see the attached JSON)`, '');
  }
  if (m.observationCount > 0) {
    out.push(`== Today\u2019s records: ${m.observationCount} ==`);
    out.push(`by class: ${m.classCounts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if (m.familyCounts.length > 0) out.push(`by family: ${m.familyCounts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out.push('');
  }
  if (m.topPrefixes.length > 0) {
    out.push('== Prefixes seen by the most independent organisations ==');
    for (const p of m.topPrefixes) {
      const label = p.role === 'common-victim' ? ' (common victim)' : '';
      out.push(`  ${p.prefix}${label}: ${p.orgs.length} (${p.orgs.join(', ')})`);
    }
    out.push('');
  }
  if (m.questions.length > 0) {
    out.push('== Questions still unanswered ==');
    for (const q of m.questions) {
      out.push(`  \u201c${q.text}\u201d`);
      if (q.post) out.push(...postLine(q.post, m.timeZone).map((l) => l.replace(/^ {4}- /, '    asked in ')));
      if (q.narrative) out.push(`    ${q.narrative}`);
    }
    out.push('');
  }
  if (m.failures.length > 0) {
    out.push('== Mail the bot could not deliver ==');
    for (const f of m.failures) out.push(`  ${f.at} ${f.cause}: ${f.error}`);
    out.push('');
  }
  if (!m.showTargets) out.push('Reporters\u2019 own addresses are shown as their /24. Posts marked TLP:AMBER or TLP:RED are left out.');
  out.push('The day\u2019s listwatch.analysis/1 document is attached as JSON.');
  if (m.llmFooter) out.push('', m.llmFooter);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

export function renderDigest(input: DigestInput): RenderedDigest | null {
  const built = buildDigestModel(input);
  if (!built) return null;
  const { model, filtered } = built;
  const document: AnalysisDocument = {
    schema: SCHEMA,
    posts: filtered.posts,
    observations: filtered.observations,
    findings: filtered.findings.map((f) => f.finding),
    errors: [],
  };
  return {
    subject: `listwatch digest ${model.day}: ${model.headline}`,
    text: renderDigestText(model),
    html: renderDigestHtml(model, (iso) => formatTime(iso, model.timeZone)),
    document,
  };
}

/** The digest as one multipart message (text + HTML) with the day's document attached as JSON. */
export function digestMail(rendered: RenderedDigest, opts: { day: string; to: string[] }): OutgoingMail {
  const who = [...new Set(opts.to.map((a) => a.trim().toLowerCase()))].sort().join(',');
  return {
    cause: `digest:${opts.day}:${who}`,
    kind: 'digest',
    to: opts.to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    attachments: [
      {
        filename: `listwatch-${opts.day.replace(/[^0-9A-Za-z-]/g, '')}.json`,
        content: `${JSON.stringify(rendered.document, null, 2)}\n`,
        contentType: 'application/json',
      },
    ],
  };
}
