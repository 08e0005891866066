import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLAG_ORDER, normalizeFlags, snortFlagMap } from '../src/extract/flags.js';
import { parseHexDump, printableStrings } from '../src/extract/hexdump.js';
import { extractSnort } from '../src/extract/snort.js';
import type { ExtractedRecord } from '../src/extract/types.js';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/extract/snort/', import.meta.url));
const FIXTURES = new Map<string, string[]>(
  readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => [f, readFileSync(`${FIXTURE_DIR}${f}`, 'utf8').split(/\r?\n/)]),
);
const FIXTURE_NAMES = [...FIXTURES.keys()];

const FORMATS = new Set(['snort-full', 'snort-fast', 'snort-syslog']);
const QUAD = /^(?:\d{1,3})(?:\.\d{1,3}){3}$/;

/** What every record must satisfy, whatever the input. */
function checkRecords(lines: readonly string[], records: ExtractedRecord[]): void {
  let previousLine = -1;
  for (const r of records) {
    expect(r.source).toBe('snort');
    expect(FORMATS.has(r.format)).toBe(true);
    expect(Number.isInteger(r.line)).toBe(true);
    expect(r.line).toBeGreaterThanOrEqual(0);
    expect(r.line).toBeLessThan(lines.length);
    expect(r.lineCount).toBeGreaterThanOrEqual(1);
    expect(r.line + r.lineCount).toBeLessThanOrEqual(lines.length);
    expect(r.line).toBeGreaterThan(previousLine); // in line order, no two records on one start line
    previousLine = r.line + r.lineCount - 1; // and no overlap
    expect(r.src !== null || r.dst !== null).toBe(true);
    for (const addr of [r.src, r.dst]) {
      if (addr !== null) {
        expect(addr).toMatch(QUAD);
        expect(addr.split('.').every((o) => Number(o) <= 255)).toBe(true);
      }
    }
    for (const p of [r.sport, r.dport]) {
      if (p !== null) expect(p >= 0 && p <= 65535).toBe(true);
    }
    if (r.srcFlags !== null) expect(normalizeFlags(r.srcFlags)).toBe(r.srcFlags);
    expect(r.dstFlags).toBeNull();
    if (r.payload) {
      expect(r.payload.strings.length).toBeLessThanOrEqual(32);
      for (const s of r.payload.strings) expect(s.length).toBeLessThanOrEqual(80);
    }
  }
}

// Fragments of real alert lines, so random lines reach deep into the parsers.
const TOKENS = [
  '[**]',
  '[1:1002:2]',
  '[100:1:1]',
  'WEB-IIS',
  'cmd.exe',
  'access',
  '<eth0>',
  '09/06-07:10:23.613276',
  '09/06/01-07:10:23.613276',
  '09/06/2001-07:10:23.613276',
  'Sep  6 07:10:23',
  '2003-01-25T05:30:17+00:00',
  'host',
  'snort[123]:',
  'snort:',
  '130.67.240.225:1450',
  '130.216.223.150:80',
  'x.x.x.x',
  'a.b.c.d:80',
  '999.1.2.3',
  '->',
  '{TCP}',
  '{UDP}',
  '{ICMP}',
  '[Classification: Web Application Attack]',
  '[Priority: 1]',
  '[Priority: 1]:',
  '[Classification:',
  'TCP TTL:101 TOS:0x0 ID:24351 IpLen:20 DgmLen:1500 DF',
  'UDP TTL:1 TOS:0x0 ID:1 IpLen:20 DgmLen:40',
  'ICMP TTL:1 TOS:0x0 ID:1 IpLen:20 DgmLen:28',
  '***A****',
  '**U*P**F',
  'Seq: 0xE68E61F7',
  'TcpLen: 20',
  'Len: 12',
  'Type:8',
  'Code:0',
  '0:0:C:46:5C:D1 -> 0:E0:1E:8E:31:71 type:0x800 len:0x5EA',
  '00 FF 75 FC',
  '0x0000:  4500 0028',
  'PORTSCAN DETECTED from 1.2.3.4',
  '[Xref => http://x]',
  '[ snip ]',
  '',
  ' ',
  '\t',
];

const tokenLine = fc
  .array(fc.constantFrom(...TOKENS), { maxLength: 14 })
  .chain((tokens) => fc.constantFrom(' ', '  ', '').map((sep) => tokens.join(sep)));

