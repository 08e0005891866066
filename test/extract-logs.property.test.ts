// Property tests for the tcpdump, Suricata, Zeek and netfilter extractors: random lines and
// mutated fixtures never throw and give well-formed records; repeating a fixture N times gives
// exactly N times its records (output linear in input, no state leaking between copies).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeFlags } from '../src/extract/flags.js';
import { extractNetfilter } from '../src/extract/netfilter.js';
import { extractSuricata } from '../src/extract/suricata.js';
import { extractTcpdump } from '../src/extract/tcpdump.js';
import type { ExtractedRecord, Extractor } from '../src/extract/types.js';
import { extractZeek } from '../src/extract/zeek.js';

interface Subject {
  name: string;
  extract: Extractor;
  source: string;
  formats: ReadonlySet<string>;
  fixtures: ReadonlyMap<string, string[]>;
}

function loadFixtures(dir: string): Map<string, string[]> {
  const path = fileURLToPath(new URL(`../fixtures/extract/${dir}/`, import.meta.url));
  return new Map(
    readdirSync(path)
      .filter((f) => f.endsWith('.txt'))
      .sort()
      .map((f) => [f, readFileSync(`${path}${f}`, 'utf8').split('\n')]),
  );
}

const SUBJECTS: readonly Subject[] = [
  { name: 'tcpdump', extract: extractTcpdump, source: 'tcpdump', formats: new Set(['tcpdump']), fixtures: loadFixtures('tcpdump') },
  { name: 'suricata', extract: extractSuricata, source: 'suricata', formats: new Set(['suricata-fast', 'suricata-syslog', 'suricata-eve']), fixtures: loadFixtures('suricata') },
  { name: 'zeek', extract: extractZeek, source: 'zeek', formats: new Set(['zeek-conn']), fixtures: loadFixtures('zeek') },
  { name: 'netfilter', extract: extractNetfilter, source: 'netfilter', formats: new Set(['netfilter', 'ipchains']), fixtures: loadFixtures('netfilter') },
];

/** What every record must satisfy, whatever the input. */
function checkRecords(subject: Subject, lines: readonly string[], records: ExtractedRecord[]): void {
  let nextFree = 0;
  for (const r of records) {
    expect(r.source).toBe(subject.source);
    expect(subject.formats.has(r.format)).toBe(true);
    expect(Number.isInteger(r.line) && Number.isInteger(r.lineCount)).toBe(true);
    expect(r.line).toBeGreaterThanOrEqual(nextFree); // in order, never overlapping
    expect(r.lineCount).toBeGreaterThanOrEqual(1);
    expect(r.line + r.lineCount).toBeLessThanOrEqual(lines.length);
    nextFree = r.line + r.lineCount;
    expect(r.src !== null || r.dst !== null).toBe(true);
    for (const p of [r.sport, r.dport]) {
      if (p !== null) expect(Number.isInteger(p) && p >= 0 && p <= 65535).toBe(true);
    }
    for (const f of [r.srcFlags, r.dstFlags]) {
      if (f !== null) expect(normalizeFlags(f)).toBe(f);
    }
    for (const n of [r.srcPkts, r.dstPkts, r.srcBytes, r.dstBytes, r.payloadLen ?? null, r.dgmLen ?? null]) {
      if (n !== null) expect(Number.isFinite(n) && n >= 0).toBe(true);
    }
    if (r.time) {
      expect(r.time.hour >= 0 && r.time.hour <= 23 && r.time.minute <= 59 && r.time.second <= 60).toBe(true);
    }
  }
}

