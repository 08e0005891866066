// One-line-per-packet logs (tcpdump, netfilter) show a conversation as several lines. Alone, each
// line is "unknown" (nothing shows whether the other end answered); together they are a flow:
// the first packet's sender is the originator, and the other side's packets are its answer.
// Pure and linear: one pass with a map keyed by protocol and the two address:port ends.

import type { ExtractedRecord, RecordTime } from '../extract/types.js';
import { normalizeFlags } from '../extract/flags.js';
import { classifyRecord, type Classification } from './classify.js';

/** packets further apart than this start a new conversation */
export const CONVERSATION_GAP_S = 120;

const ALERT_SOURCES = new Set(['snort', 'suricata']);

/** A packet line; one end may be an address the poster hid, keyed by its port and the other end. */
function isLogPacket(r: ExtractedRecord): boolean {
  return r.singlePacket === true && r.signature === undefined && !ALERT_SOURCES.has(String(r.source)) && (!!r.src || !!r.dst);
}

function seconds(t: RecordTime | null): number | null {
  if (!t) return null;
  if (t.epoch !== undefined) return t.epoch;
  const frac = t.fraction ? Number(`0.${t.fraction}`) : 0;
  const day = (t.month ?? 0) * 31 + (t.day ?? 0);
  return day * 86400 + t.hour * 3600 + t.minute * 60 + t.second + frac;
}

function endKey(addr: string | null, port: number | null): string {
  return `${(addr ?? '').toLowerCase()}:${port ?? ''}`;
}

