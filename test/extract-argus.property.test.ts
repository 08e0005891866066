import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARGUS_FIXTURES } from './helpers/argus-fixtures.js';
import ipaddr from 'ipaddr.js';
import { extractArgusUnguarded as extractArgus } from '../src/extract/argus.js';
import { normalizeFlags } from '../src/extract/flags.js';
import { withoutScreens } from '../src/extract/screen.js';
import type { ExtractedRecord } from '../src/extract/types.js';

const FIXTURES = ARGUS_FIXTURES;
const NAMES = [...FIXTURES.keys()];
const fixture = (name: string): string[] => FIXTURES.get(name) as string[];

/** What every record must satisfy, whatever the input. */
function checkRecords(lines: readonly string[], records: ExtractedRecord[]): void {
  let nextFree = 0;
  for (const r of records) {
    expect(r.source).toBe('argus');
    expect(['argus-ra', 'argus-csv', 'argus-xml']).toContain(r.format);
    expect(Number.isInteger(r.line)).toBe(true);
    expect(r.line).toBeGreaterThanOrEqual(nextFree); // in order, no overlap
    expect(r.lineCount).toBeGreaterThanOrEqual(1);
    expect(r.lineCount).toBeLessThanOrEqual(8);
    expect(r.line + r.lineCount).toBeLessThanOrEqual(lines.length);
    nextFree = r.line + r.lineCount;
    for (const a of [r.src, r.dst]) {
      expect(a).not.toBeNull();
      // an IP address, or a host name as ra prints them without -n
      expect(ipaddr.isValid(a as string) || /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/.test(a as string)).toBe(true);
    }
    for (const p of [r.sport, r.dport]) if (p !== null) expect(p >= 0 && p <= 65535).toBe(true);
    for (const f of [r.srcFlags, r.dstFlags]) if (f !== null) expect(normalizeFlags(f)).toBe(f);
    for (const n of [r.srcPkts, r.dstPkts, r.srcBytes, r.dstBytes]) if (n !== null) expect(Number.isSafeInteger(n)).toBe(true);
    if (r.time) {
      expect(r.time.hour).toBeLessThanOrEqual(23);
      expect(r.time.minute).toBeLessThanOrEqual(59);
    }
  }
}

// Pieces of real ra lines, so random lines reach deep into the parser.
const TOKENS = [
  '06', 'Sep', '01', '07:10:23', '07:10:23.000000', '999760223.000000', 'Thu', '12/29', '2001/09/06', 'e', 'e s', 'eU',
  'tcp', 'udp', 'icmp', 'man', 'arp', '130.67.240.225.1450', '130.216.223.150.80', '192.0.2.10', '40000', 'http',
  'cisco*', '0x0303', '130.216.', '223.150.80', '.74.80', 'x.x.x.x', 'aaa.bbb.ccc.ddd.80', '2001:db8::1.80',
  '->', '?>', '<?>', '<?', '<-', '<|', 'o>', 'who', '1', '0', '1460', '2920', '65536', '99999999999999999',
  'A_RPA', 'A_', 'S_', 'FSPA*', '_', 'sSEfF', 'CON', 'INT', 'STA', 'URP', 'udp_port', '16556',
  'StartTime', 'SrcAddr', 'Sport', 'Dir', 'DstAddr', 'Dport', 'State', 'TotPkts', 'SrcPkts', 'srcUdata', 's[4]=GET.',
  ',', ',,', '   ', '\t', '>', '%', 'ra', '-Zd', '-z', 'I', 'saw', 'the', '(', ')', 'é', '\u0000',
  '<ArgusFlowRecord', '<ArgusManagementRecord', 'SrcAddr = "192.0.2.1"', 'DstAddr = "x.x.x.x"', 'DstAddr = "198.51.100.2"',
  'Proto = "tcp"', 'State = "A_"', 'StartTime = "2001-09-06T07:10:23.000000"', '"', '></ArgusFlowRecord>',
];
const tokenLine = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).chain((ts) =>
  fc.constantFrom(' ', '  ', ',', '   ').map((sep) => ts.join(sep)));
const anyLine = fc.oneof(tokenLine, fc.string({ maxLength: 120 }), fc.constantFrom(...NAMES).chain((n) => fc.constantFrom(...fixture(n))));

