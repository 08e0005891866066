import { join } from 'node:path';
import { PackedStrings, type NumberedStringSet } from './packed-ids.js';
import { MemoryFloat64Column, MemoryInt32Column, PagedFloat64Column, PagedInt32Column, type Float64Column, type Int32Column } from './paged-file.js';
import { PagedStrings } from './paged-strings.js';

const MAX_SUBJECT_CHARS = 1000;

/** Reply/forward prefixes of common clients, lower-cased, without the colon. */
const REPLY_PREFIXES = new Set(['re', 'fw', 'fwd', 'aw', 'sv', 'vs', 'wg', 'tr', 'antw', 'antwort', 'rif', 'r', 'ref', 'odp', 'res', 'enc', 'rv']);

/**
 * A subject with reply/forward prefixes (`Re:`, `Fwd:`, `AW:`, `SV:`, `Re[2]:`, `Re^3:`) and list tags
 * (`[incidents]`) removed from the front, repeatedly, whitespace folded, lower-cased.
 */
export function normalizeSubject(s: string | null): string {
  if (!s) return '';
  let t = s.slice(0, MAX_SUBJECT_CHARS).replace(/\s+/g, ' ').trim();
  for (let guard = 0; guard < 100; guard++) {
    const before = t;
    if (t.startsWith('[')) {
      const close = t.indexOf(']');
      if (close > 0 && close < 80) t = t.slice(close + 1).trim();
    }
    t = stripReplyPrefix(t);
    if (t === before) break;
  }
  return t.toLowerCase();
}

function stripReplyPrefix(t: string): string {
  let i = 0;
  while (i < t.length && i < 12 && /[A-Za-z]/.test(t.charAt(i))) i++;
  if (i === 0) return t;
  const word = t.slice(0, i).toLowerCase();
  if (!REPLY_PREFIXES.has(word)) return t;
  let j = i;
  // counters: Re[2]: Re(2): Re^2:
  if (t[j] === '[' || t[j] === '(') {
    const close = t[j] === '[' ? ']' : ')';
    let k = j + 1;
    while (k < t.length && k < j + 6 && /[0-9]/.test(t.charAt(k))) k++;
    if (t[k] === close) j = k + 1;
  } else if (t[j] === '^') {
    let k = j + 1;
    while (k < t.length && k < j + 6 && /[0-9]/.test(t.charAt(k))) k++;
    j = k;
  }
  while (t[j] === ' ') j++;
  if (t[j] !== ':' && t[j] !== '：') return t;
  return t.slice(j + 1).trim();
}

/**
 * Groups posts into threads. Memory is a few typed-array slots per post and its id's bytes (no JS
 * object or string per post: PackedStrings) plus one entry per distinct subject; resolution walks
 * parent links once per post (memoised). A post is named inside by its position, the order it was
 * added in; an id (of a post or only referred to) by its number in the id table.
 *
 * With `dir` (a folder it may write files into, which outlive it only until close) every per-post
 * and per-id slot and the ids' characters are on disk behind a fixed cache of pages (PagedFile,
 * PagedStrings): what a large archive's index holds in memory does not grow with its posts,
 * except the subjects (one entry each) and, for a subject that has replies without references,
 * the positions of its posts while threads are resolved.
 */
export class ThreadIndex {
  /** every id the index keeps: the posts' and those of the parents and oldest references they name */
  private readonly ids: NumberedStringSet;
  /** by id number: the position of the post with that id, -1 for an id only referred to */
  private readonly postOfId: Int32Column;
  /** by position: the post's id number */
  private readonly idOfPost: Int32Column;
  /** by position: the parent's id number (In-Reply-To, else the last reference), -1 for none */
  private readonly parents: Int32Column;
  /** by position: the oldest reference's id number, the thread root even when that post never reached us; -1 for none */
  private readonly oldestRefs: Int32Column;
  /** by position: the subject's number in `subjects`, -1 for an empty normalized subject */
  private readonly subjectOf: Int32Column;
  /** by position: 1 for a reply (a parent or a reply prefix), else 0 */
  private readonly replies: Int32Column;
  /** by position: Date.parse of the date, +Infinity without one */
  private readonly times: Float64Column;
  /** normalized subject -> its number */
  private readonly bySubject = new Map<string, number>();
  /** by subject number: the subject, and for those a reply may join by subject, its thread starters and posts with reference headers */
  private readonly subjects: SubjectPosts[] = [];
  /** whether every joinable subject's lists are made (buildSubjectLists); an add that touches one lets them all go */
  private listsBuilt = false;
  /** tops whose thread is that of a post threadKeyAt is still walking from (resolveTop) */
  private readonly resolving = new Set<number>();
  /** where resolveTop asked threadKeyAt to go on from when it answered NOT_RESOLVED */
  private deferredTo = -1;
  /** by position: the thread's key (see threadKeyAt) once worked out; dropped by every add */
  private memo: Int32Column | null = null;
  private readonly dir: string | undefined;
  private memoFiles = 0;
  private readonly cachePages: number | undefined;

