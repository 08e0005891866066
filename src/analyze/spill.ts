// The JSON document of a large archive with flat memory: each post and observation is written to
// a temp file as it is added, and so is what is kept per observation (its id, flags, reporter,
// record length, duplicate keys and join ends: files of integers read through bounded caches of
// pages, PagedInt32Column), as is what is kept per post and the thread index. At the end the
// corpus-wide steps run on these — quoted reporters, duplicates (sorted a part at a time),
// reporter inheritance, alert↔flow joins — and the document is
// streamed out by re-reading the files in order; the groups and findings are built by correlate's
// GroupAccumulator and buildFindings while the observations go by. An observation is stored as the
// bytes the document shows (rendered once, never parsed back unless a join changes it) behind a
// header with what its group needs. Same bytes as Corpus.finish.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCHEMA, type Finding, type InputError, type Observation, type Party, type Post } from '../contract.js';
import { applyJoinInPlace, isAlertObservation, isFlowObservation, joinAlertsToFlows } from '../classify/join.js';
import { buildFindings, GroupAccumulator, quadNumber, resolveFinding, sameTrafficFinding } from '../correlate/correlate.js';
import { hashDuplicateKeys } from '../correlate/duplicates.js';
import { ThreadIndex } from '../mail/thread.js';
import { MemoryInt32Column, PagedInt32Column, type Int32Column } from '../mail/paged-file.js';
import { ElementBytesRenderer, RenderedBytes, renderElement, StreamedStrings, writeJsonDocument } from './json-out.js';
import { inheritsReporter, partyKey, quotedReporterResolverOf } from './corpus.js';
import { ownCopy } from '../extract/shared.js';
import { GroupMembersFile } from './group-members-file.js';
import { StatementFile } from './statement-file.js';
import { FindingRecordFile } from './finding-record-file.js';
import { BLOCK_PAGES, FirstOfEqualKeys, IdTable, Int32File, PostOfObservation, RecordFile, StringStream, valuesInBoth } from './spill-store.js';
import type { PostAnalysis } from './types.js';

const QUOTED = 1;
const ALERT = 2;
const FLOW = 4;
/** the steps at the end changed the record's reporter */
const REPORTER_CHANGED = 8;
/** alerts (or flows) read back at once when looking for joins */
const JOIN_CHUNK = 20_000;
/** join ends read from their file at once */
const ENDS_READ = 1 << 16;

/**
 * An observation's record in the spill: a fixed header with what its group needs (so writing the
 * document need not parse the observation back), the time's characters, then the observation as
 * the document shows it (renderElement's bytes).
 *   0 u8   GROUP_* (how the groups take it)
 *   1 u8   length of the time's characters (GROUP_QUAD)
 *   2 u8   1: no target
 *   3 u8   1: dport null
 *   4 i32  the group's number without the actor's /16 (groupNumberOf / 65536)
 *   8 i32  actor (dotted quad)   12 i32 target (dotted quad)
 *  16 i32  family id (-1: none)   20 i32 dport   24 f64 the time's instant (NaN: none)
 */
const HEADER = 32;
/** not in any group: no actor */
const GROUP_NONE = 0;
/** a dotted-quad actor with a group number, a dotted-quad target or none, a printable ASCII time: the header has it all */
const GROUP_QUAD = 1;
/** anything else: parsed back and given to GroupAccumulator.add */
const GROUP_PARSE = 2;
/** the tail of a rendered observation: its closing brace on a line of its own */
const RENDERED_CLOSE = '\n    }';

