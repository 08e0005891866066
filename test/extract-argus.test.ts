import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractArgus } from '../src/extract/argus.js';
import { flagsFromState, parseAddr, parseTimeAt, servicePort } from '../src/extract/argus-fields.js';
import type { ExtractedRecord } from '../src/extract/types.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'argus');
const lines = (rel: string): string[] => readFileSync(join(DIR, rel), 'utf8').split('\n');
const ra = (name: string): ExtractedRecord[] => extractArgus(lines(`ra/${name}.txt`));

/**
 * The 20 records argus makes of fixtures/argus/all-classes.pcap (see craft.py), written down from
 * the packets: who sent what, how many packets and wire bytes each way, and what each ra
 * status option prints for it.
 */
interface Flow {
  at: [number, number, number, string]; // h, m, s, fraction
  proto: string;
  src: string;
  sport: number | null;
  dir: string;
  dst: string;
  dport: number | null;
  counts: [number, number, number, number]; // spkts dpkts sbytes dbytes
  state: string; // default State column
  zb: string; // -Z b
  zs: string; // -Z s ('' = column left empty)
  zd: string; // -Z d
  z: string; // -z
  icmp?: [number, number];
}
const tcp = (
  at: Flow['at'], src: string, sport: number, dir: string, dst: string, dport: number,
  counts: Flow['counts'], state: string, zb: string, zs: string, zd: string, z: string,
): Flow => ({ at, proto: 'tcp', src, sport, dir, dst, dport, counts, state, zb, zs, zd, z });
const other = (
  at: Flow['at'], proto: string, src: string, sport: number | null, dir: string, dst: string, dport: number | null,
  counts: Flow['counts'], state: string, icmp?: [number, number],
): Flow => {
  const f: Flow = { at, proto, src, sport, dir, dst, dport, counts, state, zb: state, zs: state, zd: state, z: state };
  if (icmp) f.icmp = icmp;
  return f;
};
const T = (m: number, s: number, frac = '000000'): Flow['at'] => [7, m, s, frac];

const FLOWS: Flow[] = [
  tcp(T(10, 23), '192.0.2.10', 40000, '->', '198.51.100.20', 80, [5, 4, 288, 240], 'FIN', 'FSPA_FSPA', 'FSPA', 'FSPA', 'sSEfF'),
  tcp(T(10, 33), '203.0.113.5', 1025, '->', '192.0.2.30', 80, [2, 0, 108, 0], 'REQ', 'S_', 'S', '', 's'),
  tcp(T(10, 43), '203.0.113.6', 1026, '->', '192.0.2.31', 23, [1, 1, 54, 54], 'RST', 'S_RA', 'S', 'RA', 'sR'),
  tcp(T(10, 53), '130.67.216.237', 3339, '?>', '130.216.246.91', 80, [1, 0, 1514, 0], 'CON', 'A_', 'A', '', 'E'),
  tcp(T(11, 3), '130.67.240.131', 3281, '<?>', '130.216.185.75', 80, [1, 1, 1514, 54], 'RST', 'A_R', 'A', 'R', 'ER'),
  tcp(T(11, 13), '130.67.240.225', 1450, '<?>', '130.216.223.150', 80, [1, 2, 1514, 136], 'RST', 'A_RPA', 'A', 'RPA', 'ER'),
  tcp(T(11, 23), '192.0.2.40', 80, '->', '203.0.113.50', 31337, [2, 0, 108, 0], 'ACC', 'SA_', 'SA', '', 'S'),
  tcp(T(11, 33), '192.0.2.41', 80, '?>', '203.0.113.51', 2000, [1, 0, 54, 0], 'RST', 'RA_', 'RA', '', 'R'),
  tcp(T(11, 43), '203.0.113.66', 45001, '?>', '192.0.2.50', 21, [1, 0, 54, 0], 'FIN', 'F_', 'F', '', 'f'),
  tcp(T(11, 53), '203.0.113.66', 45002, '?>', '192.0.2.50', 22, [1, 0, 54, 0], 'CON', '_', '', '', 'E'),
  tcp(T(12, 3), '203.0.113.66', 45003, '?>', '192.0.2.50', 23, [1, 0, 54, 0], 'CON', 'FS_', 'FS', '', 'E'),
  tcp(T(12, 13), '203.0.113.66', 45004, '?>', '192.0.2.50', 25, [1, 0, 54, 0], 'CON', 'FPU_', 'FPU', '', 'E'),
  other(T(12, 23), 'udp', '203.0.113.77', 1035, '->', '192.0.2.60', 1434, [1, 0, 418, 0], 'INT'),
  other(T(12, 33), 'udp', '192.0.2.10', 53000, '<->', '198.51.100.53', 53, [1, 1, 74, 90], 'CON'),
  other(T(12, 43), 'icmp', '203.0.113.88', null, '->', '192.0.2.70', null, [1, 0, 98, 0], 'ECO', [8, 0]),
  other(T(12, 53), 'icmp', '192.0.2.10', null, '<->', '198.51.100.1', null, [1, 1, 98, 98], 'ECO', [8, 0]),
  other(T(13, 3), 'udp', '203.0.113.78', 40001, '->', '192.0.2.61', 33434, [1, 0, 54, 0], 'INT'),
  other(T(13, 3, '010000'), 'icmp', '192.0.2.61', null, '->', '203.0.113.78', null, [1, 0, 70, 0], 'URP', [3, 3]),
  other(T(13, 13), 'icmp', '198.51.100.254', null, '->', '192.0.2.10', null, [1, 0, 70, 0], 'TXD', [11, 0]),
  other(T(13, 23), 'icmp', '198.51.100.254', null, '->', '192.0.2.11', null, [1, 0, 70, 0], 'URH', [3, 1]),
];