// Pieces of real records, so random lines get deep into the parsers.
const TOKENS = [
  '07:10:23.613276', '2001-09-06 07:10:23.613276', '999760223.613276', 'IP', 'IP6', 'IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 40)',
  '130.67.240.225.1450', '>', '130.216.223.150.80:', 'host.http', 'x.x.x.x.80', 'Flags', '[S.],', '[.],', '[none],', 'seq', '1:1461(1460)',
  'ack', '1', 'win', '8760', '(DF)', 'length', '1460:', 'HTTP:', 'GET', '/default.ida?NNNN', 'UDP,', 'udp', '376', 'ICMP', 'icmp:', 'echo', 'request,',
  'port', 'unreachable', '.', 'S', 'P', 'R', 'F', '0:0:c:46:5c:d1', '00:e0:1e:8e:31:71,', 'ethertype', 'IPv4', '(0x0800),', '\t0x0000:', '4500', '05dc',
  '11/26/2026-04:44:13.123456', '[**]', '[1:2010935:3]', 'ET', 'POLICY', '[Classification:', 'Bad]', '[Priority:', '2]', '{TCP}', '{ICMP}',
  '198.51.100.7:41000', '->', '192.0.2.10:22', 'suricata[1]:', '[Drop]',
  '{"timestamp":"2026-11-26T04:44:13.1+0000","event_type":"flow","src_ip":"1.2.3.4","dest_ip":"5.6.7.8","proto":"TCP","flow":{"pkts_toserver":1},"tcp":{"tcp_flags_ts":"12"}}',
  '{"timestamp":"2026-11-26T04:44:13Z","event_type":"alert",', '"alert":{"signature_id":1}}', '{', '}', '"src_ip":"9.9.9.9",',
  '#fields', 'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'conn_state', 'history', '#separator', '\\x09', '#path', 'conn', '#close',
  'CazdYX2P9Ph3zFA7Ge', 'tcp', '-', 'OTH', 'S0', 'ShADadFf', '^hr', 'T', '(empty)', '{"ts":999760223.1,"uid":"C1234567","id.orig_h":"1.2.3.4","id.orig_p":1,"id.resp_h":"5.6.7.8","id.resp_p":80,"proto":"tcp","conn_state":"S0","history":"S"}',
  'Sep  6 07:10:23', 'gw', 'kernel:', '[12345.678]', 'IN=eth0', 'OUT=', 'MAC=00:e0:1e:8e:31:71:00:00:0c:46:5c:d1:08:00', 'SRC=130.67.240.225', 'DST=130.216.223.150',
  'SRC=x.x.x.x', 'LEN=1500', 'TOS=0x00', 'PROTO=TCP', 'PROTO=UDP', 'PROTO=ICMP', 'SPT=1450', 'DPT=80', 'TYPE=8', 'CODE=0', 'ACK', 'PSH', 'SYN', 'URGP=0', '[SRC=1.2.3.4',
  'Packet', 'log:', 'input', 'DENY', 'eth0', 'PROTO=6', '1.2.3.4:1450', '5.6.7.8:80', 'L=60', 'S=0x00', 'I=1', 'F=0x4000', 'T=44', '(#3)',
];

const tokenLine = fc
  .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 30 })
  .chain((tokens) => fc.constantFrom(' ', '\t', '  ').map((sep) => tokens.join(sep)));
const anyLine = fc.oneof(
  { weight: 3, arbitrary: tokenLine },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '#', '{', '}', '[**]', '>') },
);
const randomLines = fc.array(anyLine, { maxLength: 60 });

type Mutation =
  | { kind: 'cut'; at: number; from: number; len: number }
  | { kind: 'insert'; at: number; pos: number; text: string }
  | { kind: 'split'; at: number; pos: number }
  | { kind: 'join'; at: number }
  | { kind: 'drop'; at: number }
  | { kind: 'dup'; at: number }
  | { kind: 'replace'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), from: fc.nat(), len: fc.nat(40) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), pos: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 12 })) }),
  fc.record({ kind: fc.constant('split' as const), at: fc.nat(), pos: fc.nat() }),
  fc.record({ kind: fc.constant('join' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: anyLine }),
);

function mutate(lines: readonly string[], mutations: readonly Mutation[]): string[] {
  const out = [...lines];
  for (const m of mutations) {
    if (out.length === 0) out.push('');
    const i = m.at % out.length;
    const line = out[i] ?? '';
    switch (m.kind) {
      case 'cut': {
        const from = line.length ? m.from % line.length : 0;
        out[i] = line.slice(0, from) + line.slice(from + m.len);
        break;
      }
      case 'insert': {
        const pos = m.pos % (line.length + 1);
        out[i] = line.slice(0, pos) + m.text + line.slice(pos);
        break;
      }
      case 'split': {
        const pos = m.pos % (line.length + 1);
        out.splice(i, 1, line.slice(0, pos), line.slice(pos));
        break;
      }
      case 'join':
        out.splice(i, 2, `${line} ${out[i + 1] ?? ''}`);
        break;
      case 'drop':
        out.splice(i, 1);
        break;
      case 'dup':
        out.splice(i, 0, line);
        break;
      case 'replace':
        out[i] = m.text;
        break;
    }
  }
  return out;
}

