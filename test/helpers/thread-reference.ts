// The thread index as it was before it kept its posts in arrays by position (src/mail/thread.ts
// at d1ffa25, one object per post): kept as the oracle test/mail-thread.property.test.ts holds the
// current one to. Only the class and its helpers; normalizeSubject and the reply-prefix test are the
// current module's.
import fc from 'fast-check';
import { hasReplyPrefix, normalizeSubject } from '../../src/mail/thread.js';

/**
 * Posts for the thread index's property tests: ids from `ids`, replies (In-Reply-To, References) to
 * those and to `askedOnly` (never posted), subjects that normalise alike or not, dates odd and not.
 */
export function threadPosts(ids: readonly string[], askedOnly: readonly string[]) {
  const ref = fc.constantFrom(...ids, ...askedOnly);
  return fc.record({
    id: fc.constantFrom(...ids),
    inReplyTo: fc.option(ref, { nil: null }),
    references: fc.array(ref, { maxLength: 3 }),
    subject: fc.constantFrom('Re: x', 'x', 'Fwd: y', null, '', 'Re: y', '[l] Re: x', 'RE: X'),
    date: fc.constantFrom(null, 'Thu, 06 Sep 2001 10:00:00 +0000', 'Thu, 06 Sep 2001 09:00:00 +0000', 'bad', 'Fri, 07 Sep 2001 10:00:00 +0000', 'Sat, 08 Dec 2001 10:00:00 +0000'),
  });
}

interface Node {
  id: string;
  parent: string | null;
  /** the oldest reference: the thread root even when that post never reached us */
  oldestRef: string | null;
  subjectKey: string;
  isReply: boolean;
  time: number;
  order: number;
}

/**
 * Groups posts into threads. Memory is one small record per post plus one entry per distinct subject;
 * resolution walks parent links once per post (memoised).
 */
export class ReferenceThreadIndex {
  private readonly nodes = new Map<string, Node>();
  /** normalized subject -> its thread starters and its posts with reference headers, in time order once sorted */
  private readonly bySubject = new Map<string, SubjectPosts>();
  private readonly resolving = new Set<string>();
  private readonly memo = new Map<string, string>();
  private order = 0;

  add(p: { id: string; inReplyTo: string | null; references: string[]; subject: string | null; date: string | null }): void {
    if (this.nodes.has(p.id)) return;
    const refs = p.references.filter((r) => r && r !== p.id);
    const parent = p.inReplyTo && p.inReplyTo !== p.id ? p.inReplyTo : (refs[refs.length - 1] ?? null);
    const parsed = p.date ? Date.parse(p.date) : NaN;
    let subjectKey = normalizeSubject(p.subject);
    let group = subjectKey ? this.bySubject.get(subjectKey) : undefined;
    // kept once: the strings a post refers to are usually those of posts already added
    if (group) subjectKey = group.key;
    const oldestRef = refs[0] ?? parent;
    const node: Node = {
      id: p.id,
      parent: parent === null ? null : this.idOf(parent),
      oldestRef: oldestRef === null ? null : this.idOf(oldestRef),
      subjectKey,
      isReply: parent !== null || hasReplyPrefix(p.subject),
      time: Number.isFinite(parsed) ? parsed : Number.POSITIVE_INFINITY,
      order: this.order++,
    };
    this.nodes.set(p.id, node);
    this.memo.clear();
    if (!subjectKey) return;
    if (!group) this.bySubject.set(subjectKey, (group = { key: subjectKey, starters: [], withRefs: [], sorted: true }));
    if (!node.isReply) group.starters.push(node);
    else if (node.parent !== null) group.withRefs.push(node);
    else return;
    group.sorted = false;
  }

  /** whether a post with this id was added */
  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** the position of a post among those added (0 for the first), or undefined */
  indexOf(id: string): number | undefined {
    return this.nodes.get(id)?.order;
  }