type StateMode = 'word' | 'zb' | 'zb-cut5' | 'zs' | 'zd' | 'z';
type CountMode = 'split' | 'totals' | 'pkts-split';
type TimeMode = 'clock' | 'clock-s' | 'epoch' | 'dmy' | 'wmd' | 'ymd' | 'iso';

interface Layout {
  format?: 'argus-ra' | 'argus-csv' | 'argus-xml';
  /** ra 3.0.8's XML prints no usable Dir attribute */
  noDir?: true;
  counts: CountMode;
  state: StateMode;
  time: TimeMode;
}

function expectedState(f: Flow, mode: StateMode): string | null {
  const v = mode === 'word' ? f.state : mode === 'zb' ? f.zb : mode === 'zb-cut5' ? f.zb : mode === 'zs' ? f.zs : mode === 'zd' ? f.zd : f.z;
  if (v === '') return null;
  // ra's default State column is 5 wide and marks a cut value with '*'
  if (mode === 'zb-cut5' && v.length > 5) return `${v.slice(0, 4)}*`;
  return v;
}

function expectedFlags(f: Flow, mode: StateMode): [string | null, string | null] {
  if (f.proto !== 'tcp') return [null, null];
  switch (mode) {
    case 'zb':
    case 'zb-cut5': {
      const [s, d] = f.zb.split('_') as [string, string];
      if (mode === 'zb-cut5' && f.zb.length > 5) return [f.zb.slice(0, 4), null];
      return [s, d];
    }
    case 'zs': return f.zs === '' ? [null, null] : [f.zs, null];
    case 'zd': return f.zd === '' ? [null, null] : [null, f.zd];
    default: return [null, null];
  }
}