function conversationKey(r: ExtractedRecord): string {
  const a = endKey(r.src, r.sport);
  const b = endKey(r.dst, r.dport);
  return `${(r.proto ?? '').toLowerCase()}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
}

function packetBytes(r: ExtractedRecord): number | null {
  if (r.dgmLen !== undefined) return r.dgmLen;
  if (r.payloadLen !== undefined) return r.payloadLen + 40;
  return null;
}

interface Conversation {
  members: number[];
  last: number | null;
}

/** The packets of one conversation merged into one flow record, originator = first sender. */
export function mergePackets(packets: readonly ExtractedRecord[]): ExtractedRecord {
  const first = packets[0] as ExtractedRecord;
  const origEnd = endKey(first.src, first.sport);
  let srcFlags = '';
  let dstFlags = '';
  let srcPkts = 0;
  let dstPkts = 0;
  let srcBytes: number | null = 0;
  let dstBytes: number | null = 0;
  let icmpType = first.icmpType;
  for (const p of packets) {
    const fromOrig = endKey(p.src, p.sport) === origEnd;
    const bytes = packetBytes(p);
    if (fromOrig) {
      srcFlags += p.srcFlags ?? '';
      srcPkts++;
      srcBytes = srcBytes === null || bytes === null ? null : srcBytes + bytes;
    } else {
      dstFlags += p.srcFlags ?? '';
      dstPkts++;
      dstBytes = dstBytes === null || bytes === null ? null : dstBytes + bytes;
    }
    if (icmpType === undefined && p.icmpType !== undefined) icmpType = p.icmpType;
  }
  const tcp = (first.proto ?? '').toLowerCase() === 'tcp';
  const merged: ExtractedRecord = {
    ...first,
    singlePacket: false,
    lineCount: packets.reduce((n, p) => Math.max(n, p.line + p.lineCount), 0) - first.line,
    dir: null,
    srcPkts,
    dstPkts,
    srcBytes,
    dstBytes,
    srcFlags: tcp ? normalizeFlags(srcFlags) : null,
    dstFlags: tcp ? normalizeFlags(dstFlags) : null,
    state: null,
  };
  if (icmpType !== undefined) merged.icmpType = icmpType;
  return merged;
}

/** one sender's lone SYN-ACKs or resets, or one target's from several senders, with no SYN seen, are backscatter */
const MIN_LONE_REPLIES = 2;

function isReplyOnly(r: ExtractedRecord): boolean {
  if ((r.proto ?? '').toLowerCase() !== 'tcp' || !r.srcFlags) return false;
  const f = normalizeFlags(r.srcFlags);
  return f === 'SA' || f === 'R' || f === 'RA';
}

/** lone SYN-ACKs or resets counted by their sender and, apart, by the address they were sent to */
function loneReplies(records: readonly ExtractedRecord[], conversations: readonly Conversation[]): { bySender: Map<string, number>; byTarget: Map<string, number> } {
  const bySender = new Map<string, number>();
  const byTarget = new Map<string, number>();
  for (const c of conversations) {
    if (c.members.length !== 1) continue;
    const r = records[c.members[0] as number] as ExtractedRecord;
    if (!isReplyOnly(r)) continue;
    if (r.src) bySender.set(r.src, (bySender.get(r.src) ?? 0) + 1);
    if (r.dst) byTarget.set(r.dst, (byTarget.get(r.dst) ?? 0) + 1);
  }
  return { bySender, byTarget };
}

/**
 * Classifies the records of one block, reading one-line-per-packet logs of the same conversation
 * together. Returns one Classification per record, in order. Alerts and flow records are classified
 * on their own (alerts join flow records later, in join.ts).
 */
export function classifyConversations(records: readonly ExtractedRecord[]): Classification[] {
  const out = classifyPacketConversations(records);
  return records.map((r, i) => out[i] ?? classifyRecord(r));
}

/**
 * classifyConversations for the records read together with others (packet lines of one
 * conversation, packets printed twice, lone replies); undefined where a record is classified on
 * its own, by classifyRecord. A caller that classifies those as it uses them keeps no
 * Classification per record alive (a 100,000-line paste is 100,000 records of that kind).
 */
export function classifyPacketConversations(records: readonly ExtractedRecord[]): Array<Classification | undefined> {
  const out: Array<Classification | undefined> = new Array(records.length);
  const open = new Map<string, Conversation>();
  const conversations: Conversation[] = [];
  // a packet printed twice (tcpdump, then tcpdump -v of the same capture): same sender, same
  // endpoints, same time to the fraction of a second. It is one packet, counted once.
  const printed = new Map<string, number>();
  const repeatOf = new Map<number, number>();
  records.forEach((r, i) => {
    if (!isLogPacket(r)) return;
    const key = conversationKey(r);
    const t = seconds(r.time);
    if (t !== null && r.time?.fraction) {
      const packetKey = `${key}|${endKey(r.src, r.sport)}|${t}`;
      const earlier = printed.get(packetKey);
      if (earlier !== undefined) {
        repeatOf.set(i, earlier);
        return;
      }
      printed.set(packetKey, i);
    }
    let c = open.get(key);
    if (c && c.last !== null && t !== null && Math.abs(t - c.last) > CONVERSATION_GAP_S) c = undefined;
    if (!c) {
      c = { members: [], last: t };
      open.set(key, c);
      conversations.push(c);
    }
    c.members.push(i);
    if (t !== null) c.last = t;
  });
  const lone = loneReplies(records, conversations);
  for (const c of conversations) {
    if (c.members.length < 2) {
      const i = c.members[0] as number;
      const r = records[i] as ExtractedRecord;
      if (!isReplyOnly(r)) continue;
      const fromSender = r.src ? (lone.bySender.get(r.src) ?? 0) : 0;
      const toTarget = r.dst ? (lone.byTarget.get(r.dst) ?? 0) : 0;
      // many hosts answering one address that sent them no SYN: that address was spoofed by someone else
      const why =
        fromSender >= MIN_LONE_REPLIES
          ? `${fromSender} lone replies from ${r.src} in these lines and no SYN from any of their targets`
          : toTarget >= MIN_LONE_REPLIES
            ? `${toTarget} lone replies to ${r.dst} in these lines and no SYN from ${r.dst}`
            : null;
      if (why) {
        const flow = classifyRecord(mergePackets([r]));
        out[i] = { ...flow, evidence: `${why}: ${flow.evidence.charAt(0).toLowerCase()}${flow.evidence.slice(1)}` };
      }
      continue;
    }
    const packets = c.members.map((i) => records[i] as ExtractedRecord);
    const flow = classifyRecord(mergePackets(packets));
    const where = `${packets.length} packets of one conversation`;
    for (const i of c.members) {
      const own = classifyRecord(records[i] as ExtractedRecord);
      const cls: Classification = {
        class: flow.class,
        actor: flow.actor,
        target: flow.target,
        evidence: `${where}, read together: ${flow.evidence.charAt(0).toLowerCase()}${flow.evidence.slice(1)}`,
      };
      const family = own.family ?? flow.family;
      if (family) cls.family = family;
      out[i] = cls;
    }
  }
  for (const [i, j] of repeatOf) {
    const original = out[j] ?? classifyRecord(records[j] as ExtractedRecord);
    out[i] = {
      ...original,
      evidence: `the same packet as an earlier line, printed again (same endpoints, same time to the fraction of a second): ${original.evidence.charAt(0).toLowerCase()}${original.evidence.slice(1)}`,
    };
  }
  return out;
}