export class SpillCorpus {
  /** undefined only when the folder could not be made */
  private readonly dir: string | undefined;
  private readonly postFile: StringStream;
  /** by position, each post's thread name, written when all posts are added (the thread index goes before the corpus-wide steps) */
  private readonly threadFile: StringStream;
  private readonly obsFile: RecordFile;
  private readonly onExit = (): void => this.dispose();
  /** Ctrl-C or kill: the temp files go, then the signal is raised again so the process ends as it would have */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.dispose();
    process.kill(process.pid, signal);
  };
  private disposed = false;

  // the per-post state is on disk behind a few cached pages (PagedInt32Column), as is the thread
  // index (ThreadIndex with a folder): none of it grows in memory with the archive
  /** by position: the author's party id */
  private postFrom: Int32Column;
  /** by position: the thread index's number of the In-Reply-To id, -1 for none (whose author a quotation without a name is) */
  private inReplyTo: Int32Column;
  /** the posts' ids, threads and positions (a post is added to it once, at its position) */
  private threads: ThreadIndex;
  /**
   * the "same" statements with an organisation: all the findings read (buildFindings skips the
   * others unread), on disk; rewritten with their threads resolved and numbered
   */
  private statements: StatementFile;
  /** the group findings' records between their count and their turn (buildFindings), made when the findings are */
  private findingRecords: FindingRecordFile | undefined;
  private readonly errors: InputError[] = [];

  private readonly parties: Party[] = [];
  private readonly partyIdOfKey = new Map<string, number>();
  private readonly partyIdOf = new Map<Party, number>();

  /** by observation, on disk (a bounded cache each): its id */
  private readonly ids: IdTable;
  /** by position: the index of the post's first observation (a post's observations are added in a row) */
  private postFirst: Int32Column;
  /** by position: how the post is stored (POST_*) */
  private postIdsInTable: Int32Column;
  /** by observation, on disk: QUOTED, ALERT, FLOW, REPORTER_CHANGED */
  private readonly obsFlags: PagedInt32Column;
  /** by observation, on disk: its reporter's party id */
  private readonly obsReporter: PagedInt32Column;
  /** the corpus-wide steps' files (finishFile) */
  private readonly finishFiles: PagedInt32Column[] = [];
  /** posts and observations added (the lists above are let go before the findings are written) */
  private posts = 0;
  private observations = 0;
  /** a hash of protocol and the two ends, either orientation (what a join needs equal); alerts and flows only; 0 for the rest. On disk until the joins */
  private readonly endsFile: Int32File;
  private readonly endsOne = new Int32Array(1);
  /** the duplicate keys, as 96-bit hashes: UTC-second keys and wall-clock-second keys, three lanes each */
  private readonly keyFileU: Int32File;
  private readonly keyFileL: Int32File;
  private readonly keyU = new Int32Array(3);
  private readonly keyL = new Int32Array(3);

  private readonly renderer = new ElementBytesRenderer();
  /**
   * The last post's observations, as objects, not yet in the spill file (the first of them is
   * observation pendingFirst); the next add writes them there. Those of the post added last are
   * rendered straight into the document instead: a one-post paste is rendered once, never written
   * to the spill and copied back out.
   */
  private pending: Observation[] = [];
  private pendingFirst = 0;
  /** the groups, built as the document is written (their members in a file); at add time only its /16 cache is used */
  private readonly acc: GroupAccumulator;
  private readonly groupMembers: GroupMembersFile;
  private readonly familyIdOf = new Map<string, number>();
  private readonly families: string[] = [];

  private readonly joinChunk: number;
  /** by position, the post's thread key (ThreadIndex.threadKeyAt), while the document is written */
  private threadKey: Int32Column | undefined;

  /**
   * tmpDir: where the temp folder goes (os.tmpdir()); joinChunk: alerts read back at once when
   * joining; groupRun: group members sorted at once when the findings are built (tests make both small)
   */
  constructor(opts: { tmpDir?: string; joinChunk?: number; groupRun?: number } = {}) {
    this.joinChunk = opts.joinChunk ?? JOIN_CHUNK;
    // the handlers go first: until a listener exists, Ctrl-C ends the process at once, which
    // between mkdtemp and the listeners would leave the folder behind
    process.once('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    try {
      this.dir = mkdtempSync(join(opts.tmpDir ?? tmpdir(), 'listwatch-analyze-'));
    } catch (err) {
      this.dispose();
      throw err;
    }
    try {
      this.postFile = new StringStream(join(this.dir, 'posts.jsonl'));
      // in UTF-16: a thread name is a raw string (a subject may hold a lone surrogate), not JSON
      this.threadFile = new StringStream(join(this.dir, 'threads.bin'), 'utf16le');
      this.obsFile = new RecordFile(join(this.dir, 'observations.bin'));
      this.statements = new StatementFile(join(this.dir, 'statements.bin'));
      this.keyFileU = new Int32File(join(this.dir, 'keys-utc.bin'));
      this.keyFileL = new Int32File(join(this.dir, 'keys-wall.bin'));
      this.endsFile = new Int32File(join(this.dir, 'ends.bin'));
      this.groupMembers = new GroupMembersFile({ members: join(this.dir, 'members.bin'), runs: join(this.dir, 'members-runs.bin'), refs: join(this.dir, 'members-refs.bin') }, opts.groupRun);
      this.acc = new GroupAccumulator(ownCopy, this.groupMembers);
      this.ids = new IdTable(join(this.dir, 'ids.bin'));
      this.obsFlags = new PagedInt32Column(join(this.dir, 'flags.bin'), BLOCK_PAGES);
      this.obsReporter = new PagedInt32Column(join(this.dir, 'reporters.bin'), BLOCK_PAGES);
      const threadDir = join(this.dir, 'thread-index');
      mkdirSync(threadDir);
      this.threads = new ThreadIndex({ dir: threadDir });
      this.postFrom = new PagedInt32Column(join(this.dir, 'post-from.bin'));
      this.inReplyTo = new PagedInt32Column(join(this.dir, 'in-reply-to.bin'));
      this.postFirst = new PagedInt32Column(join(this.dir, 'post-first.bin'));
      this.postIdsInTable = new PagedInt32Column(join(this.dir, 'post-stored.bin'));
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  get postCount(): number {
    return this.posts;
  }

  get observationCount(): number {
    return this.observations;
  }

  addError(e: InputError): void {
    this.errors.push(e);
  }

  /** false when a post with the same id was already added (recorded under errors, not analysed twice) */
  add(pa: PostAnalysis): boolean {
    const post = pa.post;
    // the thread index keeps the post at position p (every post added here goes to it once), its ids as bytes
    const inReplyTo = pa.mail.inReplyTo;
    if (!this.threads.add({ id: post.id, inReplyTo, references: pa.mail.references, subject: pa.mail.subject, date: pa.mail.date })) {
      this.errors.push({ input: pa.mail.input, message: `same Message-ID <${post.id}> as a message read earlier; skipped as a copy` });
      return false;
    }
    this.spillPending();
    const p = this.posts++;
    if (p === FORCED_GC_MIN_POSTS) this.slowHeapGrowth();
    this.postFrom.push(this.partyId(post.from));
    this.inReplyTo.push(inReplyTo ? this.threads.idNumber(inReplyTo) : -1);
    this.postFirst.push(this.observations);
    // a post's list of its observations' ids (100,000 in a paste) is written from the id table
    // when it is theirs in order, not stored in the post's JSON and read back
    const ids = post.observations;
    const obs = pa.observations;
    let idsInTable = ids.length === obs.length;
    for (let k = 0; idsInTable && k < ids.length; k++) idsInTable = ids[k] === (obs[k] as Observation).id;
    const compact = idsInTable ? compactPost(post) : null;
    this.postIdsInTable.push(compact !== null ? POST_COMPACT : idsInTable ? POST_IDS_IN_TABLE : POST_AS_GIVEN);
    this.postFile.append(compact ?? JSON.stringify(idsInTable ? { ...post, observations: [] } : post));
    for (const o of obs) this.addObservation(o);
    for (const s of pa.statements) if (s.polarity === 'same' && s.org) this.statements.append(s);
    for (const w of pa.mail.warnings) this.errors.push({ input: pa.mail.input, message: w });
    return true;
  }

  /** whether this corpus set V8's heap growing factor (put back when it is disposed) */
  private heapGrowthSet = false;

  /** See HEAP_GROWING_PERCENT. */
  private slowHeapGrowth(): void {
    // the flag is process-wide: set by the first corpus that wants it, put back by the last to let go
    if (heapGrowthHolders === 0) {
      if (heapGrowingFromCommandLine()) return;
      try {
        setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
      } catch {
        return; // left to V8
      }
    }
    heapGrowthHolders++;
    this.heapGrowthSet = true;
  }

  /** the pool id of a party by name, address and organisation; the first object seen stands for all (as Corpus pools them) */
  private partyId(party: Party): number {
    const known = this.partyIdOf.get(party);
    if (known !== undefined) return known;
    const key = partyKey(party);
    let id = this.partyIdOfKey.get(key);
    if (id === undefined) {
      id = this.parties.length;
      party.name = party.name === null ? null : ownCopy(party.name);
      party.address = party.address === null ? null : ownCopy(party.address);
      party.org = party.org === null ? null : ownCopy(party.org);
      this.parties.push(party);
      this.partyIdOfKey.set(key, id);
      this.partyIdOf.set(party, id);
    }
    return id;
  }

  private addObservation(o: Observation): void {
    this.observations++;
    this.ids.push(o.id);
    // an alert or flow without both addresses has no join key
    const ends = !!o.src && !!o.dst;
    const alert = ends && isAlertObservation(o);
    const flow = ends && !alert && isFlowObservation(o);
    this.obsFlags.push((o.quoted ? QUOTED : 0) | (alert ? ALERT : 0) | (flow ? FLOW : 0));
    const reporter = this.partyId(o.reporter);
    this.obsReporter.push(reporter);
    // stored as the document will show it, so an observation the corpus-wide steps leave alone is
    // written out as it stands (a copy only gains its duplicateOf at the end)
    o.reporter = this.parties[reporter] as Party;
    if (o.duplicateOf !== undefined) delete o.duplicateOf;
    this.pending.push(o);
  }

  /** the last post's observations into the spill file, their duplicate keys and join ends hashed (the last post's are hashed by finish, when needed) */
  private spillPending(): void {
    const pending = this.pending;
    this.pendingEnds();
    for (let k = 0; k < pending.length; k++) {
      const o = pending[k] as Observation;
      this.writeRecord(o, this.duplicateKeys(o));
    }
    this.pending = [];
    this.pendingFirst = this.observations;
  }

  /**
   * The pending observations' join ends to the ends file (alerts and flows; 0 for the rest), once:
   * the last post's only when joins can happen (a paste of flows alone never hashes them).
   */
  private pendingEnds(): void {
    const pending = this.pending;
    const first = this.pendingFirst;
    if (this.endsFile.length !== first) return;
    for (let k = 0; k < pending.length; k++) {
      this.endsOne[0] = (this.obsFlags.get(first + k) & (ALERT | FLOW)) !== 0 ? endsHash(pending[k] as Observation) : 0;
      this.endsFile.append(this.endsOne, 1);
    }
  }

  /** A file of integers by index for the corpus-wide steps, in the spill's folder (closed when the corpus is disposed, if not before). */
  private finishFile(name: string): PagedInt32Column {
    const file = new PagedInt32Column(join(this.dir as string, name), BLOCK_PAGES);
    this.finishFiles.push(file);
    return file;
  }

  /** The observation's record: header, time, rendered bytes (see HEADER). */
  private writeRecord(o: Observation, ms: number): void {
    const r = this.renderer;
    const time = o.time;
    let kind = GROUP_NONE;
    let actorQuad = 0;
    let targetQuad: number | null = null;
    let groupNumber = -1;
    let timeLen = 0;
    if (o.actor !== null) {
      kind = GROUP_PARSE;
      const aq = quadNumber(o.actor);
      const target = o.target;
      targetQuad = target ? quadNumber(target) : null;
      const dport = o.dport;
      if (aq !== null && (!target || targetQuad !== null) && (dport === null || (dport | 0) === dport) && (time === null || isShortAscii(time)) && (groupNumber = this.acc.groupNumberOf(o, aq)) >= 0) {
        kind = GROUP_QUAD;
        actorQuad = aq;
        if (time !== null) timeLen = time.length;
      }
    }
    r.render(o, HEADER + timeLen);
    const b = r.buf;
    b[0] = kind;
    b[1] = timeLen;
    if (kind === GROUP_QUAD) {
      b[2] = targetQuad === null ? 1 : 0;
      b[3] = o.dport === null ? 1 : 0;
      // (the group's facts are worked out from the number when its first member is written out)
      b.writeInt32LE(Math.floor(groupNumber / 65536), 4);
      b.writeInt32LE(actorQuad, 8);
      b.writeInt32LE(targetQuad ?? 0, 12);
      b.writeInt32LE(o.family ? this.familyId(o.family) : -1, 16);
      b.writeInt32LE(o.dport ?? 0, 20);
      b.writeDoubleLE(ms, 24);
      for (let k = 0; k < timeLen; k++) b[HEADER + k] = (time as string).charCodeAt(k);
    }
    this.obsFile.append(b, r.length);
  }

  private familyId(family: string): number {
    let id = this.familyIdOf.get(family);
    if (id === undefined) {
      id = this.families.length;
      family = ownCopy(family);
      this.families.push(family);
      this.familyIdOf.set(family, id);
    }
    return id;
  }

  /**
   * The record's two duplicate keys (UTC second, wall-clock second) hashed to the key files: the
   * classes are worked out from them when all is added (duplicateClasses). Returns Date.parse of
   * the time (NaN: none).
   */
  private duplicateKeys(o: Observation): number {
    const ms = hashDuplicateKeys(o, 0x75, this.keyU, 0x6c, this.keyL);
    this.keyFileU.append(this.keyU, 3);
    this.keyFileL.append(this.keyL, 3);
    return ms;
  }

  /**
   * markDuplicates' equivalence classes, in corpus order: a record joins the class of its
   * UTC-second key, else of its wall-clock-second key, else starts one; each of its keys not yet
   * known is then taken by that class (so a key's class is that of the first record with it). The
   * original is the class's first non-quoted member, else its first. For each record, its class's
   * original. Keys are compared as 96-bit hashes: two different keys with the same hash would be
   * taken for one (probability ~n²/2⁹⁷, ~10⁻¹⁷ for a million keys); nothing else is approximate.
   */
  private duplicateClasses(n: number): PagedInt32Column {
    // the last post's keys, not hashed until now (see spillPending)
    for (const o of this.pending) this.duplicateKeys(o);
    // all on disk: the first record of each key in index order from the key files' parts, the
    // classes and originals read near where they were last written (an original is usually recent)
    const dir = this.dir as string;
    const classOf = this.finishFile('classes.bin');
    const original = this.finishFile('originals.bin');
    // dispose knows neither of these: firstL is made in the try, so that firstU is closed when it throws
    const firstU = new FirstOfEqualKeys(this.keyFileU, n, dir);
    let firstL: FirstOfEqualKeys | undefined;
    try {
      firstL = new FirstOfEqualKeys(this.keyFileL, n, dir);
      const flags = this.obsFlags;
      let classes = 0;
      for (let i = 0; i < n; i++) {
        const u = firstU.next();
        const l = firstL.next();
        let cls: number;
        if (u < i) cls = classOf.get(u);
        else if (l < i) cls = classOf.get(l);
        else {
          cls = classes++;
          original.set(cls, i);
        }
        classOf.set(i, cls);
        if ((flags.get(i) & QUOTED) === 0 && (flags.get(original.get(cls)) & QUOTED) !== 0) original.set(cls, i);
      }
    } finally {
      firstU.close();
      firstL?.close();
    }
    for (let i = 0; i < n; i++) classOf.set(i, original.get(classOf.get(i)));
    original.close();
    return classOf;
  }

  /**
   * Whether any record can be a copy of another: a copy is one whose original is in another post,
   * or in the same post on the other side of a quotation, so a corpus of one post whose records
   * are all quoted or all not has none (a paste) and its keys need not be hashed at all.
   */
  private duplicatesPossible(): boolean {
    if (this.posts > 1) return true;
    const n = this.observations;
    if (n === 0) return false;
    const quoted = this.obsFlags.get(0) & QUOTED;
    for (let i = 1; i < n; i++) if ((this.obsFlags.get(i) & QUOTED) !== quoted) return true;
    return false;
  }

  /** Writes the listwatch.analysis/1 document; the temp files are removed afterwards (and on error). */
  async writeJson(out: NodeJS.WritableStream): Promise<void> {
    try {
      const doc = this.finish();
      await writeJsonDocument(doc, out);
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    if (this.heapGrowthSet) {
      this.heapGrowthSet = false;
      // V8's own factor again (0: its default) once no other corpus holds it
      if (--heapGrowthHolders === 0) setFlagsFromString('--heap-growing-percent=0');
    }
    this.ids?.close();
    this.obsFlags?.close();
    this.obsReporter?.close();
    for (const file of this.finishFiles) file.close();
    this.postFile?.close();
    this.threadFile?.close();
    this.obsFile?.close();
    this.statements?.close();
    this.findingRecords?.close();
    this.keyFileU?.close();
    this.keyFileL?.close();
    this.endsFile?.close();
    this.groupMembers?.close();
    this.threads?.close();
    this.postFrom?.close();
    this.inReplyTo?.close();
    this.postFirst?.close();
    this.postIdsInTable?.close();
    this.threadKey?.close();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The corpus-wide steps of Corpus.finish on the index; the document's arrays are generators over the spill. */
  private finish(): { schema: typeof SCHEMA; posts: Iterable<Post>; observations: Iterable<Observation | RenderedBytes>; findings: Iterable<Finding>; errors: InputError[] } {
    this.obsFile.finishWrites();
    const postCount = this.postFrom.length;
    const manyPosts = postCount >= FORCED_GC_MIN_POSTS;
    const n = this.observations;
    // let go before the duplicates (the posts' thread names wait on disk)
    let threads = this.threads;

    // by position: the thread's key (threads.threadName gives its string, made when written)
    const threadKey: Int32Column = (this.threadKey = new PagedInt32Column(join(this.dir as string, 'thread-keys.bin')));
    for (let p = 0; p < postCount; p++) threadKey.push(threads.threadKeyAt(p));
    // the statements' threads as the thread index resolves them, into a second file with their
    // threads' numbers: the groups are given each post's thread as that number (-1: not asked)
    const resolved = new StatementFile(join(this.dir as string, 'statements-resolved.bin'));
    const askedNumber = new Map<string, number>();
    try {
      for (const s of this.statements) {
        const p = threads.indexOf(s.post);
        if (p !== undefined) s.thread = threads.threadName(threadKey.get(p));
        let number = askedNumber.get(s.thread);
        if (number === undefined) askedNumber.set(s.thread, (number = askedNumber.size));
        resolved.append(s, number);
      }
    } finally {
      this.statements.close();
      this.statements = resolved;
    }
    // quoted reporters: a name known from the corpus, or the author of the post replied to
    const reporter = this.obsReporter;
    // REPORTER_CHANGED for each record whose reporter the steps below change; a record changed by
    // both (to a party that inherits, then back) is compared with what it had, kept for those few
    const flags = this.obsFlags;
    const reporterBefore = new Map<number, number>();
    const setReporter = (i: number, party: number): void => {
      if (reporter.get(i) === party) return;
      reporter.set(i, party);
      flags.set(i, flags.get(i) | REPORTER_CHANGED);
    };
    const self = this;
    function* authors(): Generator<Party> {
      for (let p = 0; p < postCount; p++) yield self.parties[self.postFrom.get(p)] as Party;
    }
    const authorOf = (id: string): Party | undefined => {
      const p = threads.indexOf(id);
      return p === undefined ? undefined : (this.parties[this.postFrom.get(p)] as Party);
    };
    const parentOf = {
      get: (postId: string): string | undefined => {
        const p = threads.indexOf(postId);
        const parent = p === undefined ? -1 : this.inReplyTo.get(p);
        return parent < 0 ? undefined : threads.idString(parent);
      },
    };
    const reporterOf = quotedReporterResolverOf(authors(), authorOf, parentOf);
    const probe = { quoted: true, reporter: this.parties[0] as Party, post: '' };
    let probePost = -1;
    const quotedPosts = new PostOfObservation(this.postFirst, n);
    for (let i = 0; i < n; i++) {
      if ((this.obsFlags.get(i) & QUOTED) === 0) continue;
      probe.reporter = this.parties[reporter.get(i)] as Party;
      if (probe.reporter.address) continue;
      const p = quotedPosts.at(i);
      if (p !== probePost) {
        probePost = p;
        probe.post = threads.idAt(p);
      }
      const r = reporterOf(probe);
      if (!r) continue;
      const party = this.partyId(r);
      if (party !== reporter.get(i) && inheritsReporter(r)) reporterBefore.set(i, reporter.get(i));
      setReporter(i, party);
    }
    // what the posts' authors and parents were kept for is done
    this.inReplyTo.close();
    this.inReplyTo = new MemoryInt32Column();

    const acc = this.acc;
    // the groups note only the threads asked about, by number: the observations of every other
    // post go with -1, so the thread index need not outlive this
    const askedOfKey = new Map<number, number>();
    for (const [name, number] of askedNumber) for (const key of threads.threadKeysNamed(name)) askedOfKey.set(key, number);
    askedNumber.clear();
    // by position, the post's thread's number (-1: not asked), on disk
    const askedThread = this.finishFile('asked-thread.bin');
    // the posts' thread names wait on disk for the posts to be written, and the thread index (its
    // files and cached pages) goes before the duplicates' arrays are made
    for (let p = 0; p < postCount; p++) {
      const key = threadKey.get(p);
      askedThread.push(askedOfKey.get(key) ?? -1);
      this.threadFile.append(threads.threadName(key));
    }
    askedOfKey.clear();
    threadKey.close();
    this.threadKey = new MemoryInt32Column();
    const threadOf = (p: number): number => askedThread.get(p);
    threads.close();
    this.threads = threads = new ThreadIndex();
    // the adds left their promoted garbage, and the thread index is let go: collected before the duplicates' arrays are made
    if (manyPosts) collectGarbage();

    // duplicates (markDuplicates), then reporters inherited from the originals
    let duplicateOf: PagedInt32Column;
    if (this.duplicatesPossible()) {
      duplicateOf = this.duplicateClasses(n);
      const dupPosts = new PostOfObservation(this.postFirst, n);
      for (let i = 0; i < n; i++) {
        const orig = duplicateOf.get(i);
        const same = orig === i || (dupPosts.holds(dupPosts.at(i), orig) && (this.obsFlags.get(orig) & QUOTED) === (this.obsFlags.get(i) & QUOTED));
        duplicateOf.set(i, same ? -1 : orig);
      }
    } else {
      duplicateOf = this.finishFile('duplicate-of.bin');
      for (let i = 0; i < n; i++) duplicateOf.set(i, -1);
    }
    for (let i = 0; i < n; i++) {
      const orig = duplicateOf.get(i);
      if (orig >= 0 && inheritsReporter(this.parties[reporter.get(i)] as Party)) setReporter(i, reporter.get(orig));
    }

    this.keyFileU.close();
    this.keyFileL.close();
    const { flowOf, flows } = this.joins(duplicateOf, n);
    this.endsFile.close();

    const joinedAlerts = new Map<number, Observation>();
    function* postsOut(): Generator<Post> {
      let p = 0;
      const threadNames = self.threadFile.strings();
      for (const line of self.postFile.strings()) {
        const stored = self.postIdsInTable.get(p);
        const post = stored === POST_COMPACT ? expandPost(line) : (JSON.parse(line) as Post);
        post.thread = threadNames.next().value as string;
        post.from = self.parties[self.postFrom.get(p)] as Party;
        if (stored !== POST_AS_GIVEN) post.observations = self.postIdList(p, postCount, n);
        p++;
        yield post;
      }
      threadNames.return(undefined);
      // the posts are written: what is left needs only the thread keys
      self.postIdsInTable.close();
      self.postIdsInTable = new MemoryInt32Column();
      self.postFrom.close();
      self.postFrom = new MemoryInt32Column();
    }
    function* observationsOut(): Generator<Observation | RenderedBytes> {
      const parties = self.parties;
      const families = self.families;
      // one of each for all records: the loop allocates nothing per observation it passes through
      const rendered = new RenderedBytes(Buffer.alloc(0), 0, 0);
      const splicer = new ReporterSplicer();
      const outPosts = new PostOfObservation(self.postFirst, n);
      // the header and the time only, into one buffer (a Buffer per read was garbage of its own)
      const head = Buffer.allocUnsafe(HEADER + 255);
      const timeOfRecord = {
        timeOf: (ref: number): string | null => {
          self.obsFile.readHead(ref, head);
          const length = head[1] as number;
          return length === 0 ? null : head.toString('latin1', HEADER, HEADER + length);
        },
      };
      for (const rec of self.obsFile.records()) {
        const i = rec.index;
        const b = rec.bytes;
        const at = rec.start;
        const body = at + HEADER + (b[at + 1] as number);
        const rid = reporter.get(i);
        let sameReporter = (flags.get(i) & REPORTER_CHANGED) === 0 || reporterBefore.get(i) === rid;
        const orig = duplicateOf.get(i);
        const kind = b[at] as number;
        const flow = orig >= 0 ? undefined : flowOf.get(i);
        let text = b;
        let start = body;
        let end = rec.end;
        if (!sameReporter && flow === undefined && (orig >= 0 || kind !== GROUP_PARSE)) {
          // a reporter found for a quoted record: its rendered reporter object replaced in the bytes
          const spliced = splicer.splice(b, body, rec.end, self.parties[rid] as Party);
          if (spliced >= 0) {
            text = splicer.buf;
            start = 0;
            end = spliced;
            sameReporter = true;
          }
        }
        if (orig >= 0 && sameReporter) {
          // a copy takes no part in the groups: it only gains its duplicateOf, appended last
          yield new RenderedBytes(text, start, end - RENDERED_CLOSE.length, `,\n      "duplicateOf": ${JSON.stringify(self.ids.get(orig))}${RENDERED_CLOSE}`);
          continue;
        }
        if (sameReporter && flow === undefined && kind !== GROUP_PARSE) {
          // the common case: written out as stored, its group facts from the header
          if (kind === GROUP_QUAD) {
            const party = parties[rid] as Party;
            const familyId = b.readInt32LE(at + 16);
            const ms = b.readDoubleLE(at + 24);
            const actorQuad = b.readInt32LE(at + 8);
            acc.addQuadMember(
              b.readInt32LE(at + 4) * 65536 + (actorQuad >>> 16),
              b[at + 3] === 1 ? null : b.readInt32LE(at + 20),
              actorQuad,
              b[at + 2] === 1 ? null : b.readInt32LE(at + 12),
              party.org ?? party.address ?? null,
              familyId < 0 ? undefined : families[familyId],
              Number.isNaN(ms) ? null : ms,
              timeOfRecord,
              threadOf(outPosts.at(i)),
              i,
            );
          }
          rendered.bytes = text;
          rendered.start = start;
          rendered.end = end;
          rendered.tail = '';
          yield rendered;
          continue;
        }
        const o = JSON.parse(b.toString('utf8', body, rec.end)) as Observation;
        o.reporter = parties[rid] as Party;
        let changed = !sameReporter;
        if (orig >= 0) o.duplicateOf = self.ids.get(orig);
        else {
          if (flow !== undefined) {
            applyJoinInPlace(o, flows.get(flow) as Observation);
            changed = true;
            // a copy: the parsed one's strings are slices of a whole chunk of the file
            joinedAlerts.set(i, asParsed(o));
          }
          acc.add(o, threadOf(outPosts.at(i)), i);
        }
        yield changed ? o : new RenderedBytes(b, body, rec.end);
      }
      // the last post's observations, rendered by the document writer as they are yielded
      const pending = self.pending;
      const first = self.pendingFirst;
      // they are all the last post's: its thread asked once
      const pendingThread = pending.length > 0 ? threadOf(outPosts.at(first)) : -1;
      const joins = flowOf.size > 0;
      for (let k = 0; k < pending.length; k++) {
        const i = first + k;
        let o = pending[k] as Observation;
        o.reporter = parties[reporter.get(i)] as Party;
        const orig = duplicateOf.get(i);
        if (orig >= 0) {
          // appended last, as a stored copy gains it
          o.duplicateOf = self.ids.get(orig);
          yield o;
          continue;
        }
        const flow = joins ? flowOf.get(i) : undefined;
        if (flow !== undefined) {
          // as a stored one is joined: on what parsing its bytes gives
          o = asParsed(o);
          applyJoinInPlace(o, flows.get(flow) as Observation);
          joinedAlerts.set(i, asParsed(o));
        }
        acc.add(o, pendingThread, i);
        yield o;
      }
      self.pending = [];
      // the findings need only the ids, the record offsets (their times) and the groups
      duplicateOf.close();
      askedThread.close();
      self.obsReporter.close();
      self.postFirst.close();
      self.postFirst = new MemoryInt32Column();
      self.obsFlags.close();
    }
    function* findingsOut(): Generator<Finding> {
      if (manyPosts) collectGarbage();
      const sameTraffic: Finding[] = [];
      for (const [alert, flow] of flowOf) sameTraffic.push(sameTrafficFinding(joinedAlerts.get(alert) as Observation, flows.get(flow) as Observation));
      const records = (self.findingRecords = new FindingRecordFile(join(self.dir as string, 'finding-records.bin')));
      for (const pending of buildFindings(acc, self.statements, sameTraffic, records)) {
        const each = pending.forEachMember;
        if (each === null) {
          yield resolveFinding(pending, (i) => self.ids.get(i));
          continue;
        }
        // the ids written as they are read, in the place the key holds (a group may have 100,000 members)
        pending.finding.observations = new StreamedStrings((emit) => each((ref) => emit(self.ids.get(ref))), { table: self.ids, forEach: each }) as unknown as string[];
        yield pending.finding as Finding;
        pending.finding.observations = [];
      }
    }
    return { schema: SCHEMA, posts: postsOut(), observations: observationsOut(), findings: findingsOut(), errors: this.errors };
  }

  /** post p's observation ids, streamed from the id table (its observations are first..the next post's first) */
  private postIdList(p: number, postCount: number, n: number): string[] {
    const first = this.postFirst.get(p);
    const end = p + 1 < postCount ? this.postFirst.get(p + 1) : n;
    const ids = this.ids;
    const each = (emit: (i: number) => void): void => {
      for (let i = first; i < end; i++) emit(i);
    };
    return new StreamedStrings((emit) => each((i) => emit(ids.get(i))), { table: ids, forEach: each }) as unknown as string[];
  }

  /** an observation in the spill file, parsed back (see asParsed for one not yet written) */
  private storedObservation(i: number): Observation {
    const rec = this.obsFile.read(i);
    return JSON.parse(rec.toString('utf8', HEADER + (rec[1] as number))) as Observation;
  }

  /**
   * joinAlertsToFlows over the originals, on the few that can join: alerts and flows whose ends
   * hash (protocol and the two address:port ends, either orientation) occurs on the other side.
   * The rest cannot share a key with anything of the other kind. Read back from the spill.
   */
  private joins(duplicateOf: PagedInt32Column, n: number): { flowOf: Map<number, number>; flows: Map<number, Observation> } {
    // counted first: with no alerts or no flows among the originals, no ends are hashed or read
    let alertCount = 0;
    let flowCount = 0;
    for (let i = 0; i < n; i++) {
      if (duplicateOf.get(i) !== -1) continue;
      const f = this.obsFlags.get(i);
      if (f & ALERT) alertCount++;
      else if (f & FLOW) flowCount++;
    }
    if (alertCount === 0 || flowCount === 0) return { flowOf: new Map(), flows: new Map() };
    this.pendingEnds();
    // the ends are read from their file in order, a chunk at a time into one buffer, in both passes;
    // the originals' alert ends and flow ends go to files of their own, and the hashes found in
    // both are worked out from those a part at a time (not a set of every alert's and flow's end)
    const read = new Int32Array(ENDS_READ);
    const dir = this.dir as string;
    // dispose knows neither file: both are closed when anything below throws (a write to a full disk)
    const alertEnds = new Int32File(join(dir, 'alert-ends.bin'));
    let flowEnds: Int32File | undefined;
    let i = 0;
    let both: Int32Array;
    try {
      flowEnds = new Int32File(join(dir, 'flow-ends.bin'));
      for (const ends of this.endsFile.chunks(ENDS_READ, read)) {
        for (let k = 0; k < ends.length; k++, i++) {
          if (duplicateOf.get(i) !== -1) continue;
          const f = this.obsFlags.get(i);
          if (f & ALERT) alertEnds.append(ends.subarray(k, k + 1), 1);
          else if (f & FLOW) flowEnds.append(ends.subarray(k, k + 1), 1);
        }
      }
      both = valuesInBoth(alertEnds, flowEnds);
    } finally {
      alertEnds.close();
      flowEnds?.close();
    }
    const alerts: number[] = [];
    const flowIdx: number[] = [];
    i = 0;
    if (both.length > 0) {
      for (const ends of this.endsFile.chunks(ENDS_READ, read)) {
        for (let k = 0; k < ends.length; k++, i++) {
          if (duplicateOf.get(i) !== -1) continue;
          const f = this.obsFlags.get(i);
          if (f & ALERT && contains(both, ends[k] as number)) alerts.push(i);
          else if (f & FLOW && contains(both, ends[k] as number)) flowIdx.push(i);
        }
      }
    }
    const flowOf = new Map<number, number>();
    const flows = new Map<number, Observation>();
    if (alerts.length === 0 || flowIdx.length === 0) return { flowOf, flows };

    const load = (i: number): Observation => {
      const o = i >= this.pendingFirst ? asParsed(this.pending[i - this.pendingFirst] as Observation) : this.storedObservation(i);
      o.reporter = this.parties[this.obsReporter.get(i)] as Party;
      return o;
    };
    // flows in corpus order, then the alerts a chunk at a time (each alert's join depends only on the flows)
    const flowObs = flowIdx.map(load);
    const indexOfId = new Map<string, number>();
    flowIdx.forEach((i, k) => indexOfId.set((flowObs[k] as Observation).id, i));
    const wanted = new Set<number>();
    for (let c = 0; c < alerts.length; c += this.joinChunk) {
      const chunk = alerts.slice(c, c + this.joinChunk);
      const alertObs = chunk.map(load);
      const alertIndex = new Map<string, number>();
      chunk.forEach((i, k) => alertIndex.set((alertObs[k] as Observation).id, i));
      for (const j of joinAlertsToFlows([...flowObs, ...alertObs])) {
        const a = alertIndex.get(j.alert);
        const f = indexOfId.get(j.flow);
        if (a === undefined || f === undefined) continue;
        flowOf.set(a, f);
        wanted.add(f);
      }
    }
    flowIdx.forEach((i, k) => {
      if (wanted.has(i)) flows.set(i, flowObs[k] as Observation);
    });
    return { flowOf, flows };
  }
}

/** a post stored as its JSON, its observation ids in it */
const POST_AS_GIVEN = 0;
/** a post stored as its JSON without its observation ids: they are those of its observations in order, written from the id table */
const POST_IDS_IN_TABLE = 1;
/** POST_IDS_IN_TABLE, and the post has analyzePost's keys (POST_KEYS): stored as compactPost's array */
const POST_COMPACT = 2;

/** a post's keys in the order analyzePost makes them; `archivedAt` may follow */
const POST_KEYS = ['id', 'thread', 'subject', 'date', 'from', 'observations'];

/**
 * A post with POST_KEYS (and perhaps archivedAt) whose id, subject, date and archivedAt are strings
 * or null, as the JSON of [id, subject, date, archivedAt?]: its thread, author and ids are set
 * anew when it is written, so only these are kept (stringifying the whole post and parsing it back
 * cost ~13 µs a post). Null for any other post (stored whole).
 */
function compactPost(post: Post): string | null {
  const keys = Object.keys(post);
  const n = keys.length;
  if (n !== POST_KEYS.length && !(n === POST_KEYS.length + 1 && keys[n - 1] === 'archivedAt')) return null;
  for (let k = 0; k < POST_KEYS.length; k++) if (keys[k] !== POST_KEYS[k]) return null;
  const { id, subject, date } = post;
  if (typeof id !== 'string' || !(subject === null || typeof subject === 'string') || !(date === null || typeof date === 'string')) return null;
  if (n === POST_KEYS.length) return JSON.stringify([id, subject, date]);
  const archivedAt = post.archivedAt as unknown;
  return typeof archivedAt === 'string' ? JSON.stringify([id, subject, date, archivedAt]) : null;
}

/** The post compactPost stored, its keys in their order; thread, from and observations to be set. */
function expandPost(line: string): Post {
  const [id, subject, date, archivedAt] = JSON.parse(line) as [string, string | null, string | null, string | undefined];
  const post: Post = { id, thread: '', subject, date, from: EMPTY_PARTY, observations: [] };
  if (archivedAt !== undefined) post.archivedAt = archivedAt;
  return post;
}

const EMPTY_PARTY: Party = { name: null, address: null, org: null };

/** how a rendered observation's reporter starts: a key of the element itself (nested keys are indented further) */
const REPORTER_KEY = Buffer.from('\n      "reporter": {\n');
/** how it ends: the first line at the element's field indent that closes an object (a JSON string holds no raw newline) */
const FIELD_CLOSE = Buffer.from('\n      }');

/**
 * A rendered observation with another reporter, from the bytes: what rendering the observation
 * with that reporter gives, without parsing it back. The reporter is rendered once per party.
 */
class ReporterSplicer {
  buf: Buffer = Buffer.allocUnsafe(1 << 14);
  private readonly renderedParty = new Map<Party, Buffer>();

  /** the new bytes' length in buf, or -1 when the reporter is not a non-empty object where it is looked for */
  splice(b: Buffer, start: number, end: number, party: Party): number {
    const key = b.indexOf(REPORTER_KEY, start);
    if (key < 0 || key >= end) return -1;
    const open = key + REPORTER_KEY.length - 2;
    const close = b.indexOf(FIELD_CLOSE, open);
    if (close < 0 || close + FIELD_CLOSE.length > end) return -1;
    let value = this.renderedParty.get(party);
    if (value === undefined) {
      // the party as the value of an element's field: renderElement's layout one level in
      const whole = renderElement({ reporter: party });
      value = Buffer.from(whole.slice(whole.indexOf(': ') + 2, whole.length - RENDERED_CLOSE.length));
      this.renderedParty.set(party, value);
    }
    const before = open - start;
    const after = end - (close + FIELD_CLOSE.length);
    const length = before + value.length + after;
    if (length > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(length, this.buf.length * 2));
    b.copy(this.buf, 0, start, open);
    value.copy(this.buf, before);
    b.copy(this.buf, before + value.length, close + FIELD_CLOSE.length, end);
    return length;
  }
}

/** endpointKey's protocol and two ends (either orientation) hashed, without the key strings: equal keys, equal hashes. */
/** What parsing an observation's stored bytes gives: a deep copy without the keys whose values are undefined. */
function asParsed(o: Observation): Observation {
  return JSON.parse(JSON.stringify(o)) as Observation;
}

function endsHash(o: Observation): number {
  const a = endHash(o.src as string, o.sport);
  const b = endHash(o.dst as string, o.dport);
  // a sum does not depend on the orientation
  return (lowerHash32(o.proto ?? '', 0x1b873593) ^ Math.imul((a + b) | 0, 0x9e3779b1)) | 0;
}

/** the address lower-cased, ':' and the port as a template literal writes them */
function endHash(addr: string, port: number | null): number {
  let h = lowerHash32(addr, 0x2545f491);
  h = Math.imul(h ^ 58, 2654435761);
  const p = port === null ? '' : String(port);
  for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 2654435761);
  return Math.imul(h ^ (h >>> 16), 2246822507) ^ (h >>> 13);
}

/** a hash of s.toLowerCase(): ASCII lower-cased here, anything else by toLowerCase */
function lowerHash32(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x80) return lowerHash32Of(s.toLowerCase(), seed);
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 2654435761);
  }
  return h;
}

