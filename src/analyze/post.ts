import type { Observation, Party, Post } from '../contract.js';
import { classifyRecord, type Classification } from '../classify/classify.js';
import { classifyPacketConversations } from '../classify/conversation.js';
import { findQuestions, findStatements } from '../correlate/corroboration.js';
import { acceptedInLineOrder, extractRecords, extractRecordsArgusTo, type ExtractionProblem } from '../extract/index.js';
import type { ExtractedRecord } from '../extract/types.js';
import type { BodyBlock, MailPost } from '../mail/types.js';
import type { PostAnalysis } from './types.js';
import { idOfText, putNumber, putOptional, putStart, putString, putValue, stableIdOfText, textBuffer } from './ids.js';
import { postClock, resolveRecordTime, type PostClock } from './time.js';

const UNKNOWN_PARTY: Party = { name: null, address: null, org: null };

/** What identifies a record's content, independent of where it was quoted. */
export function recordKey(rec: ExtractedRecord): string {
  // the fields joined by '|' as [...].join('|') would (null and undefined as ''), with + : join
  // converts its numbers on a slow path, and the key is only hashed (which flattens it)
  const t = rec.time;
  return (rec.source ?? '') + '|' + (rec.format ?? '') + '|' + (rec.proto ?? '') + '|' + (rec.src ?? '') + '|' + (rec.sport ?? '')
    + '|' + (rec.dir ?? '') + '|' + (rec.dst ?? '') + '|' + (rec.dport ?? '') + '|' + (rec.srcPkts ?? '') + '|' + (rec.dstPkts ?? '')
    + '|' + (rec.srcBytes ?? '') + '|' + (rec.dstBytes ?? '') + '|' + (rec.srcFlags ?? '') + '|' + (rec.dstFlags ?? '')
    + '|' + (rec.state ?? '') + '|' + (rec.signature?.id ?? '') + '|'
    + (t ? `${t.year ?? ''}/${t.month ?? ''}/${t.day ?? ''} ${t.hour}:${t.minute}:${t.second}.${t.fraction ?? ''}@${t.epoch ?? ''}` : '');
}

function reporterOf(block: BodyBlock, mail: MailPost): Party {
  if (block.kind === 'quoted') return block.author ?? UNKNOWN_PARTY;
  return mail.from;
}

/** Where an observation stands and who reported it: what the record itself cannot say. */
export interface ObservationPlace {
  id: string;
  post: string;
  reporter: Party;
  quoted: boolean;
  /** 1-based line in the post's text body */
  line: number;
  time: string | null;
}

/** A classified record placed in its post: the contract's Observation. */
export function buildObservation(rec: ExtractedRecord, c: Classification, place: ObservationPlace): Observation {
  // every field spelled out, no `...place`: a spread followed by 20 more fields leaves V8 with
  // slow (dictionary-mode) objects, ~3x the memory and time per observation (bench/README.md).
  // The usual shapes (a flow record with totals only, an alert with or without its payload) are
  // literals with their optional fields in place: a field added to a finished literal goes to a
  // second, out-of-object store, which every observation of that shape would carry.
  const totalsOnly = rec.totalsOnly === true;
  if (!c.family) {
    if (totalsOnly && !rec.signature && !rec.payload) {
      return {
        id: place.id, post: place.post, reporter: place.reporter, quoted: place.quoted, line: place.line, time: place.time,
        source: rec.source, format: rec.format, proto: rec.proto, src: rec.src, sport: rec.sport, dst: rec.dst, dport: rec.dport, dir: rec.dir,
        srcPkts: rec.srcPkts, dstPkts: rec.dstPkts, srcBytes: rec.srcBytes, dstBytes: rec.dstBytes, srcFlags: rec.srcFlags, dstFlags: rec.dstFlags,
        state: rec.state, class: c.class, actor: c.actor, target: c.target, evidence: c.evidence,
        totalsOnly: true,
      };
    }
    if (!totalsOnly && rec.signature && !rec.payload) {
      return {
        id: place.id, post: place.post, reporter: place.reporter, quoted: place.quoted, line: place.line, time: place.time,
        source: rec.source, format: rec.format, proto: rec.proto, src: rec.src, sport: rec.sport, dst: rec.dst, dport: rec.dport, dir: rec.dir,
        srcPkts: rec.srcPkts, dstPkts: rec.dstPkts, srcBytes: rec.srcBytes, dstBytes: rec.dstBytes, srcFlags: rec.srcFlags, dstFlags: rec.dstFlags,
        state: rec.state, class: c.class, actor: c.actor, target: c.target, evidence: c.evidence,
        signature: rec.signature,
      };
    }
    if (!totalsOnly && rec.signature && rec.payload) {
      return {
        id: place.id, post: place.post, reporter: place.reporter, quoted: place.quoted, line: place.line, time: place.time,
        source: rec.source, format: rec.format, proto: rec.proto, src: rec.src, sport: rec.sport, dst: rec.dst, dport: rec.dport, dir: rec.dir,
        srcPkts: rec.srcPkts, dstPkts: rec.dstPkts, srcBytes: rec.srcBytes, dstBytes: rec.dstBytes, srcFlags: rec.srcFlags, dstFlags: rec.dstFlags,
        state: rec.state, class: c.class, actor: c.actor, target: c.target, evidence: c.evidence,
        signature: rec.signature, payload: rec.payload,
      };
    }
  }
  const obs: Observation = {
    id: place.id,
    post: place.post,
    reporter: place.reporter,
    quoted: place.quoted,
    line: place.line,
    time: place.time,
    source: rec.source,
    format: rec.format,
    proto: rec.proto,
    src: rec.src,
    sport: rec.sport,
    dst: rec.dst,
    dport: rec.dport,
    dir: rec.dir,
    srcPkts: rec.srcPkts,
    dstPkts: rec.dstPkts,
    srcBytes: rec.srcBytes,
    dstBytes: rec.dstBytes,
    srcFlags: rec.srcFlags,
    dstFlags: rec.dstFlags,
    state: rec.state,
    class: c.class,
    actor: c.actor,
    target: c.target,
    evidence: c.evidence,
  };
  if (totalsOnly) obs.totalsOnly = true;
  if (rec.signature) obs.signature = rec.signature;
  if (rec.payload) obs.payload = rec.payload;
  if (c.family) obs.family = c.family;
  return obs;
}

