// Hand-built observations shaped like the seed post (11 Argus records and 1 Snort alert quoted from
// Russell Fulton, auckland.ac.nz, inside Matthew Collins' reply), classified by the real classifier.
import { buildObservation } from '../../src/analyze/post.js';
import { classifyRecord } from '../../src/classify/classify.js';
import type { Observation, Party, Post } from '../../src/contract.js';
import type { ExtractedRecord } from '../../src/extract/types.js';
import type { ProseStatement, Question } from '../../src/correlate/types.js';

export const RUSSELL: Party = { name: 'Russell Fulton', address: 'r.fulton@auckland.ac.nz', org: 'auckland.ac.nz' };
export const MATTHEW: Party = { name: 'Matthew Collins', address: 'Matthew.Collins@northernregistrars.co.uk', org: 'northernregistrars.co.uk' };
export const SEED_POST = 'seed-post@northernregistrars.co.uk';
export const SEED_THREAD = 'code red variants?';

const ARGUS_ROWS: ReadonlyArray<readonly [string, string, number, string, number, number, number, number, string]> = [
  ['2001-09-06T07:10:23+12:00', '130.67.240.225', 1450, '130.216.223.150', 80, 1, 1, 1460, 'A_RPA'],
  ['2001-09-06T00:02:34+12:00', '130.67.216.237', 3339, '130.216.246.91', 80, 1, 0, 1460, 'A_'],
  ['2001-09-06T00:04:27+12:00', '130.67.216.237', 3955, '130.216.145.172', 80, 2, 0, 2920, 'A_'],
  ['2001-09-06T00:06:58+12:00', '130.67.216.237', 3339, '130.216.246.91', 80, 1, 0, 2920, 'A_'],
  ['2001-09-06T00:17:00+12:00', '130.67.114.61', 2124, '130.216.213.213', 80, 1, 0, 1460, 'A_'],
  ['2001-09-06T00:58:01+12:00', '130.67.10.87', 1922, '130.216.78.223', 80, 1, 0, 1460, 'A_'],
  ['2001-09-06T01:08:47+12:00', '130.67.240.131', 3281, '130.216.185.75', 80, 1, 1, 1460, 'A_R'],
  ['2001-09-06T01:23:10+12:00', '130.67.58.251', 3371, '130.216.187.210', 80, 1, 0, 1460, 'A_'],
  ['2001-09-06T01:28:38+12:00', '130.67.118.172', 4396, '130.216.149.34', 80, 2, 0, 2920, 'A_'],
  ['2001-09-06T01:28:59+12:00', '130.67.229.89', 2904, '130.216.51.74', 80, 1, 0, 1460, 'A_'],
  ['2001-09-06T01:33:50+12:00', '130.67.118.172', 3032, '130.216.72.91', 80, 1, 0, 1460, 'A_'],
];

function toObservation(rec: ExtractedRecord, id: string, time: string, post: string, reporter: Party, quoted: boolean): Observation {
  return buildObservation(rec, classifyRecord(rec), { id, post, reporter, quoted, line: rec.line + 1, time });
}

export function argusRecord(row: (typeof ARGUS_ROWS)[number], line: number): ExtractedRecord {
  const [, src, sport, dst, dport, sp, dp, sb, state] = row;
  const [sf, df] = state.split('_') as [string, string];
  return {
    source: 'argus',
    format: 'argus-ra',
    line,
    lineCount: 2,
    time: null,
    proto: 'tcp',
    src,
    sport,
    dst,
    dport,
    dir: '?>',
    srcPkts: sp,
    dstPkts: dp,
    srcBytes: sb,
    dstBytes: 0,
    srcFlags: sf,
    dstFlags: df,
    state,
  };
}

export function seedAlertRecord(): ExtractedRecord {
  return {
    source: 'snort',
    format: 'snort-full',
    line: 10,
    lineCount: 14,
    time: { month: 9, day: 6, hour: 7, minute: 10, second: 23, fraction: '613276' },
    proto: 'tcp',
    src: '130.67.240.225',
    sport: 1450,
    dst: '130.216.223.150',
    dport: 80,
    dir: null,
    srcPkts: null,
    dstPkts: null,
    srcBytes: null,
    dstBytes: null,
    srcFlags: 'A',
    dstFlags: null,
    state: null,
    singlePacket: true,
    dgmLen: 1500,
    signature: { message: 'WEB-IIS cmd.exe access' },
    payload: { bytes: 144, strings: ['loseHandle', '_lcreat', '_lwrite', '_lclose', 'GetSystemTime', 'WS2_32.DL'] },
  };
}

/** The seed post's observations: obs-a1 (the Snort alert), obs-r1 … obs-r11 (Argus), all quoted, reporter Russell. */
export function seedObservations(post = SEED_POST, prefix = 'obs'): Observation[] {
  const out: Observation[] = [toObservation(seedAlertRecord(), `${prefix}-a1`, '2001-09-06T07:10:23.613+12:00', post, RUSSELL, true)];
  ARGUS_ROWS.forEach((row, i) => {
    out.push(toObservation(argusRecord(row, 30 + i * 2), `${prefix}-r${i + 1}`, row[0], post, RUSSELL, true));
  });
  return out;
}

export function seedPost(): Post {
  return {
    id: SEED_POST,
    thread: SEED_THREAD,
    subject: 'Re: Code red variants?',
    date: '2001-09-06T10:49:20+01:00',
    from: MATTHEW,
    observations: seedObservations().map((o) => o.id),
  };
}

export const MATTHEW_QUOTE =
  "I've seen this as well. I noticed it because the alert was occuring on IP addresses in our range that are not currently in use.";

export function seedStatement(): ProseStatement {
  return {
    post: SEED_POST,
    thread: SEED_THREAD,
    org: 'northernregistrars.co.uk',
    quote: MATTHEW_QUOTE,
    polarity: 'same',
    details: ['unused-addresses', 'no-handshake'],
    via: 'rule',
  };
}

export function seedQuestion(): Question {
  return { post: SEED_POST, thread: SEED_THREAD, text: 'Any idea what is going on?' };
}
