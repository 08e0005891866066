// What the text and Markdown reports show, computed once: findings with their evidence, the
// observations no finding holds, the open questions with the weighed explanations. Privacy: the
// targets (the reporters' own addresses) appear only as /24 unless showTargets.

import type { Finding, Observation } from '../contract.js';
import type { AnalysisResult } from '../analyze/types.js';
import { maskTo24 } from '../correlate/prefix.js';
import { actorRole, assessFinding, conclusion, type Hypothesis } from './reasoning.js';

export interface ReportOptions {
  showTargets?: boolean;
}

export interface EvidenceLine {
  cls: string;
  id: string;
  text: string;
  /** how many more observations of the finding share this class */
  more: number;
}

export interface FindingView {
  index: number;
  finding: Finding;
  role: 'attacker' | 'common-victim' | 'unknown';
  evidence: EvidenceLine[];
  records: RecordLine[];
  /** records not listed (the report lists at most MAX_RECORD_LINES per finding) */
  recordsOmitted: number;
}

/** a report stays readable: longer lists are cut, the JSON keeps everything */
export const MAX_RECORD_LINES = 40;
export const MAX_OTHER_LINES = 100;

export interface RecordLine {
  id: string;
  time: string;
  cls: string;
  flow: string;
  flags: string;
  family: string;
  quoted: boolean;
}

export interface QuestionView {
  thread: string;
  texts: string[];
  askedIn: string[];
  findings: Array<{ index: number; finding: Finding; hypotheses: Hypothesis[]; conclusion: string }>;
}

export interface ReportView {
  postCount: number;
  observationCount: number;
  duplicateCount: number;
  findings: FindingView[];
  others: RecordLine[];
  othersOmitted: number;
  duplicates: Array<{ id: string; of: string }>;
  questions: QuestionView[];
  errors: Array<{ input: string; message: string }>;
}

const ISO = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/;

