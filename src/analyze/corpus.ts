import { SCHEMA, type InputError, type Observation, type Party, type Post, type Signature } from '../contract.js';
import { applyJoin, applyJoinInPlace, joinAlertsToFlows } from '../classify/join.js';
import { correlate } from '../correlate/correlate.js';
import { markDuplicates, markDuplicatesInPlace } from '../correlate/duplicates.js';
import type { ProseStatement, Question } from '../correlate/types.js';
import { ThreadIndex } from '../mail/thread.js';
import { ownCopy } from '../extract/shared.js';
import type { AnalysisResult, PostAnalysis } from './types.js';

/**
 * One flat copy of each distinct string: an archive repeats the same formats, classes, states,
 * addresses and evidence sentences in thousands of observations, each a copy (or a slice that
 * keeps its whole source line alive) as extracted.
 */
class StringPool {
  private readonly pool = new Map<string, string>();

  get<T extends string | null | undefined>(s: T): T {
    if (typeof s !== 'string') return s;
    let v = this.pool.get(s);
    if (v === undefined) {
      v = ownCopy(s);
      this.pool.set(v, v);
    }
    return v as T;
  }
}

/** What makes two parties the same one: name, address and organisation. */
export function partyKey(p: Party): string {
  return `${p.name ?? '\u0001'}\u0000${p.address ?? '\u0001'}\u0000${p.org ?? '\u0001'}`;
}

/** One Party object per distinct name, address and organisation, shared by every post and observation. */
class PartyPool {
  private readonly pool = new Map<string, Party>();

  constructor(private readonly strings: StringPool) {}

  get(p: Party): Party {
    const key = partyKey(p);
    let v = this.pool.get(key);
    if (v === undefined) {
      v = p;
      v.name = this.strings.get(v.name);
      v.address = this.strings.get(v.address);
      v.org = this.strings.get(v.org);
      this.pool.set(this.strings.get(key), v);
    }
    return v;
  }
}

/**
 * Collects per-post analyses and, at the end, does what needs the whole corpus: thread roots,
 * duplicates from quotation, alert↔flow joins and findings. Holds only the small per-post facts,
 * never message bodies, so memory grows with the observations, not the archive.
 */
export class Corpus {
  private readonly posts: Post[] = [];
  private readonly postIds = new Set<string>();
  private observations: Observation[] = [];
  private readonly statements: ProseStatement[] = [];
  private readonly questions: Question[] = [];
  private readonly errors: InputError[] = [];
  private readonly threads = new ThreadIndex();
  private readonly parentOf = new Map<string, string>();
  private readonly strings = new StringPool();
  private readonly parties = new PartyPool(this.strings);
  /** one Signature object per distinct rule and text (an alert's message is a slice of its whole alert line) */
  private readonly signatures = new Map<string, Signature>();
  private readonly keepQuestions: boolean;

  /** keepQuestions false: the result's questions stay empty (the JSON document does not carry them) */
  constructor(opts: { keepQuestions?: boolean } = {}) {
    this.keepQuestions = opts.keepQuestions ?? true;
  }

  /** false when a post with the same id was already added (recorded under errors, not analysed twice) */
  add(pa: PostAnalysis): boolean {
    if (this.postIds.has(pa.post.id)) {
      this.errors.push({ input: pa.mail.input, message: `same Message-ID <${pa.post.id}> as a message read earlier; skipped as a copy` });
      return false;
    }
    const post = pa.post;
    post.id = this.strings.get(post.id);
    post.from = this.parties.get(post.from);
    const inReplyTo = this.strings.get(pa.mail.inReplyTo);
    this.postIds.add(post.id);
    this.threads.add({
      id: this.strings.get(pa.mail.id),
      inReplyTo,
      references: pa.mail.references.map((r) => this.strings.get(r)),
      subject: pa.mail.subject,
      date: pa.mail.date,
    });
    this.posts.push(post);
    if (inReplyTo) this.parentOf.set(this.strings.get(pa.mail.id), inReplyTo);
    for (const o of pa.observations) this.observations.push(this.shared(o));
    for (const s of pa.statements) this.statements.push(s);
    if (this.keepQuestions) for (const q of pa.questions) this.questions.push(q);
    for (const w of pa.mail.warnings) this.errors.push({ input: pa.mail.input, message: w });
    return true;
  }

