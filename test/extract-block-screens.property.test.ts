// The whole-block screens (src/extract/screen.ts: blockLacksAll, blockLacksPacketArrows) let snort,
// suricata, zeek, netfilter and tcpdump skip a long block none of whose lines holds what their records
// need. They must be exact: with every block screened (blockScreens.minLines lowered to 1), every
// extractor and extractRecords give the same records as with all screens off; and a pasted argus
// log (what they are for) is skipped whole.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXTRACTORS as ALL_EXTRACTORS, extractRecords, extractRecordsArgusTo } from '../src/extract/index.js';
import { blockLacksAll, blockLacksPacketArrows, blockScreens, releaseBlockText, withoutScreens } from '../src/extract/screen.js';
import type { Extractor } from '../src/extract/types.js';
import { fixtureLines } from './helpers/fixture-files.js';

const EXTRACTORS: ReadonlyArray<readonly [string, Extractor]> = [...ALL_EXTRACTORS, ['all', (lines) => extractRecords(lines).records]];

function same(lines: readonly string[]): void {
  for (const [name, extract] of EXTRACTORS) {
    const screened = extract(lines);
    const full = withoutScreens(() => extract(lines));
    expect(screened, name).toEqual(full);
  }
}

const FIXTURES = fixtureLines('');
const POOL = FIXTURES.flat().filter((l) => l.trim() !== '');
/** argus ra lines as a paste prints them: `->`, `?>`, `<-`, `<?>` and a `*` in cut service names */
const ARGUS_LINES = [
  '   02:17:56.000000  e           tcp        141.3.118.2.1026      ->         193.3.6.16.telnet        2        108   RST',
  '   21:28:21.000000  e           tcp         141.8.4.22.http      ?>       141.4.115.27.cisco*        1         54   RST',
  '   00:22:52.000000  e           tcp     193.10.147.224.3339     <?>     141.241.163.53.http          1       1514   CON',
  '   22:07:10.000000  e s         udp        193.6.230.2.1025      <-         141.5.4.44.domain        2        108   INT',
];

/** a record of another kind that each literal alone lets through (a wrapped one on two lines) */
const OTHERS: string[][] = [
  ['Sep  6 07:10:23 ids1 snort[2231]: [1:1002:2] WEB-IIS cmd.exe access [Classification: Web Application Attack] [Priority: 1]: {TCP} 130.67.240.225:1450 -> 130.216.223.150:80'],
  ['09/06-07:10:23.613276  [\\*\\*] [1:1002:2] WEB-IIS cmd.exe access [\\*\\*] [Classification: Web Application Attack] [Priority: 1] {TCP} 130.67.240.225:1450 -> 130.216.223.150:80'],
  ['Nov 26 04:47:00 sensor suricata[2211]: [1:2001219:20] ET SCAN Potential SSH Scan [Classification: Attempted Information Leak] [Priority: 2] {TCP} 198.51.100.7:41000 -> 192.0.2.10:22'],
  ['{"timestamp":"2026-11-26T04:44:13.889486+0000","flow_id":1,"event_type":"alert","src_ip":"198.51.100.7","src_port":41000,"dest_ip":"192.0.2.10","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"rev":20,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}'],
  ['Apr  8 13:42:48 router kernel: Packet log: input DENY eth0 PROTO=6 198.51.100.51:4813 192.0.2.65:53 L=60 S=0x00 I=38376 F=0x4000 T=44 SYN (#32)'],
  ['Apr  8 13:42:48 router kernel: Packet* log: input DENY eth0 PROTO=6 198.51.100.51:4813 192.0.2.65:53 L=60 S=0x00 I=38376 F=0x4000 T=44 SYN (#32)'],
  ['Sep  6 07:10:24 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:e0:1e:8e:31:71:00:00:0c:46:5c:d1:08:00 SRC=198.51.100.7 DST=192.0.2.10 LEN=40 TOS=0x00 PREC=0x00 TTL=48 ID=100 PROTO=TCP SPT=41000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0'],
  ['07:10:23.010000 IP 198.51.100.7.41000 > 192.0.2.10.22: Flags [S], seq 1000, win 1024, length 0'],
  ['07:10:23.010000 198.51.100.7.41000 > 192.0.2.10.22: S 1000:1000(0) win 1024'],
  ['07:10:23.010000 198.51.100.7.41000 >', '192.0.2.10.22: S 1000:1000(0) win 1024'],
  ['999760231.000000  CazdYX2P9Ph3zFA7Gf  130.67.216.237  3339  130.216.246.91  80  tcp  -  -  1460  0  OTH  -  -  0  AD  1  1500  0  0  -'],
  ['   999760232.000000  CazdYX2P9Ph3zFA7Gg  130.67.216.237  3955  130.216.145.172  80  tcp  -  0.5  2920  0  OTH  -  -  0', '   AD  2  3000  0  0  -'],
  ['{"ts":999760231.0,"uid":"CazdYX2P9Ph3zFA7Gf","id.orig_h":"130.67.216.237","id.orig_p":3339,"id.resp_h":"130.216.246.91","id.resp_p":80,"proto":"tcp","conn_state":"S0","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":0,"resp_ip_bytes":0}'],
  ['#fields\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state', '130.67.216.237\t3339\t130.216.246.91\t80\ttcp\tS0'],
];

