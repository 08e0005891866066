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
 * Groups posts into threads. Memory is a few array slots per post (no object per post: a large
 * archive's index is mostly its id strings) plus one entry per distinct subject; resolution walks
 * parent links once per post (memoised). A post is named inside by its position, the order it was
 * added in.
 */
export class ThreadIndex {
  /** post id -> position */
  private readonly positions = new Map<string, number>();
  private readonly ids: string[] = [];
  /** by position: the parent's id (In-Reply-To, else the last reference; the index's own string when known at add time) */
  private readonly parents: Array<string | null> = [];
  /** by position: the oldest reference, the thread root even when that post never reached us */
  private readonly oldestRefs: Array<string | null> = [];
  private readonly subjectKeys: string[] = [];
  private readonly replies: boolean[] = [];
  /** by position: Date.parse of the date, +Infinity without one (a JS array of doubles: no box per number) */
  private readonly times: number[] = [];
  /** normalized subject -> its thread starters and its posts with reference headers, in time order once sorted */
  private readonly bySubject = new Map<string, SubjectPosts>();
  private readonly resolving = new Set<string>();
  private readonly memo = new Map<string, string>();

  add(p: { id: string; inReplyTo: string | null; references: string[]; subject: string | null; date: string | null }): void {
    if (this.positions.has(p.id)) return;
    const refs = p.references.filter((r) => r && r !== p.id);
    const parent = p.inReplyTo && p.inReplyTo !== p.id ? p.inReplyTo : (refs[refs.length - 1] ?? null);
    const parsed = p.date ? Date.parse(p.date) : NaN;
    let subjectKey = normalizeSubject(p.subject);
    let group = subjectKey ? this.bySubject.get(subjectKey) : undefined;
    // kept once: the strings a post refers to are usually those of posts already added
    if (group) subjectKey = group.key;
    const oldestRef = refs[0] ?? parent;
    const at = this.ids.length;
    const parentId = parent === null ? null : this.idOf(parent);
    const isReply = parent !== null || hasReplyPrefix(p.subject);
    this.ids.push(p.id);
    this.parents.push(parentId);
    this.oldestRefs.push(oldestRef === null ? null : this.idOf(oldestRef));
    this.subjectKeys.push(subjectKey);
    this.replies.push(isReply);
    this.times.push(Number.isFinite(parsed) ? parsed : Number.POSITIVE_INFINITY);
    this.positions.set(p.id, at);
    this.memo.clear();
    if (!subjectKey) return;
    if (!group) this.bySubject.set(subjectKey, (group = { key: subjectKey, starters: [], withRefs: [], sorted: true }));
    if (!isReply) group.starters.push(at);
    else if (parentId !== null) group.withRefs.push(at);
    else return;
    group.sorted = false;
  }

  /** whether a post with this id was added */
  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** the position of a post among those added (0 for the first), or undefined */
  indexOf(id: string): number | undefined {
    return this.positions.get(id);
  }

  /** the id as the index keeps it: the string of the post with that id when it was added, else the id given */
  idOf(id: string): string {
    const at = this.positions.get(id);
    return at === undefined ? id : (this.ids[at] as string);
  }

  /**
   * The thread of a post: the root id from References/In-Reply-To (following known parents); for a
   * post without them, the thread of the earliest post with the same normalized subject; failing
   * that the normalized subject itself.
   */
  threadOf(id: string): string {
    const cached = this.memo.get(id);
    if (cached !== undefined) return cached;
    const node = this.positions.get(id);
    if (node === undefined) return id;
    // Walk up known parents once, then memoise the answer on the whole path (linear overall).
    const path: number[] = [node];
    const onPath = new Set<string>([this.ids[node] as string]);
    let top = node;
    let result: string | undefined;
    for (let parent = this.parents[top] as string | null; parent !== null; parent = this.parents[top] as string | null) {
      const up = this.positions.get(parent);
      if (up === undefined) break;
      const upId = this.ids[up] as string;
      if (onPath.has(upId)) break;
      const known = this.memo.get(upId);
      if (known !== undefined) {
        result = known;
        break;
      }
      path.push(up);
      onPath.add(upId);
      top = up;
    }
    result ??= this.resolveTop(top, onPath);
    for (const n of path) this.memo.set(this.ids[n] as string, result);
    return result;
  }

  private resolveTop(top: number, onPath: Set<string>): string {
    const topId = this.ids[top] as string;
    const parent = this.parents[top] as string | null;
    if (parent !== null) {
      if (onPath.has(parent)) return parent < topId ? parent : topId; // a cycle: pick stably
      // the walk ended at a post whose parent we never saw: the oldest reference names the root
      const root = this.oldestRefs[top] ?? parent;
      const known = this.positions.get(root);
      return known !== undefined && this.parents[known] === null ? (this.ids[known] as string) : root;
    }
    // A post that starts something is its own root, even when its subject recurs ("Weekly
    // summary"): joining by subject would glue years of unrelated posts into one thread.
    const subjectKey = this.subjectKeys[top] as string;
    if (!subjectKey || !this.replies[top]) return topId;
    // A reply without reference headers joins the latest thread of its subject started shortly
    // before it, else the thread of the latest such post that has references, else the subject.
    const group = this.bySubject.get(subjectKey);
    if (!group) return topId;
    if (!group.sorted) {
      const byTime = (a: number, b: number): number => {
        const ta = this.times[a] as number;
        const tb = this.times[b] as number;
        return ta !== tb ? (ta < tb ? -1 : 1) : a - b;
      };
      group.starters.sort(byTime);
      group.withRefs.sort(byTime);
      group.sorted = true;
    }
    const starter = latestBefore(group.starters, this.times, top);
    if (starter !== null) return this.ids[starter] as string;
    const withRefs = latestBefore(group.withRefs, this.times, top);
    if (withRefs !== null && !this.resolving.has(topId)) {
      this.resolving.add(topId);
      try {
        return this.threadOf(this.ids[withRefs] as string);
      } finally {
        this.resolving.delete(topId);
      }
    }
    return subjectKey;
  }
}

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
  /** positions */
  starters: number[];
  withRefs: number[];
  sorted: boolean;
}

/** how long after a thread starts a reference-less reply may still join it by subject */
const SUBJECT_JOIN_WINDOW_MS = 60 * 86_400_000;
/** clocks of different senders disagree: a reply may look a little older than what it answers */
const CLOCK_SKEW_MS = 86_400_000;

/** The latest post of a time-sorted list (positions) at most a day after `reply` and at most 60 days before it. */
function latestBefore(sorted: readonly number[], times: readonly number[], reply: number): number | null {
  if (sorted.length === 0) return null;
  const replyTime = times[reply] as number;
  if (!Number.isFinite(replyTime)) return sorted[sorted.length - 1] as number; // undated: the latest known
  const limit = replyTime + CLOCK_SKEW_MS;
  let lo = 0;
  let hi = sorted.length; // first index with time > limit
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[sorted[mid] as number] as number) <= limit) lo = mid + 1;
    else hi = mid;
  }
  const found = lo > 0 ? (sorted[lo - 1] as number) : null;
  return found !== null && (times[found] as number) >= replyTime - SUBJECT_JOIN_WINDOW_MS ? found : null;
}