  /** The observation with its repeated strings and its reporter taken from the pools (same values). */
  private shared(o: Observation): Observation {
    const strings = this.strings;
    o.post = strings.get(o.post);
    o.reporter = this.parties.get(o.reporter);
    o.source = strings.get(o.source);
    o.format = strings.get(o.format);
    o.proto = strings.get(o.proto);
    o.src = strings.get(o.src);
    o.dst = strings.get(o.dst);
    o.dir = strings.get(o.dir);
    o.srcFlags = strings.get(o.srcFlags);
    o.dstFlags = strings.get(o.dstFlags);
    o.state = strings.get(o.state);
    o.class = strings.get(o.class);
    o.actor = strings.get(o.actor);
    o.target = strings.get(o.target);
    o.evidence = strings.get(o.evidence);
    if (o.family !== undefined) o.family = strings.get(o.family);
    if (o.signature !== undefined) o.signature = this.sharedSignature(o.signature);
    return o;
  }

  private sharedSignature(sig: Signature): Signature {
    // the serialised form is the key: same fields in the same order give the same JSON
    const key = JSON.stringify(sig);
    let v = this.signatures.get(key);
    if (v === undefined) {
      v = sig;
      if (v.id !== undefined) v.id = this.strings.get(v.id);
      if (v.message !== undefined) v.message = this.strings.get(v.message);
      if (v.classification !== undefined) v.classification = this.strings.get(v.classification);
      this.signatures.set(key, v);
    }
    return v;
  }

  addError(e: InputError): void {
    this.errors.push(e);
  }

  get postCount(): number {
    return this.posts.length;
  }

  finish(): AnalysisResult {
    for (const p of this.posts) p.thread = this.threads.threadOf(p.id);
    const threadOfPost = new Map(this.posts.map((p) => [p.id, p.thread]));
    for (const s of this.statements) s.thread = threadOfPost.get(s.post) ?? s.thread;
    for (const q of this.questions) q.thread = threadOfPost.get(q.post) ?? q.thread;
    // annotated in place: the corpus holds the only reference to its observations, and a second
    // copy of every one doubled the peak memory (bench/README.md)
    const observations = this.observations;
    const reporterOf = quotedReporterResolver(this.posts, this.parentOf);
    for (const o of observations) {
      const reporter = reporterOf(o);
      if (reporter) o.reporter = reporter;
    }
    markDuplicatesInPlace(observations);
    inheritReportersInPlace(observations);
    const joins = joinAlertsToFlows(observations.filter((o) => !o.duplicateOf));
    if (joins.length > 0) {
      const wanted = new Set<string>();
      for (const j of joins) {
        wanted.add(j.alert);
        wanted.add(j.flow);
      }
      const byId = new Map<string, Observation>();
      for (const o of observations) if (wanted.has(o.id)) byId.set(o.id, o);
      for (const j of joins) {
        const alert = byId.get(j.alert);
        const flow = byId.get(j.flow);
        if (alert && flow) applyJoinInPlace(alert, flow);
      }
    }
    const findings = correlate({ posts: this.posts, observations, statements: this.statements, joins });
    return {
      doc: { schema: SCHEMA, posts: this.posts, observations, findings, errors: this.errors },
      statements: this.statements,
      questions: this.questions,
    };
  }
}

/** The contract document for posts whose threads are already known (the bot's per-thread analysis). */
export function analyzeThread(analyses: readonly PostAnalysis[], errors: InputError[] = []): AnalysisResult {
  return buildResult(
    analyses.map((a) => a.post),
    analyses.flatMap((a) => a.observations),
    analyses.flatMap((a) => a.statements),
    analyses.flatMap((a) => a.questions),
    errors,
  );
}