  /** dir: keep the index in files there (see above); without it, all in memory. cachePages: pages each file keeps in memory (tests make it small) */
  constructor(opts: { dir?: string; cachePages?: number } = {}) {
    const dir = (this.dir = opts.dir);
    const pages = (this.cachePages = opts.cachePages);
    // an open that throws: the caller never gets this object, so the files opened before it are closed here
    const opened: { close(): void }[] = [];
    const made = <T extends { close(): void }>(store: T): T => {
      opened.push(store);
      return store;
    };
    const int32 = (name: string): Int32Column => made(dir === undefined ? new MemoryInt32Column() : new PagedInt32Column(join(dir, name), { cachePages: pages }));
    try {
      this.ids = made(dir === undefined ? new PackedStrings() : new PagedStrings(join(dir, 'ids'), pages));
      this.postOfId = int32('post-of-id');
      this.idOfPost = int32('id-of-post');
      this.parents = int32('parents');
      this.oldestRefs = int32('oldest-refs');
      this.subjectOf = int32('subject-of');
      this.replies = int32('replies');
      this.times = made(dir === undefined ? new MemoryFloat64Column() : new PagedFloat64Column(join(dir, 'times'), { cachePages: pages }));
    } catch (err) {
      for (const store of opened) store.close();
      throw err;
    }
  }

  /** Lets the index's storage go (its files are removed); it is not to be used after. */
  close(): void {
    this.ids.close();
    this.postOfId.close();
    this.idOfPost.close();
    this.parents.close();
    this.oldestRefs.close();
    this.subjectOf.close();
    this.replies.close();
    this.times.close();
    this.dropMemo();
  }

  private dropMemo(): void {
    this.memo?.close();
    this.memo = null;
  }

  private newMemo(): Int32Column {
    if (this.dir === undefined) return new MemoMemory(this.idOfPost.length);
    return new PagedInt32Column(join(this.dir, `memo${this.memoFiles++}`), { cachePages: this.cachePages, fill: NOT_RESOLVED });
  }

  /** Adds a post; false (and nothing added) when a post with its id was added before. */
  add(p: { id: string; inReplyTo: string | null; references: string[]; subject: string | null; date: string | null }): boolean {
    // numbered first (its number is the first an add gives in any case): one lookup for both
    const idNumber = this.idNumber(p.id);
    if (this.postOfId.get(idNumber) >= 0) return false;
    const refs = p.references.filter((r) => r && r !== p.id);
    const parent = p.inReplyTo && p.inReplyTo !== p.id ? p.inReplyTo : (refs[refs.length - 1] ?? null);
    const parsed = p.date ? Date.parse(p.date) : NaN;
    const subjectKey = normalizeSubject(p.subject);
    let subject = subjectKey ? this.bySubject.get(subjectKey) : -1;
    if (subject === undefined) {
      subject = this.subjects.length;
      this.subjects.push({ key: subjectKey, joinable: false, starters: null, withRefs: null });
      this.bySubject.set(subjectKey, subject);
    }
    const oldestRef = refs[0] ?? parent;
    const at = this.idOfPost.length;
    const parentNumber = parent === null ? -1 : this.idNumber(parent);
    const isReply = parent !== null || hasReplyPrefix(p.subject);
    this.postOfId.set(idNumber, at);
    this.idOfPost.push(idNumber);
    this.parents.push(parentNumber);
    this.oldestRefs.push(oldestRef === null ? -1 : this.idNumber(oldestRef));
    this.subjectOf.push(subject);
    this.replies.push(isReply ? 1 : 0);
    this.times.push(Number.isFinite(parsed) ? parsed : Number.POSITIVE_INFINITY);
    this.dropMemo();
    if (subject < 0) return true;
    const group = this.subjects[subject] as SubjectPosts;
    // only a reply without references joins by subject: its subject's posts are listed when threads are resolved
    const joins = isReply && parentNumber === -1;
    if (this.listsBuilt && (group.joinable || joins)) this.dropSubjectLists();
    if (joins) group.joinable = true;
    return true;
  }

  private dropSubjectLists(): void {
    this.listsBuilt = false;
    for (const g of this.subjects) g.starters = g.withRefs = null;
  }