const anyLine = fc.oneof(
  { weight: 3, arbitrary: tokenLine },
  { weight: 2, arbitrary: fc.string({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.constantFrom(...[...FIXTURES.values()].flat()) },
);

type Mutation =
  | { kind: 'delete' | 'duplicate' | 'blank' | 'swap'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'truncate'; at: number; cut: number }
  | { kind: 'replaceChar'; at: number; pos: number; ch: string }
  | { kind: 'join'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete', 'duplicate', 'blank', 'swap') as fc.Arbitrary<'delete'>, at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: anyLine }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), cut: fc.nat() }),
  fc.record({
    kind: fc.constant('replaceChar' as const),
    at: fc.nat(),
    pos: fc.nat(),
    ch: fc.constantFrom('x', '*', ' ', '', ':', '.', '-', '[', ']', '{', '0', '9', '\u00e9', '\uFFFD'),
  }),
  fc.record({ kind: fc.constant('join' as const), at: fc.nat() }),
);

function mutate(lines: readonly string[], mutations: readonly Mutation[]): string[] {
  const out = [...lines];
  for (const m of mutations) {
    if (out.length === 0) {
      out.push('');
      continue;
    }
    const i = m.at % out.length;
    const line = out[i] as string;
    switch (m.kind) {
      case 'delete':
        out.splice(i, 1);
        break;
      case 'duplicate':
        out.splice(i, 0, line);
        break;
      case 'blank':
        out[i] = '';
        break;
      case 'swap':
        if (i + 1 < out.length) [out[i], out[i + 1]] = [out[i + 1] as string, line];
        break;
      case 'insert':
        out.splice(i, 0, m.text);
        break;
      case 'truncate':
        out[i] = line.slice(0, line.length === 0 ? 0 : m.cut % line.length);
        break;
      case 'replaceChar': {
        const p = line.length === 0 ? 0 : m.pos % line.length;
        out[i] = line.slice(0, p) + m.ch + line.slice(p + 1);
        break;
      }
      case 'join':
        if (i + 1 < out.length) out.splice(i, 2, `${line} ${out[i + 1] as string}`);
        break;
    }
  }
  return out;
}

describe('extractSnort properties', () => {
  it('never throws on random lines and returns well-formed records', () => {
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 40 }), (lines) => {
        const records = extractSnort(lines);
        checkRecords(lines, records);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws on mutated fixtures and returns well-formed records', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURE_NAMES), fc.array(mutation, { maxLength: 12 }), (name, mutations) => {
        const lines = mutate(FIXTURES.get(name) as string[], mutations);
        checkRecords(lines, extractSnort(lines));
      }),
      { numRuns: 1500 },
    );
  });

  it('finds the same alerts wherever a fixture sits among other lines', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURE_NAMES), fc.array(fc.string({ maxLength: 80 }), { maxLength: 5 }), (name, before) => {
        const lines = FIXTURES.get(name) as string[];
        const alone = extractSnort(lines);
        const shifted = extractSnort([...before, '', ...lines]);
        const offset = before.length + 1;
        // random text before a blank line cannot change what the fixture holds
        expect(shifted.filter((r) => r.line >= offset).map((r) => ({ ...r, line: r.line - offset }))).toEqual(alone);
      }),
      { numRuns: 300 },
    );
  });

  it('stays linear: a 200,000-line post of repeated fixtures gives exactly reps × records', () => {
    const block = FIXTURE_NAMES.flatMap((name) => [...(FIXTURES.get(name) as string[]), '']);
    const single = extractSnort(block);
    expect(single.length).toBeGreaterThan(30);
    const reps = Math.ceil(200_000 / block.length);
    const big: string[] = [];
    for (let k = 0; k < reps; k++) big.push(...block);
    expect(big.length).toBeGreaterThanOrEqual(200_000);
    const records = extractSnort(big);
    expect(records.length).toBe(reps * single.length);
    for (const k of [0, Math.floor(reps / 2), reps - 1]) {
      single.forEach((r, j) => {
        const got = records[k * single.length + j] as ExtractedRecord;
        expect(got.line).toBe(r.line + k * block.length);
        expect(got.src).toBe(r.src);
      });
    }
  });

  it('returns on hostile shapes: unclosed headers, near-miss fast lines, long lines', () => {
    const n = 200_000;
    const unclosed = Array.from({ length: n }, (_, k) => `[**] [1:${k}:1] message that never closes ${'[Classification: '.repeat(20)}`);
    expect(extractSnort(unclosed)).toEqual([]);
    const nearMiss = Array.from(
      { length: n },
      () => `09/06-07:10:23.613276  [**] ${'{TCP} '.repeat(60)}[**] ${'{TCP} 1.2.3.4:5 '.repeat(30)}`,
    );
    const found = extractSnort(nearMiss);
    expect(found.length).toBe(0);
    const bodyOnly = Array.from({ length: n }, () => 'TCP TTL:101 TOS:0x0 ID:24351 IpLen:20 DgmLen:1500 DF');
    expect(extractSnort(['[**] x [**]', ...bodyOnly])).toEqual([]);
    expect(extractSnort([`[**] ${'a'.repeat(1_000_000)} [**]`, '09/06-07:10:23.613276 1.2.3.4 -> 5.6.7.8'])).toEqual([]);
  });
});