export function shortTime(t: string | null): string {
  if (!t) return 'time unknown';
  const m = ISO.exec(t);
  if (!m) return t;
  return `${m[1]} ${m[2]}${m[3] && m[3] !== 'Z' ? m[3] : m[3] === 'Z' ? 'Z' : ''}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces the observation's target address in free text by its /24 (never a shorter match inside a longer address). */
export function maskText(text: string, target: string | null, opts: ReportOptions): string {
  if (opts.showTargets || !target) return text;
  const masked = maskTo24(target);
  if (masked === target) return text;
  return text.replace(new RegExp(`(?<![\\w.:])${escapeRegExp(target)}(?![\\w:]|\\.\\d)`, 'g'), masked);
}

function endpoint(addr: string | null, port: number | null, isTarget: boolean, opts: ReportOptions): string {
  const a = addr === null ? '?' : isTarget && !opts.showTargets ? maskTo24(addr) : addr;
  return port === null ? a : `${a}:${port}`;
}

export function recordLine(o: Observation, opts: ReportOptions): RecordLine {
  const srcIsTarget = o.target !== null && o.src === o.target;
  const dstIsTarget = o.target !== null && o.dst === o.target;
  const dir = o.dir ?? '->';
  const flags =
    o.state && o.state.includes('_')
      ? o.state
      : o.srcFlags !== null || o.dstFlags !== null
        ? o.dstFlags !== null
          ? `${o.srcFlags ?? ''}_${o.dstFlags}`
          : o.srcFlags || 'NULL'
        : (o.state ?? '');
  return {
    id: o.id,
    time: shortTime(o.time),
    cls: o.class,
    flow: `${o.proto ?? '?'} ${endpoint(o.src, o.sport, srcIsTarget, opts)} ${dir} ${endpoint(o.dst, o.dport, dstIsTarget, opts)}`,
    flags,
    family: o.family ?? '',
    quoted: o.quoted,
  };
}

function evidenceLines(obs: readonly Observation[], opts: ReportOptions): EvidenceLine[] {
  const byClass = new Map<string, Observation[]>();
  for (const o of obs) {
    let list = byClass.get(o.class);
    if (!list) byClass.set(o.class, (list = []));
    list.push(o);
  }
  const out: EvidenceLine[] = [];
  for (const [cls, list] of byClass) {
    // a joined alert's evidence names the flow; prefer a record's own evidence as the example
    const example = list.find((o) => o.signature === undefined) ?? (list[0] as Observation);
    // joined alerts count here; their own evidence is shown under their same-traffic finding
    out.push({ cls, id: example.id, text: maskText(example.evidence, example.target, opts), more: list.length - 1 });
  }
  return out;
}

export function buildView(result: AnalysisResult, opts: ReportOptions = {}): ReportView {
  const doc = result.doc;
  const byId = new Map(doc.observations.map((o) => [o.id, o]));
  const threadOfPost = new Map(doc.posts.map((p) => [p.id, p.thread]));
  const inFinding = new Set<string>();
  const findings: FindingView[] = doc.findings.map((f, i) => {
    const obs = f.observations.map((id) => byId.get(id)).filter((o): o is Observation => o !== undefined);
    for (const o of obs) inFinding.add(o.id);
    const joinedAway = f.kind === 'same-traffic';
    return {
      index: i + 1,
      finding: f,
      role: actorRole(f),
      evidence: joinedAway ? obs.filter((o) => o.signature !== undefined).map((o) => ({ cls: o.class, id: o.id, text: maskText(o.evidence, o.target, opts), more: 0 })) : evidenceLines(obs, opts),
      records: obs.slice(0, MAX_RECORD_LINES).map((o) => recordLine(o, opts)),
      recordsOmitted: Math.max(0, obs.length - MAX_RECORD_LINES),
    };
  });
  const others: RecordLine[] = [];
  let othersOmitted = 0;
  const duplicates: Array<{ id: string; of: string }> = [];
  for (const o of doc.observations) {
    if (o.duplicateOf !== undefined) duplicates.push({ id: o.id, of: o.duplicateOf });
    else if (!inFinding.has(o.id)) {
      if (others.length < MAX_OTHER_LINES) others.push(recordLine(o, opts));
      else othersOmitted++;
    }
  }

  // Open questions per thread, with the findings of that thread weighed.
  const questionsByThread = new Map<string, { texts: string[]; posts: string[] }>();
  for (const q of result.questions) {
    let entry = questionsByThread.get(q.thread);
    if (!entry) questionsByThread.set(q.thread, (entry = { texts: [], posts: [] }));
    if (!entry.texts.includes(q.text)) entry.texts.push(q.text);
    if (!entry.posts.includes(q.post)) entry.posts.push(q.post);
  }
  const findingThreads = (f: Finding): Set<string> =>
    new Set(f.observations.map((id) => byId.get(id)).filter((o): o is Observation => !!o).map((o) => threadOfPost.get(o.post) ?? o.post));
  const weighed = findings
    .filter((fv) => fv.finding.kind !== 'same-traffic')
    .map((fv) => {
      const hypotheses = assessFinding(fv.finding, result);
      return { index: fv.index, finding: fv.finding, hypotheses, conclusion: conclusion(fv.finding, hypotheses), threads: findingThreads(fv.finding) };
    })
    .filter((w) => w.hypotheses.length > 0);
  const questions: QuestionView[] = [];
  const covered = new Set<number>();
  for (const [thread, entry] of questionsByThread) {
    const fs = weighed.filter((w) => w.threads.has(thread));
    for (const w of fs) covered.add(w.index);
    questions.push({ thread, texts: entry.texts, askedIn: entry.posts, findings: fs.map(({ threads: _t, ...rest }) => rest) });
  }
  const uncovered = weighed.filter((w) => !covered.has(w.index));
  if (uncovered.length > 0) {
    questions.push({ thread: '', texts: [], askedIn: [], findings: uncovered.map(({ threads: _t, ...rest }) => rest) });
  }

  return {
    postCount: doc.posts.length,
    observationCount: doc.observations.length,
    duplicateCount: duplicates.length,
    findings,
    others,
    othersOmitted,
    duplicates,
    questions,
    errors: doc.errors,
  };
}

export function findingTitle(f: Finding, opts: { role?: string } = {}): string {
  const port = f.dport === null ? '' : ` to port ${f.dport}`;
  const fam = f.family ? ` (${f.family})` : '';
  const role = opts.role === 'common-victim' ? ' [sources likely spoofed: common victim]' : '';
  const from = f.sport === undefined ? '' : ` port ${f.sport}`;
  return `${f.kind}: ${f.behaviour} from ${f.actorPrefix}${from}${port}${fam}${role}`;
}

export function roleText(role: FindingView['role'], f: Finding): string {
  // the summary above already says why; this line only names the role
  if (role === 'common-victim') return `common victim: ${f.actorPrefix} is not the origin of the traffic (no abuse reports)`;
  if (role === 'attacker') return `attacker: ${f.actorPrefix} sent the traffic itself`;
  return 'not settled by these records';
}