  /** For every joinable subject, its thread starters and its replies with reference headers, by time (then position): one pass over the posts. */
  private buildSubjectLists(): void {
    const starters = new Map<number, number[]>();
    const withRefs = new Map<number, number[]>();
    for (let s = 0; s < this.subjects.length; s++) {
      if (!(this.subjects[s] as SubjectPosts).joinable) continue;
      starters.set(s, []);
      withRefs.set(s, []);
    }
    for (let p = 0; p < this.idOfPost.length; p++) {
      const s = this.subjectOf.get(p);
      if (s < 0) continue;
      const list = this.replies.get(p) === 0 ? starters.get(s) : this.parents.get(p) !== -1 ? withRefs.get(s) : undefined;
      list?.push(p);
    }
    const byTime = (a: number, b: number): number => {
      const ta = this.times.get(a);
      const tb = this.times.get(b);
      return ta !== tb ? (ta < tb ? -1 : 1) : a - b;
    };
    for (const [s, list] of starters) {
      const group = this.subjects[s] as SubjectPosts;
      group.starters = Int32Array.from(list).sort(byTime);
      group.withRefs = Int32Array.from(withRefs.get(s) as number[]).sort(byTime);
    }
    this.listsBuilt = true;
  }

  /** how many posts were added */
  get size(): number {
    return this.idOfPost.length;
  }

  /** whether a post with this id was added */
  has(id: string): boolean {
    return this.positionOf(id) >= 0;
  }

  /** the position of a post among those added (0 for the first), or undefined */
  indexOf(id: string): number | undefined {
    const at = this.positionOf(id);
    return at < 0 ? undefined : at;
  }

  /** the id of the post at a position */
  idAt(position: number): string {
    return this.ids.get(this.idOfPost.get(position));
  }

  /** The number the index gives an id (added to its table when new): what positionOfNumber and idString take. */
  idNumber(id: string): number {
    const n = this.ids.add(id);
    if (n === this.postOfId.length) this.postOfId.push(-1);
    return n;
  }

  /** the position of the post whose id has this number, -1 when no such post was added (yet) */
  positionOfNumber(n: number): number {
    return this.postOfId.get(n);
  }

  /** the id with this number */
  idString(n: number): string {
    return this.ids.get(n);
  }

  private positionOf(id: string): number {
    const n = this.ids.find(id);
    return n < 0 ? -1 : this.postOfId.get(n);
  }

  /**
   * The thread of a post: the root id from References/In-Reply-To (following known parents); for a
   * post without them, the thread of the earliest post with the same normalized subject; failing
   * that the normalized subject itself.
   */
  threadOf(id: string): string {
    const node = this.positionOf(id);
    if (node < 0) return id;
    return this.threadName(this.threadKeyAt(node));
  }

  /** threadOf the post at a position, as a number threadName turns into the string: an id's number, or -1 - a subject's */
  threadKeyAt(node: number): number {
    const memo = (this.memo ??= this.newMemo());
    const cached = memo.get(node);
    if (cached !== NOT_RESOLVED) return cached;
    // A reply without references that takes the thread of another post (resolveTop) goes on with
    // that post's walk in this loop, not by recursion: a crafted chain of them overflowed the stack
    // at ~5,000. Every walk's path gets the answer at the end (linear overall).
    // the walks before the last (only when a top deferred) and the last
    const paths: number[][] = [];
    let lastPath: number[] = [];
    const deferredTops: number[] = [];
    let result = NOT_RESOLVED;
    try {
      for (let start = node; ; ) {
        const known = memo.get(start);
        if (known !== NOT_RESOLVED) {
          result = known;
          break;
        }
        // Walk up known parents once
        if (lastPath.length > 0) paths.push(lastPath);
        const path: number[] = [start];
        lastPath = path;
        const onPath = new Set<number>([start]);
        let top = start;
        for (let parent = this.parents.get(top); parent !== -1; parent = this.parents.get(top)) {
          const up = this.postOfId.get(parent);
          if (up < 0) break;
          if (onPath.has(up)) break;
          const upKnown = memo.get(up);
          if (upKnown !== NOT_RESOLVED) {
            result = upKnown;
            break;
          }
          path.push(up);
          onPath.add(up);
          top = up;
        }
        if (result !== NOT_RESOLVED) break;
        result = this.resolveTop(top, onPath);
        if (result !== NOT_RESOLVED) break;
        // the thread of this.deferredTo: top is in `resolving` until the answer is known
        deferredTops.push(top);
        start = this.deferredTo;
      }
      for (const n of lastPath) memo.set(n, result);
      for (const path of paths) for (const n of path) memo.set(n, result);
    } finally {
      for (const top of deferredTops) this.resolving.delete(top);
    }
    return result;
  }

