// The spilling corpus's group members on disk (correlate's GroupMembers): each member is appended
// to a file as the observations are written out (20 bytes: group and kind, reference, actor,
// target, reporter), and read back by group when the findings are built: first distributed into runs of
// whole groups (a group's members together, ~1/RUNS of them a run, at least MIN_RUN), then each run sorted by group
// in memory as buildFindings counts the groups' addresses in order, the references written to a
// second file in group order for the findings' observation lists. On the heap: 12 bytes a group
// and one run's arrays, not 17 bytes a member and a set of reporters a group.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { ACTOR_QUAD, TARGET_QUAD, type GroupMembers } from '../correlate/correlate.js';
import { Int32List } from '../correlate/typed-lists.js';

/** int32s a member takes in the files: (group << 3 | kind), reference, actor, target, org */
const WORDS = 5;
/** members appended, or read back, at once */
const CHUNK = 1 << 14;
/**
 * Members of a run sorted at once: at least MIN_RUN, else a RUNS-th of them all (a group with more
 * is a run of its own). A run's arrays (~33 bytes a member) are made when the findings are built,
 * where the process's peak is: ~1 MB up to ~1M members, a RUNS-th past that.
 */
const MIN_RUN = 1 << 15;
const RUNS = 64;
/** members written at once per run when the members are distributed (10 KB a run) */
const RUN_WRITE = 1 << 9;
/** the group number must leave room for the kind's three bits */
const MAX_GROUPS = 1 << 28;

export class GroupMembersFile implements GroupMembers {
  private readonly fd: number;
  private readonly runsFd: number;
  private readonly refsFd: number;
  private buf = new Int32Array(CHUNK * WORDS);
  private used = 0;
  private total = 0;
  /** by group: its members */
  private readonly counts = new Int32List();
  /** by group: where its references start in the references file (in members); made when the runs are */
  private starts = new Int32Array(0);
  /** the runs: runFirst[r] is the first group of run r (and runFirst[runs] the number of groups) */
  private runFirst: number[] = [];
  /** the run sorted last (-1: none yet), its members by group and each group's start in them */
  private run = -1;
  private runActors = new Uint32Array(0);
  private runTargets = new Uint32Array(0);
  private runKinds = new Uint8Array(0);
  private runOrgs = new Int32Array(0);
  private readonly readOut = { actors: new Uint32Array(0), targets: new Uint32Array(0), orgs: new Uint32Array(0) };
  /** references of the runs sorted so far are in the references file */
  private refsWritten = 0;
  private released = false;