  /** the id as the index keeps it: the string of the post with that id when it was added, else the id given */
  idOf(id: string): string {
    return this.nodes.get(id)?.id ?? id;
  }

  /**
   * The thread of a post: the root id from References/In-Reply-To (following known parents); for a
   * post without them, the thread of the earliest post with the same normalized subject; failing
   * that the normalized subject itself.
   */
  threadOf(id: string): string {
    const cached = this.memo.get(id);
    if (cached !== undefined) return cached;
    const node = this.nodes.get(id);
    if (!node) return id;
    // Walk up known parents once, then memoise the answer on the whole path (linear overall).
    const path: Node[] = [node];
    const onPath = new Set<string>([node.id]);
    let top = node;
    let result: string | undefined;
    while (top.parent !== null) {
      const up = this.nodes.get(top.parent);
      if (!up || onPath.has(up.id)) break;
      const known = this.memo.get(up.id);
      if (known !== undefined) {
        result = known;
        break;
      }
      path.push(up);
      onPath.add(up.id);
      top = up;
    }
    result ??= this.resolveTop(top, onPath);
    for (const n of path) this.memo.set(n.id, result);
    return result;
  }

  private resolveTop(top: Node, onPath: Set<string>): string {
    if (top.parent !== null) {
      if (onPath.has(top.parent)) return top.parent < top.id ? top.parent : top.id; // a cycle: pick stably
      // the walk ended at a post whose parent we never saw: the oldest reference names the root
      const root = top.oldestRef ?? top.parent;
      const known = this.nodes.get(root);
      return known && known.parent === null ? known.id : root;
    }
    // A post that starts something is its own root, even when its subject recurs ("Weekly
    // summary"): joining by subject would glue years of unrelated posts into one thread.
    if (!top.subjectKey || !top.isReply) return top.id;
    // A reply without reference headers joins the latest thread of its subject started shortly
    // before it, else the thread of the latest such post that has references, else the subject.
    const group = this.bySubject.get(top.subjectKey);
    if (!group) return top.id;
    if (!group.sorted) {
      group.starters.sort(compareNodes);
      group.withRefs.sort(compareNodes);
      group.sorted = true;
    }
    const starter = latestBefore(group.starters, top);
    if (starter) return starter.id;
    const withRefs = latestBefore(group.withRefs, top);
    if (withRefs && !this.resolving.has(top.id)) {
      this.resolving.add(top.id);
      try {
        return this.threadOf(withRefs.id);
      } finally {
        this.resolving.delete(top.id);
      }
    }
    return top.subjectKey;
  }
}

interface SubjectPosts {
  /** the normalized subject, kept once for all its posts */
  key: string;
  starters: Node[];
  withRefs: Node[];
  sorted: boolean;
}

/** how long after a thread starts a reference-less reply may still join it by subject */
const SUBJECT_JOIN_WINDOW_MS = 60 * 86_400_000;
/** clocks of different senders disagree: a reply may look a little older than what it answers */
const CLOCK_SKEW_MS = 86_400_000;

function compareNodes(a: Node, b: Node): number {
  return a.time !== b.time ? (a.time < b.time ? -1 : 1) : a.order - b.order;
}

/** The latest node of a time-sorted list at most a day after `reply` and at most 60 days before it. */
function latestBefore(sorted: readonly Node[], reply: Node): Node | null {
  if (sorted.length === 0) return null;
  if (!Number.isFinite(reply.time)) return sorted[sorted.length - 1]!; // undated: the latest known
  const limit = reply.time + CLOCK_SKEW_MS;
  let lo = 0;
  let hi = sorted.length; // first index with time > limit
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.time <= limit) lo = mid + 1;
    else hi = mid;
  }
  const found = lo > 0 ? sorted[lo - 1]! : null;
  return found && found.time >= reply.time - SUBJECT_JOIN_WINDOW_MS ? found : null;
}