function buildResult(
  posts: Post[],
  rawObservations: readonly Observation[],
  statements: ProseStatement[],
  questions: Question[],
  errors: InputError[],
): AnalysisResult {
  const observations = inheritReporters(markDuplicates(rawObservations));
  const originals = observations.filter((o) => !o.duplicateOf);
  const joins = joinAlertsToFlows(originals);
  if (joins.length > 0) {
    const index = new Map(observations.map((o, i) => [o.id, i]));
    for (const j of joins) {
      const ai = index.get(j.alert);
      const fi = index.get(j.flow);
      if (ai === undefined || fi === undefined) continue;
      observations[ai] = applyJoin(observations[ai]!, observations[fi]!);
    }
  }
  const findings = correlate({ posts, observations, statements, joins });
  return {
    doc: { schema: SCHEMA, posts, observations, findings, errors },
    statements,
    questions,
  };
}

/**
 * Who a quoted observation without an address is attributed to, or undefined to leave it.
 * Attribution lines often give only a name ("On Tue, Aroha Ngata wrote:"): the corpus knows who
 * posted under that name, so the quoted record gets the poster's address and organisation; a
 * quotation with no attribution at all in a reply is taken to quote the post it replies to.
 */
export function quotedReporterResolver(
  posts: Iterable<Pick<Post, 'id' | 'from'>>,
  parentOf: ReadonlyMap<string, string>,
): (o: Pick<Observation, 'quoted' | 'reporter' | 'post'>) => Party | undefined {
  const authorOf = new Map<string, Party>();
  const authors: Party[] = [];
  for (const p of posts) {
    authorOf.set(p.id, p.from);
    authors.push(p.from);
  }
  return quotedReporterResolverOf(authors, (id) => authorOf.get(id), parentOf);
}

/**
 * quotedReporterResolver from the posts' authors in order and a lookup of a post's author by id
 * (the spilling corpus answers it from its index instead of a Map of every post).
 */
export function quotedReporterResolverOf(
  authorsInOrder: Iterable<Party>,
  authorOf: (postId: string) => Party | undefined,
  parentOf: { get(postId: string): string | undefined },
): (o: Pick<Observation, 'quoted' | 'reporter' | 'post'>) => Party | undefined {
  const byName = new Map<string, Party>();
  for (const from of authorsInOrder) {
    const name = from.name?.trim().toLowerCase();
    if (name && from.address && !byName.has(name)) byName.set(name, from);
  }
  return (o: Pick<Observation, 'quoted' | 'reporter' | 'post'>) => {
    if (!o.quoted || o.reporter.address) return undefined;
    const name = o.reporter.name?.trim().toLowerCase();
    const known = name ? byName.get(name) : undefined;
    if (known) return known;
    if (!name) {
      const parent = parentOf.get(o.post);
      return parent ? authorOf(parent) : undefined;
    }
    return undefined;
  };
}

/** A duplicate whose reporter has neither organisation nor address takes its original's reporter (the attribution line was lost). */
export function inheritsReporter(reporter: Party): boolean {
  return !reporter.org && !reporter.address;
}

/** A quotation whose attribution line was lost still belongs to whoever posted the original. */
function inheritReporters(observations: Observation[]): Observation[] {
  const byId = new Map(observations.map((o) => [o.id, o]));
  return observations.map((o) => {
    if (!o.duplicateOf || !inheritsReporter(o.reporter)) return o;
    const original = byId.get(o.duplicateOf);
    return original ? { ...o, reporter: original.reporter } : o;
  });
}

/** inheritReporters on the objects themselves. */
function inheritReportersInPlace(observations: readonly Observation[]): void {
  const wanted = new Set<string>();
  for (const o of observations) if (o.duplicateOf && inheritsReporter(o.reporter)) wanted.add(o.duplicateOf);
  if (wanted.size === 0) return;
  const byId = new Map<string, Observation>();
  for (const o of observations) if (wanted.has(o.id)) byId.set(o.id, o);
  for (const o of observations) {
    if (!o.duplicateOf || !inheritsReporter(o.reporter)) continue;
    const original = byId.get(o.duplicateOf);
    if (original) o.reporter = original.reporter;
  }
}