  /** the thread keys (threadKeyAt) whose threadName is this string: an id's, a subject's, or both */
  threadKeysNamed(name: string): number[] {
    const keys: number[] = [];
    const n = this.ids.find(name);
    if (n >= 0) keys.push(n);
    const subject = this.bySubject.get(name);
    if (subject !== undefined) keys.push(-1 - subject);
    return keys;
  }

  /** the string a thread key (threadKeyAt) stands for */
  threadName(key: number): string {
    return key >= 0 ? this.ids.get(key) : (this.subjects[-1 - key] as SubjectPosts).key;
  }

  /** the thread key of a walk's top, or NOT_RESOLVED when it is the thread of this.deferredTo */
  private resolveTop(top: number, onPath: Set<number>): number {
    const topId = this.idOfPost.get(top);
    const parent = this.parents.get(top);
    if (parent !== -1) {
      // a cycle: pick stably
      if (onPath.has(this.postOfId.get(parent))) return this.ids.get(parent) < this.ids.get(topId) ? parent : topId;
      // the walk ended at a post whose parent we never saw: the oldest reference names the root
      const root = this.oldestRefs.get(top);
      return root === -1 ? parent : root;
    }
    // A post that starts something is its own root, even when its subject recurs ("Weekly
    // summary"): joining by subject would glue years of unrelated posts into one thread.
    const subject = this.subjectOf.get(top);
    if (subject < 0 || this.replies.get(top) === 0) return topId;
    // A reply without reference headers joins the latest thread of its subject started shortly
    // before it, else the thread of the latest such post that has references, else the subject.
    if (!this.listsBuilt) this.buildSubjectLists();
    const group = this.subjects[subject] as SubjectPosts;
    const starter = latestBefore(group.starters as Int32Array, this.times, top);
    if (starter !== null) return this.idOfPost.get(starter);
    const withRefs = latestBefore(group.withRefs as Int32Array, this.times, top);
    if (withRefs !== null && !this.resolving.has(top)) {
      // threadKeyAt goes on from withRefs and takes top out of `resolving` once answered
      this.resolving.add(top);
      this.deferredTo = withRefs;
      return NOT_RESOLVED;
    }
    return -1 - subject;
  }
}

/** a memo slot not yet worked out (no thread key is this low) */
const NOT_RESOLVED = -0x80000000;

/** `Re: x`, `[list] AW: x`: the subject itself says it answers something. */
export function hasReplyPrefix(s: string | null): boolean {
  if (!s) return false;
  let t = s.slice(0, MAX_SUBJECT_CHARS).replace(/\s+/g, ' ').trim();
  for (let guard = 0; guard < 20 && t.startsWith('['); guard++) {
    const close = t.indexOf(']');
    if (close <= 0 || close >= 80) break;
    t = t.slice(close + 1).trim();
  }
  return stripReplyPrefix(t) !== t;
}

interface SubjectPosts {
  /** the normalized subject, kept once for all its posts */
  key: string;
  /** whether a reply without references has this subject (only then are its posts listed) */
  joinable: boolean;
  /** positions of its posts that are not replies, by time, while the lists are built (joinable subjects only) */
  starters: Int32Array | null;
  /** positions of its replies with a parent, by time, likewise */
  withRefs: Int32Array | null;
}

/** threadKeyAt's memo in memory: every slot NOT_RESOLVED until set */
class MemoMemory implements Int32Column {
  private readonly a: Int32Array;

  constructor(readonly length: number) {
    this.a = new Int32Array(length).fill(NOT_RESOLVED);
  }

  push(): void {
    throw new Error('the memo has a fixed length');
  }

  get(i: number): number {
    return this.a[i] as number;
  }

  set(i: number, v: number): void {
    this.a[i] = v;
  }

  close(): void {}
}

/** how long after a thread starts a reference-less reply may still join it by subject */
const SUBJECT_JOIN_WINDOW_MS = 60 * 86_400_000;
/** clocks of different senders disagree: a reply may look a little older than what it answers */
const CLOCK_SKEW_MS = 86_400_000;

/** The latest post of a time-sorted list (positions) at most a day after `reply` and at most 60 days before it. */
function latestBefore(sorted: Int32Array, times: Float64Column, reply: number): number | null {
  if (sorted.length === 0) return null;
  const replyTime = times.get(reply);
  if (!Number.isFinite(replyTime)) return sorted[sorted.length - 1] as number; // undated: the latest known
  const limit = replyTime + CLOCK_SKEW_MS;
  let lo = 0;
  let hi = sorted.length; // first index with time > limit
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times.get(sorted[mid] as number) <= limit) lo = mid + 1;
    else hi = mid;
  }
  const found = lo > 0 ? (sorted[lo - 1] as number) : null;
  return found !== null && times.get(found) >= replyTime - SUBJECT_JOIN_WINDOW_MS ? found : null;
}