function check(recs: ExtractedRecord[], layout: Layout): void {
  expect(recs).toHaveLength(FLOWS.length);
  recs.forEach((r, n) => {
    const f = FLOWS[n] as Flow;
    const what = `record ${n} (${f.src} ${f.dir} ${f.dst})`;
    expect(r.source, what).toBe('argus');
    expect(r.format, what).toBe(layout.format ?? 'argus-ra');
    expect(r.proto, what).toBe(f.proto);
    expect(r.src, what).toBe(f.src);
    expect(r.sport, what).toBe(f.sport);
    expect(r.dst, what).toBe(f.dst);
    expect(r.dport, what).toBe(f.dport);
    expect(r.dir, what).toBe(layout.noDir ? null : f.dir);
    const [sp, dp, sb, db] = f.counts;
    if (layout.counts === 'split') {
      expect([r.srcPkts, r.dstPkts, r.srcBytes, r.dstBytes], what).toEqual([sp, dp, sb, db]);
      expect(r.totalsOnly, what).toBeUndefined();
    } else if (layout.counts === 'pkts-split') {
      expect([r.srcPkts, r.dstPkts, r.srcBytes, r.dstBytes], what).toEqual([sp, dp, null, null]);
    } else {
      expect([r.srcPkts, r.dstPkts, r.srcBytes, r.dstBytes], what).toEqual([sp + dp, null, sb + db, null]);
      expect(r.totalsOnly, what).toBe(true);
    }
    expect(r.state, what).toBe(expectedState(f, layout.state));
    const [sf, df] = expectedFlags(f, layout.state);
    expect(r.srcFlags, what).toBe(sf);
    expect(r.dstFlags, what).toBe(df);
    if (f.icmp) {
      expect([r.icmpType, r.icmpCode], what).toEqual(f.icmp);
    } else {
      expect(r.icmpType, what).toBeUndefined();
    }
    const [h, m, s, frac] = f.at;
    const t = r.time;
    expect(t, what).not.toBeNull();
    expect([t?.hour, t?.minute, t?.second], what).toEqual([h, m, s]);
    switch (layout.time) {
      case 'clock': expect(t, what).toEqual({ hour: h, minute: m, second: s, fraction: frac }); break;
      case 'clock-s': expect(t, what).toEqual({ hour: h, minute: m, second: s }); break;
      case 'epoch': {
        const epoch = Date.UTC(2001, 8, 6, h, m, s) / 1000;
        expect(t, what).toEqual({ year: 2001, month: 9, day: 6, hour: h, minute: m, second: s, epoch, fraction: frac });
        break;
      }
      case 'dmy':
      case 'ymd': expect(t, what).toEqual({ year: 2001, month: 9, day: 6, hour: h, minute: m, second: s }); break;
      case 'wmd': expect(t, what).toEqual({ month: 9, day: 6, hour: h, minute: m, second: s }); break;
      case 'iso': expect(t, what).toEqual({ year: 2001, month: 9, day: 6, hour: h, minute: m, second: s, fraction: frac }); break;
    }
    expect(r.line, what).toBeGreaterThanOrEqual(0);
  });
}