  /** files: the members as added, the members distributed into runs, the references by group */
  /** bucket: members of a run sorted at once (default: see MIN_RUN; tests make it small) */
  constructor(
    readonly paths: { members: string; runs: string; refs: string },
    private readonly bucket?: number,
  ) {
    this.fd = openSync(paths.members, 'w+');
    // a later open that throws: the caller never gets this object to close the earlier ones
    try {
      this.runsFd = openSync(paths.runs, 'w+');
      try {
        this.refsFd = openSync(paths.refs, 'w+');
      } catch (err) {
        closeSync(this.runsFd);
        throw err;
      }
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  push(group: number, ref: number, actorQuad: number, targetQuad: number, kind: number, org: number): void {
    if (this.distributed) throw new Error('GroupMembersFile: a member added after the groups were read');
    if (group >= MAX_GROUPS) throw new Error(`GroupMembersFile: more than ${MAX_GROUPS} groups`);
    const counts = this.counts;
    while (counts.length <= group) counts.push(0);
    counts.set(group, counts.get(group) + 1);
    const b = this.buf;
    let at = this.used * WORDS;
    b[at++] = (group << 3) | kind;
    b[at++] = ref;
    b[at++] = actorQuad;
    b[at++] = targetQuad;
    b[at] = org;
    if (++this.used === CHUNK) this.flush();
    this.total++;
  }

  private flush(): void {
    writeInts(this.fd, this.buf, this.used * WORDS, -1);
    this.used = 0;
  }

  readGroup(group: number, count: number): { actors: Uint32Array; targets: Uint32Array; orgs: Uint32Array } {
    if (this.released) throw new Error('GroupMembersFile: a group read after they were released');
    if (!this.distributed) this.distribute();
    if (group < 0 || group >= this.counts.length || count !== this.counts.get(group)) throw new Error(`GroupMembersFile: no group ${group} of ${count} members`);
    while (this.run < 0 || group >= (this.runFirst[this.run + 1] as number)) this.sortRun(this.run + 1);
    if (group < (this.runFirst[this.run] as number)) throw new Error(`GroupMembersFile: group ${group} asked after a later one`);
    const out = this.readOut;
    if (this.streamed !== null) return { actors: out.actors.subarray(0, this.streamed.actors), targets: out.targets.subarray(0, this.streamed.targets), orgs: out.orgs.subarray(0, this.streamed.orgs) };
    const from = (this.starts[group] as number) - (this.starts[this.runFirst[this.run] as number] as number);
    this.readRoom(count);
    let na = 0;
    let nt = 0;
    let no = 0;
    for (let k = from; k < from + count; k++) {
      const kind = this.runKinds[k] as number;
      if (kind & ACTOR_QUAD) out.actors[na++] = this.runActors[k] as number;
      if (kind & TARGET_QUAD) out.targets[nt++] = this.runTargets[k] as number;
      const org = this.runOrgs[k] as number;
      if (org >= 0) out.orgs[no++] = org;
    }
    return { actors: out.actors.subarray(0, na), targets: out.targets.subarray(0, nt), orgs: out.orgs.subarray(0, no) };
  }

  releaseAddresses(): void {
    if (!this.distributed) this.distribute();
    // the references of runs not read yet (groups buildFindings did not ask about) still go to their file
    while (this.run + 1 < this.runFirst.length - 1) this.sortRun(this.run + 1, false);
    this.released = true;
    this.streamed = null;
    this.runActors = new Uint32Array(0);
    this.runTargets = new Uint32Array(0);
    this.runKinds = new Uint8Array(0);
    this.runOrgs = new Int32Array(0);
    this.runRaw = new Int32Array(0);
    this.runRefs = new Int32Array(0);
    this.readOut.actors = new Uint32Array(0);
    this.readOut.targets = new Uint32Array(0);
    this.readOut.orgs = new Uint32Array(0);
  }

  forEachRef(group: number, visit: (ref: number) => void): void {
    if (!this.released) this.releaseAddresses();
    if (group >= this.counts.length) return;
    const chunk = new Int32Array(Math.min(CHUNK, this.counts.get(group)));
    let at = this.starts[group] as number;
    let left = this.counts.get(group);
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      readInts(this.refsFd, chunk, n, at * 4);
      for (let k = 0; k < n; k++) visit(chunk[k] as number);
      at += n;
      left -= n;
    }
  }

  /**
   * The members as added, distributed into runs of whole groups (in group order, ~BUCKET members
   * a run) in the runs file, each run in its place: a run is then read and sorted alone.
   */
  private distribute(): void {
    this.flush();
    this.buf = new Int32Array(0);
    const groups = this.counts.length;
    this.starts = new Int32Array(groups + 1);
    const runOf = new Int32Array(groups);
    const runFirst: number[] = [];
    const bucket = this.bucket ?? Math.max(MIN_RUN, Math.ceil(this.total / RUNS));
    let inRun = bucket;
    let at = 0;
    for (let g = 0; g < groups; g++) {
      const c = this.counts.get(g);
      if (inRun > 0 && inRun + c > bucket) {
        runFirst.push(g);
        inRun = 0;
      }
      inRun += c;
      runOf[g] = runFirst.length - 1;
      this.starts[g] = at;
      at += c;
    }
    this.starts[groups] = at;
    runFirst.push(groups);
    this.runFirst = runFirst;
    const runs = runFirst.length - 1;
    if (runs > 1) {
      // each run's write position (in members) and its pending members
      const next = new Float64Array(runs);
      for (let r = 0; r < runs; r++) next[r] = this.starts[runFirst[r] as number] as number;
      const pending = Array.from({ length: runs }, () => new Int32Array(RUN_WRITE * WORDS));
      const pendingUsed = new Int32Array(runs);
      const flushRun = (r: number): void => {
        const n = pendingUsed[r] as number;
        writeInts(this.runsFd, pending[r] as Int32Array, n * WORDS, (next[r] as number) * WORDS * 4);
        next[r] = (next[r] as number) + n;
        pendingUsed[r] = 0;
      };
      const read = new Int32Array(CHUNK * WORDS);
      for (let done = 0; done < this.total; ) {
        const n = Math.min(CHUNK, this.total - done);
        readInts(this.fd, read, n * WORDS, done * WORDS * 4);
        for (let k = 0; k < n * WORDS; k += WORDS) {
          const r = runOf[(read[k] as number) >>> 3] as number;
          const p = pending[r] as Int32Array;
          const u = pendingUsed[r] as number;
          // the member's WORDS words copied one by one (a subarray per member to set from cost ~0.15 µs)
          const o = u * WORDS;
          p[o] = read[k] as number;
          p[o + 1] = read[k + 1] as number;
          p[o + 2] = read[k + 2] as number;
          p[o + 3] = read[k + 3] as number;
          p[o + 4] = read[k + 4] as number;
          if ((pendingUsed[r] = u + 1) === RUN_WRITE) flushRun(r);
        }
        done += n;
      }
      for (let r = 0; r < runs; r++) flushRun(r);
    }
    this.distributed = true;
  }

  /** the members are in the runs file (no more can be added) */
  private distributed = false;
  /** one run's members as read and its references sorted (kept for the next run) */
  private runRaw = new Int32Array(0);
  private runRefs = new Int32Array(0);

  /** a run of one group read straight into the read arrays (streamGroupRun): how many of each it gave; null for a sorted run */
  private streamed: { actors: number; targets: number; orgs: number } | null = null;

  /**
   * Run r read (from the members file when it is the only run), sorted by group (stable), its
   * references appended to the references file. forRead: its groups' addresses are read next.
   */
  private sortRun(r: number, forRead = true): void {
    const g0 = this.runFirst[r] as number;
    const g1 = this.runFirst[r + 1] as number;
    const base = this.starts[g0] as number;
    const n = (this.starts[g1] as number) - base;
    this.streamed = null;
    if (g1 - g0 === 1 && n > CHUNK) {
      this.streamGroupRun(r, base, n, forRead);
      return;
    }
    if (this.runRaw.length < n * WORDS) this.runRaw = new Int32Array(n * WORDS);
    const raw = this.runRaw;
    readInts(this.runFirst.length === 2 ? this.fd : this.runsFd, raw, n * WORDS, base * WORDS * 4);
    if (this.runActors.length < n) {
      this.runActors = new Uint32Array(n);
      this.runTargets = new Uint32Array(n);
      this.runKinds = new Uint8Array(n);
      this.runOrgs = new Int32Array(n);
      this.runRefs = new Int32Array(n);
    }
    const refs = this.runRefs;
    // each group's next place in the run
    const place = new Int32Array(g1 - g0);
    for (let g = g0; g < g1; g++) place[g - g0] = (this.starts[g] as number) - base;
    for (let k = 0; k < n * WORDS; k += WORDS) {
      const head = raw[k] as number;
      const at = (place[(head >>> 3) - g0] as number)++;
      this.runKinds[at] = head & 7;
      refs[at] = raw[k + 1] as number;
      this.runActors[at] = (raw[k + 2] as number) >>> 0;
      this.runTargets[at] = (raw[k + 3] as number) >>> 0;
      this.runOrgs[at] = raw[k + 4] as number;
    }
    writeInts(this.refsFd, refs, n, this.refsWritten * 4);
    this.refsWritten += n;
    this.run = r;
  }

  /** The read arrays with room for n members (grown, never shrunk, until released). */
  private readRoom(n: number): void {
    const out = this.readOut;
    if (out.actors.length >= n) return;
    out.actors = new Uint32Array(n);
    out.targets = new Uint32Array(n);
    out.orgs = new Uint32Array(n);
  }

  /**
   * A run of one group (one larger than a run): its members are in order already, so they are read
   * a chunk at a time, the addresses and reporters straight into the read arrays (when forRead) and
   * the references to their file, not held as read and again sorted (~37 bytes a member more).
   */
  private streamGroupRun(r: number, base: number, n: number, forRead: boolean): void {
    const fd = this.runFirst.length === 2 ? this.fd : this.runsFd;
    const chunk = new Int32Array(Math.min(CHUNK, n) * WORDS);
    const refs = new Int32Array(Math.min(CHUNK, n));
    const out = this.readOut;
    if (forRead) this.readRoom(n);
    let na = 0;
    let nt = 0;
    let no = 0;
    for (let done = 0; done < n; ) {
      const m = Math.min(refs.length, n - done);
      readInts(fd, chunk, m * WORDS, (base + done) * WORDS * 4);
      for (let k = 0, w = 0; k < m; k++, w += WORDS) {
        refs[k] = chunk[w + 1] as number;
        if (!forRead) continue;
        const kind = (chunk[w] as number) & 7;
        if (kind & ACTOR_QUAD) out.actors[na++] = (chunk[w + 2] as number) >>> 0;
        if (kind & TARGET_QUAD) out.targets[nt++] = (chunk[w + 3] as number) >>> 0;
        const org = chunk[w + 4] as number;
        if (org >= 0) out.orgs[no++] = org;
      }
      writeInts(this.refsFd, refs, m, (this.refsWritten + done) * 4);
      done += m;
    }
    this.refsWritten += n;
    this.run = r;
    if (forRead) this.streamed = { actors: na, targets: nt, orgs: no };
  }

  close(): void {
    for (const fd of [this.fd, this.runsFd, this.refsFd]) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

function writeInts(fd: number, v: Int32Array, length: number, position: number): void {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, length * 4);
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position < 0 ? null : position + off);
}

function readInts(fd: number, into: Int32Array, length: number, position: number): void {
  const bytes = new Uint8Array(into.buffer, into.byteOffset, length * 4);
  let got = 0;
  while (got < bytes.length) {
    const n = readSync(fd, bytes, got, bytes.length - got, position + got);
    if (n === 0) throw new Error('group members file is shorter than written');
    got += n;
  }
}