function lowerHash32Of(lower: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < lower.length; i++) h = Math.imul(h ^ lower.charCodeAt(i), 2654435761);
  return h;
}

/** short enough for the header's length byte, and one byte a character */
function isShortAscii(s: string): boolean {
  if (s.length > 255) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Below this many posts the full collections are skipped: the garbage they are for is what many
 * adds leave behind, while a corpus of a few large posts (a paste) holds mostly what is still in
 * use, and a full collection of such a heap cost ~0.1 s of the 100,000-line argus paste's ~1.4 s.
 */
const FORCED_GC_MIN_POSTS = 1000;

let fullGc: (() => void) | null | undefined;

/**
 * A full collection where the heap holds the most garbage: when all posts are added (the adds
 * leave ~50 MB of promoted dead objects at 100,000 posts, and the duplicate-key table goes) and
 * before the findings are built. V8 lets the old generation grow ~1.5-2x past the live heap before
 * collecting on its own, and that growth made the peak RSS (100,000 posts: ~313 -> ~243 MB, with
 * two more collections between the phases ~237 MB for +0.3 s CPU; each ~30 ms). No-op where gc
 * cannot be exposed.
 */
function collectGarbage(): void {
  if (fullGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      fullGc = runInNewContext('gc') as () => void;
    } catch {
      fullGc = null;
    }
    if (typeof fullGc !== 'function') fullGc = null;
  }
  fullGc?.();
}

/**
 * V8's old-generation growing factor (1 + this/100) once a corpus has many posts (from
 * FORCED_GC_MIN_POSTS; a paste's few posts keep V8's own). After each full collection V8 lets the
 * old generation grow to the live heap times a factor it picks from how fast its collections are
 * (up to 4 for a small heap), plus the young generation's size: while 100,000 posts were added it
 * reached ~50 MB over ~17 MB live, the peak RSS. At 20%: 100,000 posts 200 -> 178 MB peak RSS for
 * ~0.3 s more CPU (collections forced whenever the old generation grew 12 MB gave the same peak
 * for ~1.3 s). Set at run time, as the collections below expose gc.
 */
const HEAP_GROWING_PERCENT = 20;

/** how many live corpora hold HEAP_GROWING_PERCENT set */
let heapGrowthHolders = 0;

/** Whether this process's corpora hold V8's heap growing factor set now (tests). */
export function heapGrowthHeld(): boolean {
  return heapGrowthHolders > 0;
}

/** node started with its own --heap-growing-percent (argv or NODE_OPTIONS): that one is left alone */
function heapGrowingFromCommandLine(): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'));
}

function contains(sorted: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === v;
}