describe('real ra output of the crafted pcap, layout by layout', () => {
  const layouts: Array<[string, Layout]> = [
    ['default', { counts: 'totals', state: 'word', time: 'clock' }],
    ['n', { counts: 'totals', state: 'word', time: 'clock' }],
    ['n-Zb', { counts: 'totals', state: 'zb-cut5', time: 'clock' }],
    ['Zs', { counts: 'totals', state: 'zs', time: 'clock' }],
    ['z', { counts: 'totals', state: 'z', time: 'clock' }],
    ['u', { counts: 'totals', state: 'word', time: 'epoch' }],
    ['p0', { counts: 'totals', state: 'word', time: 'clock-s' }],
    ['H', { counts: 'totals', state: 'word', time: 'clock' }],
    ['no-header', { counts: 'totals', state: 'word', time: 'clock' }],
    ['no-header-n-Zb', { counts: 'totals', state: 'zb-cut5', time: 'clock' }],
    ['csv', { format: 'argus-csv', counts: 'totals', state: 'word', time: 'clock' }],
    ['csv-n-Zb', { format: 'argus-csv', counts: 'totals', state: 'zb', time: 'clock' }],
    ['csv-long', { format: 'argus-csv', counts: 'totals', state: 'zb', time: 'clock' }],
    ['csv-long-wrapped80', { format: 'argus-csv', counts: 'totals', state: 'zb', time: 'clock' }],
    ['csv-u-no-header', { format: 'argus-csv', counts: 'totals', state: 'word', time: 'epoch' }],
    ['csv-long-no-header', { format: 'argus-csv', counts: 'totals', state: 'zb', time: 'clock' }],
    ['csv-long-no-header-wrapped80', { format: 'argus-csv', counts: 'totals', state: 'zb', time: 'clock' }],
    ['udata', { counts: 'totals', state: 'zb-cut5', time: 'clock' }],
    ['udata-no-header', { counts: 'totals', state: 'zb-cut5', time: 'clock' }],
    ['fields', { counts: 'split', state: 'word', time: 'clock' }],
    ['fields-Zb', { counts: 'split', state: 'zb', time: 'clock' }],
    ['fields-no-header', { counts: 'split', state: 'zb', time: 'clock' }],
    ['totals', { counts: 'totals', state: 'word', time: 'clock' }],
    ['reordered', { counts: 'pkts-split', state: 'zb', time: 'clock' }],
    ['reordered-csv', { format: 'argus-csv', counts: 'pkts-split', state: 'zb', time: 'clock' }],
    ['seed-like', { counts: 'split', state: 'zb', time: 'dmy' }],
    ['seed-like-wrapped100', { counts: 'split', state: 'zb', time: 'dmy' }],
    ['seed-like-wrapped72', { counts: 'split', state: 'zb', time: 'dmy' }],
    ['time-dmy', { counts: 'totals', state: 'word', time: 'dmy' }],
    ['time-wmd', { counts: 'pkts-split', state: 'word', time: 'wmd' }],
    ['time-ymd', { counts: 'totals', state: 'word', time: 'ymd' }],
    ['xml', { format: 'argus-xml', noDir: true, counts: 'totals', state: 'zb', time: 'iso' }],
    ['xml-wrapped72', { format: 'argus-xml', noDir: true, counts: 'totals', state: 'zb', time: 'iso' }],
  ];
  for (const [name, layout] of layouts) {
    it(`${name}.txt`, () => check(ra(name), layout));
  }

  it('Zd.txt: bare flag letters go to the destination when the post shows `ra -Z d`', () => {
    const recs = extractArgus(['% ra -X -r all-classes.argus -Z d', ...lines('ra/Zd.txt')]);
    check(recs, { counts: 'totals', state: 'zd', time: 'clock' });
  });

  it('without such a command, bare -Z letters are read as the source side', () => {
    const recs = ra('Zd');
    expect(recs[2]?.state).toBe('RA');
    expect([recs[2]?.srcFlags, recs[2]?.dstFlags]).toEqual(['RA', null]);
  });

  it('man-records.txt (Debian ra.conf): management records skipped, ports swapped as printed', () => {
    const recs = ra('man-records');
    expect(recs).toHaveLength(FLOWS.length);
    expect(recs.some((r) => r.proto === 'man')).toBe(false);
    // RA_PORT_DIRECTION puts the well-known port on the right: the RST backscatter prints reversed
    const reversed = recs[7] as ExtractedRecord;
    expect([reversed.src, reversed.sport, reversed.dir, reversed.dst, reversed.dport])
      .toEqual(['203.0.113.51', 2000, '<?', '192.0.2.41', 80]);
    expect(reversed.state).toBe('RST');
    // `cisco*` and `ms-sq*` are service names cut by the column width
    expect(recs[12]?.dport).toBe(1434);
  });

  it('xml.txt: management records skipped, user data kept, wrapped elements joined', () => {
    const recs = ra('xml');
    expect(recs[5]?.detail).toBe('GET /scripts/..%255c../winnt/sys HTTP/1.0 400 Bad Request....');
    expect(recs.every((r) => r.lineCount === 1)).toBe(true);
    const wrapped = ra('xml-wrapped72');
    expect(wrapped.map((r) => r.detail)).toEqual(recs.map((r) => r.detail));
    expect(wrapped.some((r) => r.lineCount > 1)).toBe(true);
  });

  it('ipv6.txt and ipv6-csv.txt: colon-hex addresses with ports, ICMPv6 from its cut name', () => {
    for (const name of ['ipv6', 'ipv6-csv']) {
      const recs = ra(name);
      expect(recs.map((r) => [r.proto, r.src, r.sport, r.dir, r.dst, r.dport, r.srcPkts, r.srcBytes]), name).toEqual([
        ['tcp', '2001:db8::10', 40000, '->', '2001:db8:1::20', 80, 2, 148],
        ['udp', '2001:db8::10', 53001, '->', '2001:db8:1::20', 53, 1, 82],
        ['ipv6-icmp', '2001:db8::10', null, '<->', '2001:db8:1::20', null, 2, 124],
      ]);
      expect(recs[2]?.state).toBe('ECO');
    }
    expect(ra('ipv6')[0]).toMatchObject({ state: 'S_RA', srcFlags: 'S', dstFlags: 'RA' });
    expect(ra('ipv6-csv')[2]).toMatchObject({ icmpType: 128, icmpCode: 0 });
  });

  it('pkts-bytes.txt: a table of totals without addresses gives nothing', () => {
    expect(ra('pkts-bytes')).toEqual([]);
  });

  it('wrapped layouts report the lines each record spans', () => {
    const w72 = ra('seed-like-wrapped72');
    expect(w72[0]).toMatchObject({ line: 3, lineCount: 3 });
    const w100 = ra('seed-like-wrapped100');
    expect(w100[0]).toMatchObject({ line: 2, lineCount: 2 });
    const csv80 = ra('csv-long-wrapped80');
    expect(csv80[3]).toMatchObject({ line: 9, lineCount: 3 });
    for (const r of ra('fields')) expect(r.lineCount).toBe(1);
  });

  it('user data (CSV or blank-separated, with or without header) is kept as detail', () => {
    for (const name of ['csv-long', 'csv-long-no-header', 'csv-long-no-header-wrapped80', 'udata', 'udata-no-header']) {
      const recs = ra(name);
      expect(recs[3]?.detail, name).toBe('s[32]=GET /scripts/..%255c../winnt/sys');
      expect(recs[5]?.detail, name).toBe('s[32]=GET /scripts/..%255c../winnt/sys d[28]=HTTP/1.0 400 Bad Request....');
      expect(recs[1]?.detail, name).toBeUndefined();
    }
    const wrapped = ra('csv-long-wrapped80');
    expect(wrapped.map((r) => r.detail)).toEqual(ra('csv-long').map((r) => r.detail));
    const recs = ra('csv-long');
    expect(recs[3]?.detail).toBe('s[32]=GET /scripts/..%255c../winnt/sys');
    expect(recs[5]?.detail).toBe('s[32]=GET /scripts/..%255c../winnt/sys d[28]=HTTP/1.0 400 Bad Request....');
    expect(recs[1]?.detail).toBeUndefined();
  });
});