function snortRows(bytes: Uint8Array): string[] {
  const rows: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = Array.from(bytes.slice(off, off + 16));
    const hex = chunk.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ').padEnd(47, ' ');
    const ascii = chunk.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(`${hex}  ${ascii}`);
  }
  return rows;
}

function tcpdumpRows(bytes: Uint8Array): string[] {
  const rows: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = Array.from(bytes.slice(off, off + 16));
    const words: string[] = [];
    for (let k = 0; k < chunk.length; k += 2) {
      words.push(chunk.slice(k, k + 2).map((b) => b.toString(16).padStart(2, '0')).join(''));
    }
    const ascii = chunk.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(`\t0x${off.toString(16).padStart(4, '0')}:  ${words.join(' ').padEnd(39, ' ')}  ${ascii}`);
  }
  return rows;
}

describe('hex dump and flag properties', () => {
  it('reads back any bytes printed as Snort rows or tcpdump -X rows', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom('snort', 'tcpdump'), (bytes, style) => {
        const rows = style === 'snort' ? snortRows(bytes) : tcpdumpRows(bytes);
        const lines = ['header', ...rows, '[ snip ]'];
        const dump = parseHexDump(lines, 1);
        expect(dump).not.toBeNull();
        expect(dump?.end).toBe(1 + rows.length);
        expect(dump?.bytes).toBe(bytes.length);
        expect(Array.from(dump!.data)).toEqual(Array.from(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('printableStrings returns printable runs within the caps', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 100 }),
        (data, min, maxStrings, maxLen) => {
          const strings = printableStrings(data, min, maxStrings, maxLen);
          expect(strings.length).toBeLessThanOrEqual(maxStrings);
          expect(new Set(strings).size).toBe(strings.length);
          for (const s of strings) {
            expect(s.length).toBeLessThanOrEqual(maxLen);
            expect(s.length).toBeGreaterThanOrEqual(Math.min(min, maxLen));
            expect(/^[\x20-\x7e]+$/.test(s)).toBe(true);
            expect(s).toBe(s.trim());
          }
        },
      ),
    );
  });

  it('parseHexDump never throws and stays in range on random lines', () => {
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 20 }), fc.integer({ min: -2, max: 25 }), (lines, start) => {
        const dump = parseHexDump(lines, start);
        if (dump) {
          expect(dump.end).toBeGreaterThan(start);
          expect(dump.end).toBeLessThanOrEqual(lines.length);
          expect(dump.bytes).toBeGreaterThanOrEqual(dump.data.length);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('normalizeFlags is idempotent and orders letters as FSRPAU; snortFlagMap inverts the map', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (letters) => {
        const n = normalizeFlags(letters);
        expect(normalizeFlags(n)).toBe(n);
        let last = -1;
        for (const ch of n) {
          const at = FLAG_ORDER.indexOf(ch);
          expect(at).toBeGreaterThan(last);
          last = at;
        }
      }),
    );
    fc.assert(
      fc.property(fc.subarray([...'12UAPRSF']), (set) => {
        const map = [...'12UAPRSF'].map((ch) => (set.includes(ch) ? ch : '*')).join('');
        expect(snortFlagMap(map)).toBe(normalizeFlags(set.join('')));
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const flags = snortFlagMap(s);
        if (flags !== null) expect(normalizeFlags(flags)).toBe(flags);
      }),
    );
  });
});
