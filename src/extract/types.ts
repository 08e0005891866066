import type { Payload, Signature, Source } from '../contract.js';

/**
 * A timestamp as printed in a record. Log lines often lack the year or the zone;
 * the pipeline fills them from the post's Date: header (see resolveRecordTime).
 */
export interface RecordTime {
  year?: number; // four digits
  month?: number; // 1-12
  day?: number;
  hour: number;
  minute: number;
  second: number;
  /** fraction of a second as printed, e.g. "613276" */
  fraction?: string;
  /** minutes east of UTC, when the record prints a zone */
  offsetMinutes?: number;
  /** seconds since the epoch (argus -u), when printed that way */
  epoch?: number;
}

/**
 * One record as an extractor found it: what was printed, nothing inferred.
 * Classification and reporter attribution happen later.
 */
export interface ExtractedRecord {
  source: Source;
  /** concrete layout: snort-full, snort-fast, snort-syslog, argus-ra, argus-csv, tcpdump, ... */
  format: string;
  /** 0-based index of the snippet's first line in the lines handed to the extractor */
  line: number;
  /** number of input lines the snippet spans (a wrapped record spans several) */
  lineCount: number;
  time: RecordTime | null;
  proto: string | null;
  src: string | null;
  sport: number | null;
  dst: string | null;
  dport: number | null;
  dir: string | null;
  srcPkts: number | null;
  dstPkts: number | null;
  srcBytes: number | null;
  dstBytes: number | null;
  totalsOnly?: boolean;
  /** union of TCP flags (letters of FSRPAU) sent by src / by dst; for a single packet, its flags in srcFlags */
  srcFlags: string | null;
  dstFlags: string | null;
  state: string | null;
  signature?: Signature;
  payload?: Payload;
  /** single-packet records (an alert, a tcpdump line): true */
  singlePacket?: boolean;
  /** ICMP type/code where printed */
  icmpType?: number;
  icmpCode?: number;
  /** IP datagram length / TCP payload length where printed (decides "carries payload") */
  dgmLen?: number;
  payloadLen?: number;
  /** extra text that names a family: e.g. a URL in a Snort/Suricata alert, ra user data */
  detail?: string;
  /**
   * the logging firewall says it discarded the packet (a DROP/DENY/BLOCK log prefix, ipchains DENY),
   * so nothing came back from the target
   */
  discarded?: boolean;
}

/** An extractor reads a run of (already de-quoted) lines and returns what it recognised. Pure; never throws. */
export type Extractor = (lines: readonly string[]) => ExtractedRecord[];