describe('the seed post', () => {
  const recs = extractArgus(lines('handwritten/seed-code-red-variants.txt'));

  it('gives exactly the 11 argus 2.x records, each joined with its wrapped state', () => {
    expect(recs).toHaveLength(11);
    for (const r of recs) {
      expect(r).toMatchObject({ source: 'argus', format: 'argus-ra', proto: 'tcp', dir: '?>', dport: 80, lineCount: 2 });
      expect(r.src?.startsWith('130.67.')).toBe(true);
      expect(r.dst?.startsWith('130.216.')).toBe(true);
      expect(r.time).toMatchObject({ year: 2001, month: 9, day: 6 });
    }
    expect(recs.map((r) => r.state)).toEqual(['A_RPA', 'A_', 'A_', 'A_', 'A_', 'A_', 'A_R', 'A_', 'A_', 'A_', 'A_']);
  });

  it('reads the 07:10:23 record exactly', () => {
    expect(recs[0]).toEqual({
      source: 'argus', format: 'argus-ra', line: 34, lineCount: 2,
      time: { year: 2001, month: 9, day: 6, hour: 7, minute: 10, second: 23 },
      proto: 'tcp', src: '130.67.240.225', sport: 1450, dst: '130.216.223.150', dport: 80, dir: '?>',
      srcPkts: 1, dstPkts: 1, srcBytes: 1460, dstBytes: 0, srcFlags: 'A', dstFlags: 'RPA', state: 'A_RPA',
    });
  });

  it('reads the A_R record at 01:08:47 and the unanswered ones', () => {
    const ar = recs.find((r) => r.state === 'A_R') as ExtractedRecord;
    expect(ar.time).toEqual({ year: 2001, month: 9, day: 6, hour: 1, minute: 8, second: 47 });
    expect([ar.src, ar.sport, ar.dst, ar.srcPkts, ar.dstPkts, ar.srcFlags, ar.dstFlags])
      .toEqual(['130.67.240.131', 3281, '130.216.185.75', 1, 1, 'A', 'R']);
    const unanswered = recs.filter((r) => r.state === 'A_');
    expect(unanswered).toHaveLength(9);
    for (const r of unanswered) expect([r.dstPkts, r.dstBytes, r.srcFlags, r.dstFlags]).toEqual([0, 0, 'A', '']);
    expect(recs[2]).toMatchObject({ src: '130.67.216.237', sport: 3955, dst: '130.216.145.172', srcPkts: 2, srcBytes: 2920 });
  });
});

