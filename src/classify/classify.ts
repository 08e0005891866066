// Decides the contract's flow class from one extracted record: which side sent which TCP flags
// (or, without flags, the state word and the packet counts) and whether anything came back.
// Pure; never throws.

import type { FlowClass } from '../contract.js';
import type { ExtractedRecord } from '../extract/types.js';
import { detectFamily } from './family.js';
import { isSpaceCode } from '../extract/screen.js';
import { ownCopy } from '../extract/shared.js';

export interface Classification {
  class: FlowClass;
  actor: string | null;
  target: string | null;
  family?: string;
  evidence: string;
}

/** One end of the record after orientation: the originator or the responder. */
interface Side {
  addr: string | null;
  pkts: number | null;
  bytes: number | null;
  /** flags letters as reported, null when the record does not say */
  flags: string | null;
  /** did this side send anything (true/false), or unknown (null) */
  sent: boolean | null;
}

interface Oriented {
  orig: Side;
  resp: Side;
  /** true when the printed dst is the originator */
  reversed: boolean;
  /** why the orientation was chosen, for evidence ('' when printed src first is the plain reading) */
  orientNote: string;
}

const ALERT_SOURCES = new Set(['snort', 'suricata']);
const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);
const ICMP_ERROR_STATES = /^(UR[A-Z]*|TXD|RED|SRC|PAR)$/;
/** a frame or datagram larger than this per packet carries payload (bare TCP: 40 IP / 54-60 link bytes) */
const DATA_BYTES_PER_PACKET = 80;

// Flag strings and direction marks take a few dozen values: their readings are made once and
// shared (callers only read them).
const READING_CACHE_MAX = 1000;
const lettersCache = new Map<string, ReadonlySet<string>>();
const NO_LETTERS: ReadonlySet<string> = new Set();

function letters(flags: string | null): ReadonlySet<string> {
  if (!flags) return NO_LETTERS;
  let set = lettersCache.get(flags);
  if (set === undefined) {
    set = new Set(flags.toUpperCase().split(''));
    if (lettersCache.size >= READING_CACHE_MAX) lettersCache.clear();
    lettersCache.set(flags, set);
  }
  return set;
}

function subsetOf(set: ReadonlySet<string>, allowed: string): boolean {
  for (const c of set) if (!allowed.includes(c)) return false;
  return true;
}

function normalizeProto(proto: string | null): string | null {
  if (!proto) return null;
  const p = proto.trim().toLowerCase();
  if (p === '6') return 'tcp';
  if (p === '17') return 'udp';
  if (p === '1') return 'icmp';
  return p;
}

interface DirMark {
  left: boolean;
  right: boolean;
  middle: string;
}

const dirCache = new Map<string, Readonly<DirMark> | null>();

function parseDir(dir: string | null): Readonly<DirMark> | null {
  if (!dir) return null;
  let mark = dirCache.get(dir);
  if (mark === undefined) {
    const d = dir.trim();
    mark = d === '' || d.length > 5 || d === 'who' || d === 'tel' ? null : { left: d.startsWith('<'), right: d.endsWith('>'), middle: d.replace(/[<>]/g, '') };
    if (dirCache.size >= READING_CACHE_MAX) dirCache.clear();
    dirCache.set(dir, mark);
  }
  return mark;
}

function sentFrom(pkts: number | null, flags: string | null, arrow: boolean | null, totalsOnly: boolean): boolean | null {
  if (!totalsOnly && pkts !== null) return pkts > 0;
  if (flags) return true;
  return arrow;
}

function orient(rec: ExtractedRecord): Oriented {
  const mark = parseDir(rec.dir);
  const totals = rec.totalsOnly === true;
  let srcFlags = rec.srcFlags;
  let dstFlags = rec.dstFlags;
  // ra swaps the -Zb strings when one side has flags but no packets; undo an inconsistent pair.
  if (!totals && rec.srcPkts === 0 && (rec.dstPkts ?? 0) > 0 && srcFlags && !dstFlags) {
    [srcFlags, dstFlags] = [dstFlags, srcFlags];
  } else if (!totals && rec.dstPkts === 0 && (rec.srcPkts ?? 0) > 0 && dstFlags && !srcFlags) {
    [srcFlags, dstFlags] = [dstFlags, srcFlags];
  }
  // With -Zb printed, a missing side means it sent no flags at all; with a single packet we know nothing of dst.
  const srcArrow = mark ? mark.right : rec.singlePacket ? true : null;
  const dstArrow = mark ? mark.left : rec.singlePacket ? false : null;
  const src: Side = {
    addr: rec.src,
    pkts: totals ? null : rec.srcPkts,
    bytes: totals ? null : rec.srcBytes,
    flags: srcFlags,
    sent: sentFrom(rec.srcPkts, srcFlags, srcArrow, totals),
  };
  const dst: Side = {
    addr: rec.dst,
    pkts: totals ? null : rec.dstPkts,
    bytes: totals ? null : rec.dstBytes,
    flags: dstFlags,
    sent: rec.singlePacket ? null : sentFrom(rec.dstPkts, dstFlags, dstArrow, totals),
  };
  if (totals && !rec.singlePacket) {
    // totals only: the arrows say who sent
    src.sent = srcFlags ? true : srcArrow;
    dst.sent = dstFlags ? true : dstArrow;
    // TCP "->" (handshake seen) blanks the other end's mark whether or not it sent: only one packet in all says it did not
    const tcp = normalizeProto(rec.proto) === 'tcp';
    if (tcp && mark && !mark.middle.includes('?') && !mark.left && !dstFlags) dst.sent = rec.srcPkts === 1 ? false : null;
  }
  if (rec.singlePacket) return forward(src, dst);
  if (mark && mark.left && !mark.right) return reversed(src, dst, `${rec.dir} means the printed destination ${rec.dst ?? '?'} sent first`);
  if (mark && mark.right && !mark.left) return forward(src, dst);
  // Both arrows or none: the side that sent a SYN (without the other having sent one) started it.
  const s = letters(srcFlags);
  const d = letters(dstFlags);
  if (d.has('S') && !s.has('S')) return reversed(src, dst, `the printed destination ${rec.dst ?? '?'} sent the SYN`);
  if (d.has('S') && s.has('S') && s.has('A') && !d.has('A')) {
    return reversed(src, dst, `the printed destination ${rec.dst ?? '?'} sent the SYN without ACK`);
  }
  if (src.sent === false && dst.sent === true) return reversed(src, dst, `only the printed destination ${rec.dst ?? '?'} sent packets`);
  return forward(src, dst);
}