const BAR = 124;
const NUL = 0;

/**
 * stableIdOfText('obs', `${mailId ?? ''}\0${line}\0${recordKey(rec)}\0`): the same bytes written
 * straight into ids.ts's buffer (no string of ~45 pieces to flatten and encode), the string built
 * only when a piece is not ASCII.
 */
export function observationId(mailId: string | null, line: number, rec: ExtractedRecord): string {
  const b = textBuffer;
  let at = putStart(mailId ?? '');
  b[at++] = NUL;
  at = putNumber(line, at); b[at++] = NUL;
  // each field's usual type tested here, so a null field costs no call (most records have several)
  let v: unknown = rec.source;
  if (typeof v === 'string') at = putString(v, at); else at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.format;
  if (typeof v === 'string') at = putString(v, at); else at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.proto;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.src;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.sport;
  if (typeof v === 'number') at = putNumber(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.dir;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.dst;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.dport;
  if (typeof v === 'number') at = putNumber(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.srcPkts;
  if (typeof v === 'number') at = putNumber(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.dstPkts;
  if (typeof v === 'number') at = putNumber(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.srcBytes;
  if (typeof v === 'number') at = putNumber(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.dstBytes;
  if (typeof v === 'number') at = putNumber(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.srcFlags;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.dstFlags;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  v = rec.state;
  if (typeof v === 'string') at = putString(v, at); else if (v !== null) at = putOptional(v, at);
  b[at++] = BAR;
  if (rec.signature !== undefined) at = putOptional(rec.signature?.id, at);
  b[at++] = BAR;
  const t = rec.time;
  if (t) {
    // `${t.year ?? ''}/${t.month ?? ''}/${t.day ?? ''} ${t.hour}:${t.minute}:${t.second}.${t.fraction ?? ''}@${t.epoch ?? ''}`
    if (t.year !== undefined) at = putOptional(t.year, at);
    b[at++] = 47;
    if (t.month !== undefined) at = putOptional(t.month, at);
    b[at++] = 47;
    if (t.day !== undefined) at = putOptional(t.day, at);
    b[at++] = 32;
    at = putValue(t.hour, at); b[at++] = 58;
    at = putValue(t.minute, at); b[at++] = 58;
    at = putValue(t.second, at); b[at++] = 46;
    v = t.fraction;
    if (typeof v === 'string') at = putString(v, at); else if (v !== undefined) at = putOptional(v, at);
    b[at++] = 64;
    if (t.epoch !== undefined) at = putOptional(t.epoch, at);
  }
  b[at++] = NUL;
  return (at >= 0 ? idOfText('obs', at) : null) ?? observationIdOfText(mailId, line, rec);
}

/** observationId with its text built as a string (the general path, and what observationId is held to). */
export function observationIdOfText(mailId: string | null, line: number, rec: ExtractedRecord): string {
  return stableIdOfText('obs', (mailId ?? '') + '\u0000' + line + '\u0000' + recordKey(rec) + '\u0000');
}

function toObservation(rec: ExtractedRecord, c: Classification, block: BodyBlock, mail: MailPost, clock: PostClock): Observation {
  const line = block.startLine + rec.line;
  const time = resolveRecordTime(rec.time, clock);
  return buildObservation(rec, c, {
    // stableId('obs', mail.id, line, recordKey(rec)); observationId and resolveRecordTime return
    // flat strings already (no ownCopy)
    id: observationId(mail.id, line, rec),
    post: mail.id,
    reporter: reporterOf(block, mail),
    quoted: block.kind === 'quoted',
    line,
    time,
  });
}

/** argus records made observations as they are read (off: every block through extractRecords, as its tests compare) */
const argusStreaming = { on: true };

/** Runs fn with every block's records taken from extractRecords first (tests). */
export function withoutArgusStreaming<T>(fn: () => T): T {
  const was = argusStreaming.on;
  argusStreaming.on = false;
  try {
    return fn();
  } finally {
    argusStreaming.on = was;
  }
}

/**
 * Everything one post says on its own: its records as classified observations (attributed to the
 * person quoted where they stand in a quotation), and its prose statements and questions.
 * Pure: the corpus (analyze/thread.ts) adds what needs other posts (duplicates, joins, findings).
 */
export function analyzePost(mail: MailPost, thread: string): PostAnalysis {
  const clock = postClock(mail.date, mail.offsetMinutes);
  const observations: Observation[] = [];
  // An id is the hash of the post, the line and the record: records in increasing line order (as
  // segmentBody's blocks and extractRecords give them) cannot repeat one. Only out of that order
  // are ids checked against the ones before (a Set of 100,000 fresh strings cost ~40 ms a paste).
  let lastLine = -Infinity;
  let seen: Set<string> | null = null;
  const keep = (obs: Observation): void => {
    if (seen === null && obs.line > lastLine) {
      lastLine = obs.line;
    } else {
      seen ??= new Set(observations.map((o) => o.id));
      if (seen.has(obs.id)) return;
      seen.add(obs.id);
    }
    observations.push(obs);
  };
  for (const block of mail.blocks) {
    if (block.kind !== 'own' && block.kind !== 'quoted') continue;
    // argus's records become observations as they are read (a record then dies young: a paste's
    // 100,000 records were all alive until the last was read, and the collector copied each one
    // twice); what extractRecords would give is checked after, and anything else starts over
    let streamed: Observation[] | null = [];
    const ex = argusStreaming.on
      ? extractRecordsArgusTo(block.lines, (rec) => {
        if (streamed === null) return;
        // a packet line is classified with its conversation (classifyPacketConversations): not here
        if (rec.singlePacket === true) streamed = null;
        else streamed.push(toObservation(rec, classifyRecord(rec), block, mail, clock));
      })
      : null;
    let records: ExtractedRecord[];
    let problems: ExtractionProblem[];
    if (ex === null || ex.argusFailed || streamed === null || (ex.argusCount > 0 && (ex.others.length > 0 || !ex.argusInOrder))) {
      ({ records, problems } = extractRecords(block.lines));
      streamed = null;
    } else {
      problems = ex.problems;
      records = ex.argusCount > 0 ? [] : acceptedInLineOrder(ex.others, block.lines.length);
    }
    for (const p of problems) mail.warnings.push(`extractor ${p.extractor} failed on lines ${block.startLine}-${block.startLine + block.lines.length - 1}: ${p.message}`);
    if (streamed !== null) for (const obs of streamed) keep(obs);
    if (records.length === 0) continue;
    // packet-per-line logs are classified as conversations: a SYN line and a RST line are one flow;
    // every other record on its own, here, so its Classification is garbage at once
    const classes = classifyPacketConversations(records);
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      keep(toObservation(rec, classes[i] ?? classifyRecord(rec), block, mail, clock));
    }
  }
  const post: Post = {
    id: mail.id,
    thread,
    subject: mail.subject,
    date: mail.date,
    from: mail.from,
    observations: observations.map((o) => o.id),
  };
  if (mail.headers.archivedAt) post.archivedAt = mail.headers.archivedAt;
  return {
    mail,
    post,
    observations,
    statements: findStatements(mail, thread),
    questions: findQuestions(mail, thread),
  };
}