/**
 * What would make a line some other extractor's: each literal the block screens look for, pieces of
 * them, the characters around them (an arrow with blanks on either side, at a line's ends, after a
 * tab or a non-breaking space) and emphasis withoutEmphasis removes.
 */
const INSERTS = [
  '[**]', '[\\*\\*]', 'snort', 'snort[12]: ', 'suricata', 'suricata[7]: ', 'ricata', '{', '{"event_type":"alert"}', 'IN=', 'IN=eth0 ', 'Packet', 'Packet log:',
  'Packet* log:', '**IN=**', '*IN=eth0*', ' > ', '>', ' >', '> ', '\t>', '\u00a0>', '->', 'IP', 'IP (', 'I', 'P', '=', '*', ' ', '\t', 'kernel:',
];

describe('whole-block screens', () => {
  let minLines = 0;
  beforeEach(() => {
    minLines = blockScreens.minLines;
    blockScreens.minLines = 1;
  });
  afterEach(() => {
    blockScreens.minLines = minLines;
    releaseBlockText();
  });

  it('are exact on every fixture', () => {
    for (const lines of FIXTURES) same(lines);
  });

  it('are exact on argus pastes with another extractor\'s text put in at random', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.option(fc.tuple(fc.constantFrom(...INSERTS), fc.nat(), fc.boolean()), { freq: 3 })), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat(), { freq: 2 }),
        (rows, poolAt) => {
          const lines = rows.map(([k, insert]) => {
            const line = ARGUS_LINES[k] as string;
            if (insert === null) return line;
            const [piece, at, replace] = insert;
            const p = at % (line.length + 1);
            // put in, or put over the characters there (an arrow's `-`, the blanks before it)
            return line.slice(0, p) + piece + line.slice(replace ? Math.min(line.length, p + piece.length) : p);
          });
          // and now and then a record of another kind among them, or any fixture line
          if (poolAt !== null) {
            const put = poolAt % 3 === 0 ? [POOL[poolAt % POOL.length] as string] : (OTHERS[poolAt % OTHERS.length] as string[]);
            lines.splice(poolAt % (lines.length + 1), 0, ...put);
          }
          same(lines);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('are exact on runs of fixture lines', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 40 }), (start, n) => {
        const lines: string[] = [];
        for (let k = 0; k < n; k++) lines.push(POOL[(start + k) % POOL.length] as string);
        same(lines);
      }),
      { numRuns: 500 },
    );
  });
});