function forward(src: Side, dst: Side): Oriented {
  return { orig: src, resp: dst, reversed: false, orientNote: '' };
}

function reversed(src: Side, dst: Side, note: string): Oriented {
  return { orig: dst, resp: src, reversed: true, orientNote: note };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function sideCounts(side: Side): string {
  if (side.pkts === null) return '';
  return side.bytes !== null ? `${plural(side.pkts, 'packet')}/${side.bytes} bytes` : plural(side.pkts, 'packet');
}

function carriesData(side: Side, rec: ExtractedRecord): boolean | null {
  if (rec.singlePacket) {
    if (rec.payloadLen !== undefined) return rec.payloadLen > 0;
    if (rec.payload) return rec.payload.bytes > 0;
    if (rec.dgmLen !== undefined) return rec.dgmLen > 60;
    return null;
  }
  if (side.pkts && side.bytes !== null) return side.bytes / side.pkts > DATA_BYTES_PER_PACKET;
  if (rec.totalsOnly && rec.srcPkts && rec.srcBytes !== null) return rec.srcBytes / rec.srcPkts > DATA_BYTES_PER_PACKET;
  return null;
}

function flagsText(rec: ExtractedRecord): string {
  // an Argus -Zb state (A_RPA, S_, _RA) is the flags themselves; Suricata's syn_sent is a state
  if (rec.state && /^[FSRPAUEC]*_[FSRPAUEC]*$/.test(rec.state)) return `flags ${rec.state}`;
  if (rec.srcFlags !== null || rec.dstFlags !== null) {
    if (rec.singlePacket) return `flags ${rec.srcFlags || 'none (NULL)'}`;
    return `flags ${rec.srcFlags ?? ''}_${rec.dstFlags ?? ''}`;
  }
  if (rec.state) return `state ${rec.state}`;
  return 'no flags or state';
}

function flagName(set: ReadonlySet<string>): string {
  if (set.size === 0) return 'no flags (NULL)';
  if (set.has('S') && set.has('F')) return 'SYN-FIN';
  if (set.has('F') && set.has('P') && set.has('U') && !set.has('A')) return 'FIN-PSH-URG (Xmas)';
  if (set.has('S') && set.has('A')) return 'SYN-ACK';
  if (set.has('S')) return 'SYN';
  if (set.has('R') && set.has('A')) return 'RST-ACK';
  if (set.has('R')) return 'RST';
  if (set.has('F') && !set.has('A')) return 'FIN';
  if (set.has('F')) return set.has('P') ? 'FIN-PSH-ACK' : 'FIN-ACK';
  if (set.has('P') && set.has('A')) return 'PSH-ACK';
  if (set.has('A')) return 'ACK-only';
  return [...set].join('');
}

interface Decision {
  class: FlowClass;
  /** the actor is the responder side (e.g. the SYN-ACK sender in an answered-by-RST record) */
  actorIsResponder?: boolean;
  reason: string;
}

/** TCP with per-side flags (Argus -Zb, Zeek history, a flow with both flag strings). */
function decideTcpFlags(o: Side, r: Side, rec: ExtractedRecord): Decision {
  const O = letters(o.flags);
  const R = letters(r.flags);
  // Only one side's flags printed (ra -Zs) while the other side did or may have sent: its answer is unknown.
  if (r.flags === null && r.sent !== false && !(O.has('S') && O.has('A') && (O.has('P') || O.has('F')) && (rec.srcPkts ?? 0) > 3)) {
    const stealthy = O.size === 0 || (!O.has('A') && !O.has('R'));
    if (stealthy && !O.has('S')) return { class: 'stealth-probe', reason: `${flagName(O)} without a handshake` };
    if (O.has('S') && O.has('F') && !O.has('A')) return { class: 'stealth-probe', reason: 'SYN-FIN without a handshake' };
    return {
      class: 'unknown',
      reason: `only ${o.addr ?? 'the sender'}'s flags (${[...O].join('') || 'none'}) are printed and the other end ${r.sent ? 'sent packets' : 'may have sent packets'} whose flags are not shown, so its answer is unknown`,
    };
  }
  const answered = r.sent === true || R.size > 0;
  const data = carriesData(o, rec);
  const dataWord = data ? ' carrying data' : '';
  if (!answered) {
    if (O.size === 0) return { class: 'stealth-probe', reason: 'a packet with no TCP flags (NULL scan)' };
    if (O.has('S') && O.has('F') && !O.has('A')) return { class: 'stealth-probe', reason: 'SYN-FIN without a handshake' };
    if (O.has('S') && O.has('A')) {
      // a truncated flag column on a long record: SYN, then ACKs and data, means a handshake happened
      if (r.flags === null && (O.has('P') || O.has('F')) && (rec.srcPkts ?? 0) > 3) {
        return { class: 'established', reason: 'SYN followed by data and a close in one record (the reply side was cut off)' };
      }
      if (O.has('P')) {
        return { class: 'syn-unanswered', reason: 'a SYN and then data (PSH-ACK) with nothing back: a sender not waiting for the handshake' };
      }
      return { class: 'backscatter', reason: 'SYN-ACK segments without having seen a SYN: replies to connection attempts someone else made in the target\'s name' };
    }
    if (O.has('S')) return { class: 'syn-unanswered', reason: 'a connection attempt (SYN) that got no answer' };
    if (O.has('R') && subsetOf(O, 'RA')) {
      return { class: 'backscatter', reason: `${flagName(O)} segments only: resets for traffic someone else sent in the target's name` };
    }
    if (O.has('A')) return { class: 'midstream-unanswered', reason: `${flagName(O)} segments${dataWord} without a handshake` };
    if (O.has('F')) return { class: 'stealth-probe', reason: `${flagName(O)} without a handshake` };
    return { class: 'stealth-probe', reason: `unusual flags ${[...O].join('')} without SYN or ACK` };
  }
  const rSynAck = R.has('S') && R.has('A');
  if (O.has('S') && O.has('F') && !O.has('A') && !rSynAck) return { class: 'stealth-probe', reason: 'SYN-FIN without a handshake' };
  if (O.has('S') && O.has('A') && !R.has('S') && subsetOf(R, 'RA')) {
    return { class: 'backscatter', reason: 'SYN-ACK segments without any SYN to answer, reset by the other end: replies to attempts someone else made in its name' };
  }
  if (O.has('S') && R.has('S')) return { class: 'established', reason: 'the SYN was answered by SYN-ACK (a completed handshake)' };
  if (O.has('S') && R.has('R') && subsetOf(R, 'RA')) return { class: 'syn-rejected', reason: 'a SYN answered only by RST' };
  if (O.has('S') && (R.has('A') || R.has('P'))) return { class: 'established', reason: 'data flowed both ways after a SYN' };
  if (O.has('S')) return { class: 'syn-unanswered', reason: 'a SYN answered by packets without TCP flags' };
  if (rSynAck) {
    return {
      class: 'backscatter',
      actorIsResponder: true,
      reason: 'SYN-ACK from the other end without any SYN to answer: replies to attempts someone else made in the target\'s name',
    };
  }
  const stealthy = O.size === 0 || (!O.has('A') && !O.has('R'));
  if (stealthy) return { class: 'stealth-probe', reason: `${flagName(O)} without a handshake, answered by ${flagName(R)}` };
  if (R.has('R')) {
    if (O.has('R') && subsetOf(O, 'RA')) return { class: 'unknown', reason: 'resets from both sides and no other segments' };
    return { class: 'midstream-reset', reason: `${flagName(O)} segments${dataWord} without a handshake, reset by the target` };
  }
  if (O.has('R') && subsetOf(O, 'RA')) {
    return { class: 'backscatter', reason: `${flagName(O)} segments without a handshake: resets for traffic someone else sent` };
  }
  return { class: 'established', reason: 'no handshake was seen, but both sides exchanged ACK segments (a connection picked up mid-stream)' };
}

const NO_DATA_NO_FLAGS =
  'one-sided segments without a handshake, no data shown and no flags printed: a bare ACK, a NULL, SYN-FIN or Xmas probe all look like this (ra -Zb would tell)';

/** Argus -z state-machine letters (s S E f F C R). */
const Z_STATE = /^[sSEfFCR]{1,8}$/;

/** TCP without flags: the state word (Argus, Zeek conn_state) and who sent packets. */
function small(s: Side): boolean {
  return s.pkts !== null && s.bytes !== null && s.pkts > 0 && s.bytes / s.pkts <= DATA_BYTES_PER_PACKET;
}

function decideTcpState(o: Side, r: Side, rec: ExtractedRecord, mark: Readonly<DirMark> | null): Decision {
  const state = (rec.state ?? '').trim();
  const word = state.toUpperCase();
  const noHandshake = mark?.middle.includes('?') ?? false;
  const both = o.sent === true && r.sent === true;
  const oneSided = o.sent === true && r.sent === false;
  const data = carriesData(o, rec);
  const dataWord = data ? ' carrying data' : '';
  switch (word) {
    // Zeek conn_state
    case 'S0':
      return { class: 'syn-unanswered', reason: 'conn_state S0: a SYN and nothing back' };
    case 'REJ':
      return { class: 'syn-rejected', reason: 'conn_state REJ: the attempt was answered by RST' };
    case 'SF': case 'S1': case 'S2': case 'S3': case 'RSTO': case 'RSTR':
      return { class: 'established', reason: `conn_state ${word}: the handshake completed` };
    case 'SH': case 'RSTOS0':
      return { class: 'syn-unanswered', reason: `conn_state ${word}: a SYN that never saw a SYN-ACK` };
    case 'SHR': case 'RSTRH':
      return { class: 'backscatter', reason: `conn_state ${word}: a SYN-ACK without a SYN` };
  }
  if (word === 'REQ') {
    if (!r.sent) return { class: 'syn-unanswered', reason: 'a connection request (SYN) and nothing back' };
    return { class: 'unknown', reason: 'a SYN with packets back but no SYN-ACK or RST' };
  }
  if (word === 'ACC') {
    if (both) return { class: 'established', reason: 'the request was accepted (SYN-ACK seen)' };
    if (o.sent) return { class: 'backscatter', reason: 'a SYN-ACK from one side only, with no SYN seen' };
  }
  const handshakeSeen = mark !== null && mark.middle === '-';
  if (word === 'RST' && handshakeSeen && r.sent === null && rec.totalsOnly && rec.srcPkts !== null && rec.srcBytes !== null) {
    // totals only: a few small packets are a request and its reset; more, or data, a connection that was reset
    return rec.srcPkts <= 3 && rec.srcBytes / rec.srcPkts <= DATA_BYTES_PER_PACKET
      ? { class: 'syn-rejected', reason: `Argus saw the request (${rec.dir}) and a reset, ${rec.srcPkts} small packets and no data` }
      : { class: 'established', reason: `Argus saw the handshake (${rec.dir}) and data before the reset` };
  }
  if (['CON', 'EST', 'FIN', 'CLO'].includes(word) && handshakeSeen && r.sent === null && (rec.srcPkts ?? 0) >= 3) {
    return { class: 'established', reason: `Argus saw the handshake (${rec.dir}) and the connection reached state ${word}` };
  }
  if (word === 'RST') {
    if (both && noHandshake) return { class: 'midstream-reset', reason: `segments${dataWord} without a handshake, answered with a reset` };
    if (both) {
      if (small(o) && small(r) && (r.pkts ?? 0) <= 2) return { class: 'syn-rejected', reason: 'a request answered by a reset, no data either way' };
      if (o.bytes === null && r.bytes === null && o.pkts !== null && r.pkts !== null && o.pkts <= 2 && r.pkts <= 1) {
        return { class: 'syn-rejected', reason: `${plural(o.pkts, 'packet')} answered by one reset: a refused request` };
      }
      return { class: 'established', reason: 'a connection with data that ended in a reset' };
    }
    if (oneSided && noHandshake) return { class: 'backscatter', reason: 'resets from one side only, with no handshake: resets for traffic someone else sent' };
  }
  if (['CON', 'EST', 'CLO', 'FIN', 'TIM'].includes(word)) {
    if (both) {
      return noHandshake
        ? { class: 'established', reason: 'no handshake was seen, but both sides sent packets (a connection picked up mid-stream)' }
        : { class: 'established', reason: `state ${word} with packets both ways` };
    }
    if (oneSided && noHandshake) {
      if (word === 'FIN') return { class: 'stealth-probe', reason: 'a FIN without a handshake, nothing back' };
      if (data !== true) return { class: 'unknown', reason: NO_DATA_NO_FLAGS };
      return { class: 'midstream-unanswered', reason: `segments${dataWord} without a handshake, nothing back` };
    }
  }
  if (Z_STATE.test(state)) {
    if (state.includes('s') && !state.includes('S') && !state.includes('E')) {
      if (state.includes('R') && r.sent !== false) return { class: 'syn-rejected', reason: `-z state ${state}: a SYN answered by a reset` };
      if (!r.sent) return { class: 'syn-unanswered', reason: `-z state ${state}: a SYN and nothing back` };
    }
    if (state.includes('s') && (state.includes('S') || state.includes('E')) && r.sent !== false) {
      return { class: 'established', reason: `-z state ${state}: the SYN was acknowledged (handshake completed)` };
    }
    if (state === 'S' && !both) return { class: 'backscatter', reason: '-z state S without s: a SYN-ACK and no SYN it could answer' };
    if (state.startsWith('E') && noHandshake) {
      if (state.includes('R') && both) return { class: 'midstream-reset', reason: `-z state ${state}: mid-stream segments${dataWord}, reset by the target` };
      if (oneSided && data !== true) return { class: 'unknown', reason: `-z state ${state}: ${NO_DATA_NO_FLAGS}` };
      if (oneSided) return { class: 'midstream-unanswered', reason: `-z state ${state}: mid-stream segments${dataWord}, nothing back` };
    }
    if (state === 'R' && oneSided && noHandshake) return { class: 'backscatter', reason: '-z state R from one side: resets only' };
    if (state === 'f' && oneSided && noHandshake) return { class: 'stealth-probe', reason: '-z state f: a FIN without a handshake' };
  }
  const who = o.sent === null || r.sent === null ? 'who answered' : 'the per-side TCP flags';
  return { class: 'unknown', reason: `state ${state || 'absent'} without ${who} does not decide the class` };
}

function icmpKind(rec: ExtractedRecord): 'echo' | 'reply' | 'error' | null {
  if (rec.icmpType !== undefined) {
    if (rec.icmpType === 8) return 'echo';
    if (rec.icmpType === 0) return 'reply';
    if (ICMP_ERROR_TYPES.has(rec.icmpType)) return 'error';
    return null;
  }
  const state = (rec.state ?? '').trim().toUpperCase();
  if (state === 'ECO') return 'echo';
  if (state === 'ECR') return 'reply';
  if (ICMP_ERROR_STATES.test(state)) return 'error';
  return null;
}

function decideIcmp(o: Side, r: Side, rec: ExtractedRecord, isAlert: boolean): Decision {
  const kind = icmpKind(rec);
  const what = rec.icmpType !== undefined ? `ICMP type ${rec.icmpType}` : rec.state ? `ICMP state ${rec.state}` : 'ICMP';
  if (kind === 'error') return { class: 'icmp-error', reason: `${what}: an error message (unreachable, time exceeded or similar)` };
  if (rec.singlePacket) {
    return isAlert
      ? { class: 'alert', reason: `a single alerted ${what} packet` }
      : { class: 'unknown', reason: `one ${what} packet: nothing shows whether ${rec.dst ?? 'the target'} answered` };
  }
  if (kind === 'echo') {
    if (r.sent === true) return { class: 'icmp-echo-answered', reason: `${what}: echo request answered` };
    if (r.sent === false) return { class: 'icmp-echo-unanswered', reason: `${what}: echo request, nothing back` };
    return { class: 'unknown', reason: `${what}: echo request, but the record does not show whether it was answered` };
  }
  if (kind === 'reply' && r.sent !== true) {
    return { class: 'backscatter', reason: `${what}: echo replies without a request: replies to pings someone else sent in the target's name` };
  }
  return { class: isAlert ? 'alert' : 'unknown', reason: `${what} does not decide a class` };
}

function decideUdp(o: Side, r: Side, rec: ExtractedRecord, isAlert: boolean): Decision {
  if (rec.singlePacket && rec.discarded && !isAlert) {
    return { class: 'udp-unanswered', reason: `one datagram that the firewall logged as discarded: nothing could come back from ${rec.dst ?? 'the target'}` };
  }
  if (rec.singlePacket) {
    return isAlert
      ? { class: 'alert', reason: 'a single alerted UDP datagram' }
      : { class: 'unknown', reason: `one datagram: nothing shows whether ${rec.dst ?? 'the target'} answered` };
  }
  const state = (rec.state ?? '').trim().toUpperCase();
  const back = r.sent ?? (state === 'CON' ? true : state === 'INT' || state === 'REQ' ? false : null);
  if (back === true) return { class: 'udp-answered', reason: 'UDP with packets back' };
  if (back === false) return { class: 'udp-unanswered', reason: 'UDP with nothing back' };
  return { class: 'unknown', reason: 'UDP record without per-side counts or state: nothing shows whether it was answered' };
}

function decideSingleTcp(rec: ExtractedRecord, isAlert: boolean): Decision {
  const target = rec.dst ?? 'the target';
  if (rec.srcFlags === null) {
    return isAlert
      ? { class: 'alert', reason: 'a single alerted packet with no flags printed' }
      : { class: 'unknown', reason: `one packet without flags: nothing shows what it was or whether ${target} answered` };
  }
  const F = letters(rec.srcFlags);
  const stealth = F.size === 0 || (F.has('S') && F.has('F')) || (!F.has('A') && !F.has('S') && !F.has('R'));
  if (stealth) return { class: 'stealth-probe', reason: `${flagName(F)} in one packet: a stealth probe, no normal connection sends it` };
  if (isAlert) return { class: 'alert', reason: `one ${flagName(F)} packet, and an alert alone does not show whether ${target} answered` };
  // A dropped SYN was a connection attempt that got nothing back. A dropped ACK or PSH-ACK is as
  // often the late tail of a connection the firewall host made itself, so it stays undecided.
  if (rec.discarded && F.has('S') && !F.has('A') && !F.has('R')) {
    return { class: 'syn-unanswered', reason: `one SYN packet that the firewall logged as discarded: nothing could come back from ${target}` };
  }
  return { class: 'unknown', reason: `one ${flagName(F)} packet: nothing shows whether ${target} answered` };
}

/** The evidence text in pieces, to be joined once (with what classifyUnsafe adds) into one flat string. */
function evidenceParts(rec: ExtractedRecord, or: Oriented, d: Decision, actor: string | null): string[] {
  const parts: string[] = [];
  const mark = rec.dir ? rec.dir.trim() : '';
  const flagPart = rec.srcFlags !== null || rec.dstFlags !== null || rec.state ? ` with ${flagsText(rec)}` : '';
  const protoPart = rec.proto ? `one ${rec.proto} packet` : 'no packet shown';
  const lead = rec.signature?.message
    ? rec.singlePacket || !rec.dir
      ? `alert "${rec.signature.message}"${rec.proto ? ` on ${protoPart}` : ''}${flagPart}`
      : `alert "${rec.signature.message}", ${mark ? `${mark} ` : ''}flow${flagPart}`
    : rec.singlePacket
      ? `${protoPart} from ${rec.src ?? '?'}${flagPart}`
      : `${mark ? `${mark} ` : ''}with ${flagsText(rec)}`;
  parts.push(lead);
  if (or.orientNote) parts.push(` (${or.orientNote})`);
  if (!rec.singlePacket) {
    const oc = sideCounts(or.orig);
    const rc = sideCounts(or.resp);
    const sender = or.orig.addr ?? '?';
    if (oc) parts.push(` and ${oc} from ${sender}`);
    else if (rec.totalsOnly && rec.srcPkts !== null) parts.push(` and ${plural(rec.srcPkts, 'packet')}${rec.srcBytes !== null ? `/${rec.srcBytes} bytes` : ''} in total`);
    if (or.resp.sent === false) parts.push(', nothing back');
    else if (rc && or.resp.pkts) parts.push(`, ${rc} back`);
  }
  parts.push(': ', d.reason);
  if (actor && d.actorIsResponder) parts.push(' (sent by ', actor, ')');
  return parts;
}

function cmdExeNote(rec: ExtractedRecord): string {
  const msg = rec.signature?.message ?? '';
  return /cmd\.exe/i.test(msg)
    ? `; "cmd.exe" access alone names no family (Nimda and Code Red II both do it) and nothing here names either`
    : '';
}

export function classifyRecord(rec: ExtractedRecord): Classification {
  return classifyByShape(rec) ?? classifyRecordUncached(rec);
}

/** classifyRecord worked out for this record alone, without the shape cache (its tests compare the two). */
export function classifyRecordUncached(rec: ExtractedRecord): Classification {
  try {
    return classifyUnsafe(rec);
  } catch (err) {
    return {
      class: 'unknown',
      actor: rec.src ?? null,
      target: rec.dst ?? null,
      evidence: `the record could not be classified (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

// Records of one kind get the same evidence word for word (a 100,000-line paste has ~20
// different texts, a 10,000-post archive ~7,000 in 48,000 observations): each text is tidied
// once, and equal texts are kept once (each observation keeps its evidence for the life of the corpus).
const MAX_SHARED_EVIDENCE = 8192;
const tidiedEvidence = new Map<string, string>();

/** The evidence as joined (with a closing '.') → whitespace collapsed, trimmed, one closing stop; shared. */
function tidyEvidence(joined: string): string {
  const known = tidiedEvidence.get(joined);
  if (known !== undefined) return known;
  let evidence = joined;
  // the '.' stays when the text before it ends in neither a space (then collapsing whitespace and
  // trimming leave the end alone) nor a stop: nearly always; else the text is tidied without it
  const before = evidence.length >= 2 ? evidence.charCodeAt(evidence.length - 2) : -1;
  const stopped = before >= 0 && !isSpaceCode(before) && before !== 46 && before !== 33 && before !== 63;
  if (!stopped) evidence = evidence.slice(0, -1);
  // collapsing whitespace changes nothing when there is no tab, newline or double space (the usual case)
  if (UNTIDY_SPACE.test(evidence)) evidence = evidence.replace(/\s+/g, ' ');
  evidence = evidence.trim();
  if (!stopped && !/[.!?]$/.test(evidence)) evidence += '.';
  if (tidiedEvidence.size >= MAX_SHARED_EVIDENCE) tidiedEvidence.clear();
  tidiedEvidence.set(joined, evidence);
  return evidence;
}

/** whitespace that /\s+/ → ' ' would change: any but a space, or two in a row */
const UNTIDY_SPACE = /[^\S ]|\s\s/;

function classifyUnsafe(rec: ExtractedRecord): Classification {
  const proto = normalizeProto(rec.proto);
  const isAlert = rec.signature !== undefined || ALERT_SOURCES.has(String(rec.source));
  const or = orient(rec);
  const mark = parseDir(rec.dir);
  let d: Decision;
  if (proto === 'tcp') {
    if (rec.singlePacket) d = decideSingleTcp(rec, isAlert);
    else if (or.orig.flags !== null || or.resp.flags !== null) d = decideTcpFlags(or.orig, or.resp, rec);
    else d = decideTcpState(or.orig, or.resp, rec, mark);
  } else if (proto === 'udp') {
    d = decideUdp(or.orig, or.resp, rec, isAlert);
  } else if (proto === 'icmp' || proto === 'ipv6-icmp' || proto === 'icmp6') {
    d = decideIcmp(or.orig, or.resp, rec, isAlert);
  } else if (isAlert) {
    d = proto
      ? { class: 'alert', reason: `a single alerted ${proto} packet` }
      : { class: 'alert', reason: 'an alert with no packet printed (a summary such as a portscan report)' };
  } else {
    d = { class: 'unknown', reason: `protocol ${proto ?? 'not printed'}: no rule decides its class` };
  }
  let actor = d.actorIsResponder ? or.resp.addr : or.orig.addr;
  let target = d.actorIsResponder ? or.orig.addr : or.resp.addr;
  if (!actor && !target) {
    actor = rec.src;
    target = rec.dst;
  }
  const fam = detectFamily(rec);
  const parts = evidenceParts(rec, or, d, actor);
  if (fam) parts.push('; ', fam.why);
  else parts.push(cmdExeNote(rec));
  // The closing full stop joins the other pieces (one join, one flat string: a '.' added
  // afterwards would make a two-piece string that the observation keeps for the life of the
  // corpus). It belongs there when the text before it ends in neither a space (then collapsing
  // whitespace and trimming leave the end alone) nor a stop: nearly always; else it comes off again.
  parts.push('.');
  const evidence = tidyEvidence(parts.join(''));
  const out: Classification = { class: d.class, actor: actor ?? null, target: target ?? null, evidence };
  if (fam) out.family = fam.family;
  return out;
}

// ---------------------------------------------------------------- classes by shape

// A record without a payload is classified from a handful of fields: protocol, direction, counts,
// flags, state, an alert's message and short request text. Its addresses only name the actor and
// the target and appear in the evidence. A paste repeats a few dozen shapes with ever new addresses,
// so each shape is classified once with stand-ins for the two addresses, and a record of that
// shape gets that classification with its own addresses put in (byte for byte what classifyUnsafe
// gives: checked against it when the shape is first seen, and by a property test).

// private-use characters: no whitespace, no full stop, in no address that isPlainAddress lets through
const SRC_STAND_IN = '\uE000';
const DST_STAND_IN = '\uE001';
const STAND_INS = /(\uE000|\uE001)/;
const MAX_SHAPES = 4096;

/** A shape's classification: actor and target as 0 (null), 1 (the record's src) or 2 (its dst). */
interface ShapeClass {
  class: FlowClass;
  actor: 0 | 1 | 2;
  target: 0 | 1 | 2;
  /** the evidence when it names no address, else null */
  evidence: string | null;
  /** the evidence cut at the stand-ins: text, stand-in, text, ... */
  pieces: string[] | null;
  family: string | undefined;
}

/**
 * An address that stands in the evidence as the stand-in does: not empty, no whitespace (which
 * tidyEvidence would collapse), no closing stop, none of the stand-in characters.
 */
function isPlainAddress(a: string): boolean {
  const n = a.length;
  if (n === 0 || n > 64) return false;
  for (let k = 0; k < n; k++) {
    const c = a.charCodeAt(k);
    // 0-9 : . and letters, '-', '_', '%' (IPv6 zones)
    if (!((c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45 || c === 95 || c === 37)) return false;
  }
  const last = a.charCodeAt(n - 1);
  return last !== 46;
}

/** One shape seen: the fields classifyUnsafe (and detectFamily) read of a record without a payload, but its addresses' values. */
interface ShapeEntry {
  source: string;
  hasSignature: boolean;
  message: string | undefined;
  detail: string | undefined;
  dgmLen: number | undefined;
  payloadLen: number | undefined;
  discarded: boolean | undefined;
  proto: string | null;
  dir: string | null;
  totalsOnly: boolean | undefined;
  singlePacket: boolean | undefined;
  srcPkts: number | null;
  dstPkts: number | null;
  srcBytes: number | null;
  dstBytes: number | null;
  srcFlags: string | null;
  dstFlags: string | null;
  state: string | null;
  icmpType: number | undefined;
  slammerPort: boolean;
  hasSrc: boolean;
  hasDst: boolean;
  shape: ShapeClass | null;
  /** the next shape with the same hash */
  next: ShapeEntry | null;
}

/** shapes by hash (a string key per record cost more than classifying: it is built, flattened and hashed every time) */
const shapeTable = new Map<number, ShapeEntry>();
let shapeCount = 0;
/** a small number per field string seen (their hashes are V8's, cached in the string) */
const fieldIds = new Map<string, number>();

function idOf(s: string | null | undefined): number {
  if (s === null || s === undefined) return 0;
  let id = fieldIds.get(s);
  if (id === undefined) {
    id = fieldIds.size + 1;
    fieldIds.set(ownCopy(s), id);
  }
  return id;
}

/** ownCopy where there is a string: the cache outlives the posts its records came from */
function ownCopyOf<T extends string | null | undefined>(s: T): T {
  return (typeof s === 'string' ? ownCopy(s) : s) as T;
}

function mix(h: number, v: number): number {
  return Math.imul(h ^ v, 0x9e3779b1) ^ (h >>> 15);
}

function numberBits(n: number | null | undefined): number {
  if (n === null) return -1;
  if (n === undefined) return -2;
  return (n | 0) ^ ((n / 4294967296) | 0);
}

function shapeHash(rec: ExtractedRecord): number {
  let h = idOf(rec.source);
  h = mix(h, idOf(rec.proto));
  h = mix(h, idOf(rec.dir));
  h = mix(h, idOf(rec.srcFlags));
  h = mix(h, idOf(rec.dstFlags));
  h = mix(h, idOf(rec.state));
  h = mix(h, numberBits(rec.srcPkts));
  h = mix(h, numberBits(rec.dstPkts));
  h = mix(h, numberBits(rec.srcBytes));
  h = mix(h, numberBits(rec.dstBytes));
  h = mix(h, numberBits(rec.icmpType));
  if (rec.signature !== undefined) h = mix(h, idOf(rec.signature.message));
  if (rec.detail !== undefined) h = mix(h, idOf(rec.detail));
  return h;
}

function isShapeOf(e: ShapeEntry, rec: ExtractedRecord): boolean {
  return e.source === rec.source && e.proto === rec.proto && e.dir === rec.dir && e.totalsOnly === rec.totalsOnly
    && e.singlePacket === rec.singlePacket && e.srcPkts === rec.srcPkts && e.dstPkts === rec.dstPkts && e.srcBytes === rec.srcBytes
    && e.dstBytes === rec.dstBytes && e.srcFlags === rec.srcFlags && e.dstFlags === rec.dstFlags && e.state === rec.state
    && e.icmpType === rec.icmpType && e.hasSignature === (rec.signature !== undefined) && e.message === rec.signature?.message
    && e.detail === rec.detail && e.dgmLen === rec.dgmLen && e.payloadLen === rec.payloadLen && e.discarded === rec.discarded
    && e.slammerPort === (rec.dport === 1434) && e.hasSrc === (rec.src !== null) && e.hasDst === (rec.dst !== null);
}

function sideOf(addr: string | null, rec: ExtractedRecord, src: string | null, dst: string | null): 0 | 1 | 2 | -1 {
  if (addr === null) return 0;
  if (addr === src && rec.src !== null) return 1;
  if (addr === dst && rec.dst !== null) return 2;
  return -1;
}

function addressOf(side: 0 | 1 | 2, rec: ExtractedRecord): string | null {
  return side === 0 ? null : side === 1 ? rec.src : rec.dst;
}

function fromShape(shape: ShapeClass, rec: ExtractedRecord): Classification {
  let evidence = shape.evidence;
  if (evidence === null) {
    const pieces = shape.pieces as string[];
    const parts: string[] = [];
    for (const piece of pieces) parts.push(piece === SRC_STAND_IN ? (rec.src as string) : piece === DST_STAND_IN ? (rec.dst as string) : piece);
    evidence = parts.join('');
  }
  const out: Classification = { class: shape.class, actor: addressOf(shape.actor, rec), target: addressOf(shape.target, rec), evidence };
  if (shape.family !== undefined) out.family = shape.family;
  return out;
}

function sameClassification(a: Classification, b: Classification): boolean {
  return a.class === b.class && a.actor === b.actor && a.target === b.target && a.evidence === b.evidence && a.family === b.family
    && ('family' in a) === ('family' in b);
}

/** longer alert messages and request texts are classified record by record (a shape per text would rarely be met again) */
const MAX_SHAPE_MESSAGE = 200;
const MAX_SHAPE_DETAIL = 32;

/** The record's classification from its shape's, or null when the record has a payload, long text, odd addresses or a shape the cache cannot hold. */
function classifyByShape(rec: ExtractedRecord): Classification | null {
  if (rec.payload !== undefined) return null;
  if (rec.signature !== undefined && rec.signature.message !== undefined && rec.signature.message.length > MAX_SHAPE_MESSAGE) return null;
  if (rec.detail !== undefined && rec.detail.length > MAX_SHAPE_DETAIL) return null;
  if ((rec.src !== null && !isPlainAddress(rec.src)) || (rec.dst !== null && !isPlainAddress(rec.dst))) return null;
  const h = shapeHash(rec);
  const first = shapeTable.get(h) ?? null;
  let entry = first;
  while (entry !== null && !isShapeOf(entry, rec)) entry = entry.next;
  if (entry === null) {
    if (shapeCount >= MAX_SHAPES || fieldIds.size >= MAX_SHAPES) {
      shapeTable.clear();
      fieldIds.clear();
      shapeCount = 0;
      return classifyByShape(rec);
    }
    entry = {
      source: ownCopyOf(rec.source), hasSignature: rec.signature !== undefined, message: ownCopyOf(rec.signature?.message), detail: ownCopyOf(rec.detail),
      dgmLen: rec.dgmLen, payloadLen: rec.payloadLen, discarded: rec.discarded, proto: ownCopyOf(rec.proto), dir: ownCopyOf(rec.dir),
      totalsOnly: rec.totalsOnly, singlePacket: rec.singlePacket, srcPkts: rec.srcPkts, dstPkts: rec.dstPkts, srcBytes: rec.srcBytes, dstBytes: rec.dstBytes,
      srcFlags: ownCopyOf(rec.srcFlags), dstFlags: ownCopyOf(rec.dstFlags), state: ownCopyOf(rec.state), icmpType: rec.icmpType,
      slammerPort: rec.dport === 1434, hasSrc: rec.src !== null, hasDst: rec.dst !== null,
      shape: learnShape(rec), next: first,
    };
    shapeTable.set(h, entry);
    shapeCount++;
  }
  const shape = entry.shape;
  return shape === null ? null : fromShape(shape, rec);
}

/** The shape's classification from the record with stand-ins for its addresses, if it gives the record's own. */
function learnShape(rec: ExtractedRecord): ShapeClass | null {
  let own: Classification;
  let stood: Classification;
  const src = rec.src === null ? null : SRC_STAND_IN;
  const dst = rec.dst === null ? null : DST_STAND_IN;
  try {
    own = classifyUnsafe(rec);
    stood = classifyUnsafe({ ...rec, src, dst });
  } catch {
    return null;
  }
  const actor = sideOf(stood.actor, rec, src, dst);
  const target = sideOf(stood.target, rec, src, dst);
  if (actor < 0 || target < 0) return null;
  const named = stood.evidence.includes(SRC_STAND_IN) || stood.evidence.includes(DST_STAND_IN);
  const shape: ShapeClass = {
    class: stood.class,
    actor: actor as 0 | 1 | 2,
    target: target as 0 | 1 | 2,
    evidence: named ? null : stood.evidence,
    pieces: named ? stood.evidence.split(STAND_INS).filter((p) => p !== '') : null,
    family: stood.family,
  };
  return sameClassification(fromShape(shape, rec), own) ? shape : null;
}