describe('hand-written old layouts', () => {
  it('argus 1.x/2.x dates and direction marks', () => {
    const recs = extractArgus(lines('handwritten/argus2-old-layouts.txt'));
    expect(recs.map((r) => r.dir)).toEqual(['<|', '|>', 'o>', '<o>', '<->', '<?>', '<?', '<-', 'who', '->', '<->']);
    expect(recs.map((r) => r.state)).toEqual(['RST', 'RST', 'TIM', 'TIM', 'EST', 'CON', 'RST', 'ACC', 'INT', 'CLO', 'CON']);
    expect(recs[0]?.time).toEqual({ month: 12, day: 29, hour: 3, minute: 39, second: 5 });
    expect(recs[8]).toMatchObject({ proto: 'arp', src: '192.0.2.1', sport: null, dst: '192.0.2.5', dport: null });
    expect(recs[9]).toMatchObject({ srcPkts: 10, dstPkts: 8, srcBytes: 1192, dstBytes: 689 });
    expect(recs[0]).toMatchObject({ srcPkts: null, srcFlags: null, dstFlags: null, sport: 1048, dport: 23 });
  });

  it('management records are skipped, the flow between them is kept', () => {
    const recs = extractArgus(lines('handwritten/argus2-management.txt'));
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ line: 5, src: '192.0.2.5', dst: '198.51.100.7', dport: 80, state: 'FIN' });
  });

  it('service names and the ICMP udp_port pair', () => {
    const recs = extractArgus(lines('handwritten/argus2-icmp-services.txt'));
    expect(recs.map((r) => r.dport)).toEqual([80, 53, 21, null, null, null]);
    expect(recs[4]).toMatchObject({ proto: 'icmp', src: '198.51.100.1', dst: '192.0.2.5', state: 'URP', detail: 'udp_port 16556', srcPkts: null });
    expect(recs[5]).toMatchObject({ state: 'URP', detail: 'udp_port 16557', srcPkts: 1, dstPkts: 0, srcBytes: 70, dstBytes: 0 });
  });

  it('the man page layout: flags column letters, igmp, host names and who-has', () => {
    const recs = extractArgus(lines('handwritten/manpage-style.txt'));
    expect(recs.map((r) => [r.proto, r.src, r.sport, r.dir, r.dst, r.dport, r.state])).toEqual([
      ['tcp', '192.0.2.15', 6439, '->', '198.51.100.77', 23, 'CLO'],
      ['tcp', '192.0.2.15', 6200, '<|', '198.51.100.77', 25, 'RST'],
      ['igmp', '192.0.2.10', null, '<->', '224.0.0.22', null, 'CON'],
      ['tcp', '192.0.2.23', 1043, '<->', '192.0.2.27', 6000, 'TIM'],
      ['udp', '192.0.2.115', 2262, '->', '203.0.113.6', 139, 'INT'],
      ['icmp', '192.0.2.115', null, '<->', '198.51.100.127', null, 'ECO'],
      ['tcp', '192.0.2.15', 6440, '->', '198.51.100.77', 80, 'CLO'],
      ['arp', 'client.example.net', null, 'who-has', 'ns.example.net', null, 'INT'],
      ['udp', 'client.example.net', 1542, '<->', 'ns.example.net', 53, 'INT'],
      ['tcp', 'client.example.net', 1543, '->', 'mail.example.net', 25, 'CLO'],
    ]);
    expect(recs[0]?.time).toEqual({ month: 12, day: 29, hour: 6, minute: 40, second: 32 });
  });

  it('mail-wrapped records: state, counts and split addresses joined back', () => {
    const recs = extractArgus(lines('handwritten/mail-wrapped.txt'));
    expect(recs.map((r) => [r.line, r.lineCount, r.dst, r.srcPkts, r.srcBytes, r.state])).toEqual([
      [5, 2, '130.216.78.223', 1, 1460, 'A_'],
      [7, 2, '130.216.187.210', 1, 1460, 'A_'],
      [9, 2, '130.216.149.34', 2, 2920, 'A_'],
      [11, 2, '130.216.51.74', 1, 1460, 'A_'],
    ]);
  });

  it('masked addresses, prose, rule text and count tables give nothing', () => {
    expect(extractArgus(lines('handwritten/masked-and-prose.txt'))).toEqual([]);
  });

  it('records cut down to addresses, direction and state', () => {
    const recs = extractArgus(lines('handwritten/cut-columns.txt'));
    expect(recs.map((r) => [r.proto, r.src, r.sport, r.dir, r.dst, r.dport, r.state, r.srcFlags, r.dstFlags, r.time])).toEqual([
      [null, '130.67.216.237', 3339, '?>', '130.216.246.91', 80, 'A_', 'A', '', null],
      [null, '130.67.240.131', 3281, '?>', '130.216.185.75', 80, 'A_R', 'A', 'R', null],
      ['tcp', '203.0.113.5', 1025, '->', '192.0.2.30', 80, 'S_', 'S', '', null],
    ]);
  });
});