describe('a pasted argus log', () => {
  const paste = Array.from({ length: 400 }, (_, k) => ARGUS_LINES[k % ARGUS_LINES.length] as string);
  afterEach(() => releaseBlockText());

  it('is skipped whole by snort, suricata, zeek, netfilter and tcpdump (long enough at the default size)', () => {
    expect(paste.length).toBeGreaterThanOrEqual(blockScreens.minLines);
    expect(blockLacksAll(paste, ['[**]', '[\\*\\*]', 'snort'])).toBe(true);
    expect(blockLacksAll(paste, ['{', '[**]', 'ricata'])).toBe(true);
    expect(blockLacksAll(paste, ['IN=', 'Packet'])).toBe(true);
    expect(blockLacksPacketArrows(paste)).toBe(true);
    expect(blockLacksAll(paste, ['#', '{'])).toBe(true);
  });

  it('is read line by line once one line holds what an extractor needs', () => {
    const withLiteral = (s: string): string[] => paste.map((l, k) => (k === 200 ? `${l} ${s}` : l));
    expect(blockLacksAll(withLiteral('snort'), ['[**]', '[\\*\\*]', 'snort'])).toBe(false);
    expect(blockLacksAll(withLiteral('IN=eth0'), ['IN=', 'Packet'])).toBe(false);
    for (const s of ['a > b', '>', 'IP', 'x\t>']) expect(blockLacksPacketArrows(withLiteral(s)), s).toBe(false);
    // an arrow that opens a line
    expect(blockLacksPacketArrows(paste.map((l, k) => (k === 7 ? `> ${l}` : l)))).toBe(false);
    expect(blockLacksPacketArrows([`> ${paste[0] as string}`, ...paste])).toBe(false);
  });

  it('gives the records it gave before: argus\'s alone, and none of the others\'', () => {
    const argus: number[] = [];
    const ex = extractRecordsArgusTo(paste, (rec) => argus.push(rec.line));
    expect(ex.others).toEqual([]);
    expect(argus.length).toBe(paste.length);
    expect(withoutScreens(() => extractRecords(paste)).records.map((r) => r.line)).toEqual(argus);
  });

  it('still gives each other kind\'s record put in it', () => {
    for (const other of OTHERS) {
      const lines = [...paste.slice(0, 150), ...other, ...paste.slice(150)];
      const records = extractRecords(lines).records;
      expect(records, other[0]).toEqual(withoutScreens(() => extractRecords(lines)).records);
      expect(records.filter((r) => r.source !== 'argus').length, other[0]).toBe(1);
    }
  });

  it('still gives argus its XML records and its lines that open with a weekday (argus reads the joined text the others left)', () => {
    const wmd = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'argus', 'ra', 'time-wmd.txt'), 'latin1').split('\n');
    const rows = wmd.filter((l) => /^\s*Thu /.test(l));
    const xml = ' <ArgusFlowRecord  StartTime = "2001-09-06T07:10:33.000000" Flags = " e s     " Proto = "tcp" SrcAddr = "203.0.113.5" SrcPort = "1025" Dir" DstAddr = "192.0.2.30" DstPort = "http" Pkts = "2" Bytes = "108" State = "S_" SrcUserData = "" DstUserData = ""></ArgusFlowRecord>';
    const header = wmd.find((l) => l.includes('StartTime')) as string;
    const lines = [header, ...Array.from({ length: 300 }, (_, k) => rows[k % rows.length] as string), '', xml];
    expect(lines.length).toBeGreaterThanOrEqual(blockScreens.minLines);
    const records = extractRecords(lines).records;
    expect(records).toEqual(withoutScreens(() => extractRecords(lines)).records);
    expect(records.filter((r) => r.format === 'argus-ra').length).toBe(300);
    expect(records.filter((r) => r.format === 'argus-xml').length).toBe(1);
  });

  it('is screened over all of a block longer than the part joined at a time (4,096 lines)', () => {
    const long = Array.from({ length: 9000 }, (_, k) => ARGUS_LINES[k % ARGUS_LINES.length] as string);
    expect(blockLacksPacketArrows(long)).toBe(true);
    for (const other of OTHERS) {
      for (const at of [4095, 4096, 8999]) {
        const lines = [...long.slice(0, at), ...other, ...long.slice(at)];
        const records = extractRecords(lines).records;
        expect(records.filter((r) => r.source !== 'argus').length, `${other[0] as string} at ${at}`).toBe(1);
      }
    }
    // an arrow opening the first line of the second part
    expect(blockLacksPacketArrows(long.map((l, k) => (k === 4096 ? `> ${l}` : l)))).toBe(false);
  });

  it('is not screened with the screens off, nor below the size', () => {
    expect(withoutScreens(() => blockLacksPacketArrows(paste))).toBe(false);
    expect(blockLacksPacketArrows(paste.slice(0, blockScreens.minLines - 1))).toBe(false);
  });
});