describe.each(SUBJECTS)('$name extractor properties', (subject) => {
  const names = [...subject.fixtures.keys()];

  it('has fixtures to mutate', () => {
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(subject.extract(subject.fixtures.get(name) ?? []).length).toBeGreaterThan(0);
  });

  it('never throws on random lines and keeps every record well formed', () => {
    fc.assert(
      fc.property(randomLines, (lines) => {
        checkRecords(subject, lines, subject.extract(lines));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated fixtures and keeps every record well formed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(mutation, { minLength: 1, maxLength: 12 }), (name, mutations) => {
        const lines = mutate(subject.fixtures.get(name) ?? [], mutations);
        checkRecords(subject, lines, subject.extract(lines));
      }),
      { numRuns: 200 },
    );
  });

  it('gives exactly N times the records for N copies of a fixture, at the shifted lines', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.integer({ min: 1, max: 6 }), (name, copies) => {
        const lines = subject.fixtures.get(name) ?? [];
        const once = subject.extract(lines);
        const repeated = subject.extract(Array.from({ length: copies }, () => lines).flat());
        expect(repeated).toHaveLength(once.length * copies);
        for (let k = 0; k < copies; k++) {
          for (let j = 0; j < once.length; j++) {
            const want = once[j] as ExtractedRecord;
            expect(repeated[k * once.length + j]).toEqual({ ...want, line: want.line + k * lines.length });
          }
        }
      }),
      { numRuns: 20 },
    );
  });

  it('reads CRLF text the same as LF text', () => {
    for (const lines of subject.fixtures.values()) {
      expect(subject.extract(lines.map((l) => `${l}\r`))).toEqual(subject.extract(lines));
    }
  });

  it('stays bounded on long adversarial lines (a catastrophic regex would time the test out)', () => {
    const nasty = [
      '1.'.repeat(2040),
      `07:10:23.1 ${'1.2.3.4.5 > '.repeat(340)}`,
      `07:10:23.1 IP 1.2.3.4.5 > 6.7.8.9.10: ${'Flags ['.repeat(580)}`,
      `11/26/2026-04:44:13.1  [**] [1:2:3] ${'a [**] '.repeat(580)}`,
      `Sep  6 07:10:23 gw kernel: IN=eth0 OUT= ${'SRC='.repeat(1000)}`,
      `Packet log: input DENY eth0 PROTO=6 ${'1:'.repeat(2000)}`,
      `{"timestamp":"${'x'.repeat(60000)}`,
      `999760223.1 C1234567 ${'1 '.repeat(2000)}`,
      ' '.repeat(4000),
      `07:10:23.1 IP 1.2.3.4.5 > 6.7.8.9.10: Flags [S], seq 1, win 512, length 0 ${',      '.repeat(570)}x`,
      `Sep  6 07:10:23 gw kernel: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 ${'PROTO=UDP '.repeat(400)}`,
      `{"timestamp":"2026-11-26T04:44:13Z",${'"a":{'.repeat(800)}`,
    ];
    const lines = Array.from({ length: 40 }, (_, k) => nasty[k % nasty.length] as string);
    checkRecords(subject, lines, subject.extract(lines));
  });
});

describe('the four extractors keep to their own formats', () => {
  it("none of them claims another's fixture lines", () => {
    for (const subject of SUBJECTS) {
      for (const other of SUBJECTS) {
        if (other === subject) continue;
        for (const [name, lines] of other.fixtures) {
          expect({ extractor: subject.name, fixture: `${other.name}/${name}`, records: subject.extract(lines).length }).toMatchObject({ records: 0 });
        }
      }
    }
  });
});