describe('details', () => {
  it('two-digit years: 70-99 are 19xx, 00-69 are 20xx', () => {
    const at = (yy: string) => extractArgus([`29 Dec ${yy} 03:39:05  tcp  192.0.2.5.1048 -> 198.51.100.7.80  RST`])[0]?.time?.year;
    expect(at('99')).toBe(1999);
    expect(at('01')).toBe(2001);
    expect(at('2003')).toBe(2003);
  });

  it('an IPv6 record with a port after the last dot', () => {
    const [r] = extractArgus(['07:10:23.000000  tcp  2001:db8::1.40000  ->  2001:db8::2.80  3  2  300  200  FIN']);
    expect(r).toMatchObject({ src: '2001:db8::1', sport: 40000, dst: '2001:db8::2', dport: 80, srcPkts: 3, state: 'FIN' });
  });

  it('a -Zs record whose state was cut to width keeps the letters it shows', () => {
    const [r] = extractArgus(['07:10:23.000000  tcp  192.0.2.10.40000  ->  198.51.100.20.80  9  528 FSPA*']);
    expect([r?.state, r?.srcFlags, r?.dstFlags]).toEqual(['FSPA*', 'FSPA', null]);
  });

  it('a -z record is not mistaken for flags unless the letters are flags', () => {
    const recs = extractArgus([
      '% ra -z -r x.argus',
      '07:10:23.000000  tcp  192.0.2.10.40000  ->  198.51.100.20.80  9  528 S',
    ]);
    expect([recs[0]?.state, recs[0]?.srcFlags]).toEqual(['S', null]);
  });

  it('-z letters in one block of output decide its bare letters, and only its own', () => {
    const rec = (t: string, host: number, state: string): string => `07:10:${t}.000000  tcp  192.0.2.${host}.40000  ->  198.51.100.20.80  9  528 ${state}`;
    const recs = extractArgus([
      rec('23', 10, 'S'), '', '', '',
      rec('24', 11, 'sSE'), rec('25', 12, 'S'), '', '', '',
      rec('26', 13, 'SA'), rec('27', 13, 'PA'),
    ]);
    expect(recs.map((r) => [r.line, r.state, r.srcFlags, r.dstFlags])).toEqual([
      [0, 'S', 'S', null],
      [4, 'sSE', null, null],
      [5, 'S', null, null],
      [9, 'SA', 'SA', null],
      [10, 'PA', 'PA', null],
    ]);
  });

  it("a poster's note after the state of a full record is ignored, not a reason to drop it", () => {
    const [r] = extractArgus(['06 Sep 01 07:10:23  tcp  130.67.240.225.1450  ?>  130.216.223.150.80  1  1  1460  0  A_RPA   <== this one']);
    expect(r).toMatchObject({ state: 'A_RPA', srcFlags: 'A', dstFlags: 'RPA', srcPkts: 1, srcBytes: 1460 });
    expect(r?.detail).toBeUndefined();
    // without time and protocol such a line stays prose
    expect(extractArgus(['130.67.240.225.1450  ?>  130.216.223.150.80  A_RPA  was the odd one'])).toEqual([]);
  });

  it('CRLF line ends read the same as LF, wrapped CSV included', () => {
    for (const name of ['csv-long-wrapped80', 'seed-like-wrapped72', 'reordered-csv']) {
      const lf = lines(`ra/${name}.txt`);
      expect(extractArgus(lf.map((l) => `${l}\r`)), name).toEqual(extractArgus(lf));
    }
  });

  it('lines over 4096 characters are not read, and nothing throws on odd input', () => {
    const long = `07:10:23 tcp 192.0.2.10.40000 -> 198.51.100.20.80 1 0 60 0 S_${' '.repeat(5000)}`;
    expect(extractArgus([long])).toEqual([]);
    expect(extractArgus(['', ' ', '->', '?> A_', 'tcp', '06 Sep 01', 'StartTime SrcAddr'])).toEqual([]);
  });
});