/** Damage a real fixture: drop, duplicate, split and cut lines, replace characters. */
const mutated = fc.tuple(
  fc.constantFrom(...NAMES),
  fc.array(fc.tuple(fc.nat(), fc.nat(200), fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 6 })), { maxLength: 12 }),
).map(([name, edits]) => {
  const lines = [...fixture(name)];
  for (const [where, col, op, text] of edits) {
    if (lines.length === 0) break;
    const i = where % lines.length;
    const l = lines[i] as string;
    const c = Math.min(col, l.length);
    if (op === 0) lines.splice(i, 1);
    else if (op === 1) lines.splice(i, 0, l);
    else if (op === 2) lines.splice(i, 1, l.slice(0, c), l.slice(c));
    else if (op === 3) lines[i] = l.slice(0, c);
    else if (op === 4) lines[i] = l.slice(0, c) + text + l.slice(c + text.length);
    else lines.splice(i, 0, text);
  }
  return lines;
});

describe('extractArgus on random and mutated input', () => {
  it('never throws and keeps every invariant on random lines', () => {
    fc.assert(fc.property(fc.array(anyLine, { maxLength: 40 }), (lines) => {
      checkRecords(lines, extractArgus(lines));
    }), { numRuns: 400 });
  });

  it('never throws and keeps every invariant on damaged fixtures', () => {
    fc.assert(fc.property(mutated, (lines) => {
      checkRecords(lines, extractArgus(lines));
    }), { numRuns: 400 });
  });

  it('is deterministic', () => {
    fc.assert(fc.property(mutated, (lines) => {
      expect(extractArgus(lines)).toEqual(extractArgus(lines));
    }), { numRuns: 50 });
  });
});

describe('linear in the size of the input', () => {
  it('N copies of a fixture give exactly N times its records', () => {
    fc.assert(fc.property(fc.constantFrom(...NAMES), fc.integer({ min: 1, max: 12 }), (name, n) => {
      const once = extractArgus(fixture(name)).length;
      const copies: string[] = [];
      for (let k = 0; k < n; k++) copies.push(...fixture(name), '', '-- next paste --', '');
      const recs = extractArgus(copies);
      expect(recs).toHaveLength(once * n);
      checkRecords(copies, recs);
    }), { numRuns: 60 });
  });

  it('the seed repeated 1000 times gives 11000 records', () => {
    const seed = fixture('handwritten/seed-code-red-variants.txt');
    const lines: string[] = [];
    for (let k = 0; k < 1000; k++) lines.push(...seed);
    expect(extractArgus(lines)).toHaveLength(11_000);
  });

  it('a 100,000-line paste of records, wrapped records and prose completes', () => {
    const rec = '06 Sep 01 00:02:34    tcp  130.67.216.237.3339   ?>    130.216.246.91.80    1        0         1460         0';
    const lines: string[] = [];
    let expected = 0;
    while (lines.length < 100_000) {
      lines.push(rec, '       A_', 'Which shows a single incoming packet with ACK set and payload.', `${rec}   A_R`, '');
      expected += 2;
    }
    const recs = extractArgus(lines);
    expect(recs).toHaveLength(expected);
    expect(recs[0]).toMatchObject({ lineCount: 2, state: 'A_' });
    expect(recs[1]).toMatchObject({ lineCount: 1, state: 'A_R', dstFlags: 'R' });
  });

  it('100,000 lines of one continuing record-like fragment stay bounded', () => {
    const lines = Array.from({ length: 100_000 }, (_, k) => (k % 2 === 0 ? '06 Sep 01 00:02:34 tcp 130.67.216.237.3339 ?>' : '1 0 1460 0'));
    const recs = extractArgus(lines);
    checkRecords(lines, recs);
    expect(recs).toHaveLength(0);
  });
});

describe('screens', () => {
  it('let no record go that is indented or spaced by any blank /\\s/ matches', () => {
    for (const name of NAMES) {
      for (const blank of ['\t', '\u00a0', '\u2003', '\v', '\f', '\ufeff', ' \t']) {
        for (const lines of [fixture(name).map((l) => blank + l), fixture(name).map((l) => l.replace(/ +/g, blank))]) {
          expect(extractArgus(lines), `${name} ${JSON.stringify(blank)}`).toStrictEqual(withoutScreens(() => extractArgus(lines)));
        }
      }
    }
  });
});