describe('argus-fields', () => {
  const time = (text: string) => parseTimeAt(text.split(' '), 0);
  it('reads every time shape ra prints, and how many tokens it took', () => {
    expect(time('07:10:23.613276')).toEqual({ time: { hour: 7, minute: 10, second: 23, fraction: '613276' }, consumed: 1 });
    expect(time('06 Sep 01 07:10:23')?.consumed).toBe(4);
    expect(time('Thu 12/29 03:39:05')).toEqual({ time: { month: 12, day: 29, hour: 3, minute: 39, second: 5 }, consumed: 3 });
    expect(time('12/29/99 03:39:05')?.time).toMatchObject({ year: 1999, month: 12, day: 29 });
    expect(time('2001-09-06 07:10:23')?.time).toMatchObject({ year: 2001, month: 9, day: 6 });
    expect(time('Sep 06 07:10:23')?.time).toMatchObject({ month: 9, day: 6, hour: 7 });
    expect(time('Thu Sep 06 07:10:23 2001')).toMatchObject({ time: { year: 2001 }, consumed: 5 });
    expect(time('999760223')?.time).toMatchObject({ year: 2001, month: 9, day: 6, hour: 7, minute: 10, second: 23, epoch: 999760223 });
    for (const bad of ['25:10:23', '07:61:00', '13/45 07:10:23', 'Thu 07:10:23', '1460', 'tcp']) expect(time(bad), bad).toBeNull();
  });

  it('maps service names, cut ones only when the protocol makes them unique', () => {
    expect(servicePort('http', 'tcp')).toBe(80);
    expect(servicePort('domain', 'udp')).toBe(53);
    expect(servicePort('cisco*', 'tcp')).toBe(2000);
    expect(servicePort('ms-sq*', 'udp')).toBe(1434);
    expect(servicePort('ms-sq*', 'tcp')).toBe(1433);
    expect(servicePort('ms-sq*', null)).toBeNull();
    expect(servicePort('no-such-service', 'tcp')).toBeNull();
  });

  it('tells addresses, ports, masked forms and host names apart', () => {
    expect(parseAddr('130.67.240.225.1450')).toEqual({ kind: 'addr', addr: '130.67.240.225', portText: '1450' });
    expect(parseAddr('192.0.2.61.0x0303')).toEqual({ kind: 'addr', addr: '192.0.2.61', portText: '0x0303' });
    expect(parseAddr('300.1.1.1.80')).toBeNull();
    for (const m of ['x.x.x.x', 'aaa.bbb.ccc.ddd.80', '130.216.x.x.80', '10.*.*.1']) expect(parseAddr(m), m).toEqual({ kind: 'masked' });
    expect(parseAddr('qosient.com.smtp')).toMatchObject({ addr: 'qosient.com', portText: 'smtp', host: true });
    expect(parseAddr('130.216.')).toBeNull();
  });

  it('reads -Z states into per-side flags and leaves state words alone', () => {
    const none = { zSide: null, lowerZ: false } as const;
    expect(flagsFromState('A_RPA', 'tcp', none)).toEqual({ srcFlags: 'A', dstFlags: 'RPA' });
    expect(flagsFromState('PAF_SRA', 'tcp', none)).toEqual({ srcFlags: 'FPA', dstFlags: 'SRA' });
    expect(flagsFromState('_RA', 'tcp', none)).toEqual({ srcFlags: '', dstFlags: 'RA' });
    expect(flagsFromState('FSPA*', 'tcp', none)).toEqual({ srcFlags: 'FSPA', dstFlags: null });
    expect(flagsFromState('RA', 'tcp', { zSide: 'd', lowerZ: false })).toEqual({ srcFlags: null, dstFlags: 'RA' });
    for (const s of ['CON', 'ACC', 'RST', 'sSEfF', 'E', 'ER']) expect(flagsFromState(s, 'tcp', none), s).toEqual({ srcFlags: null, dstFlags: null });
    expect(flagsFromState('A_', 'udp', none)).toEqual({ srcFlags: null, dstFlags: null });
  });
});
