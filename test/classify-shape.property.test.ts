// classifyRecord classifies a record without a payload once per shape (its fields but its addresses)
// and puts each record's own addresses into that classification: held here to the record classified
// alone (classifyRecordUncached), field for field and in the same key order.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord, classifyRecordUncached } from '../src/classify/classify.js';
import { extractRecords } from '../src/extract/index.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function expectSameAsUncached(r: ExtractedRecord): void {
  const cached = classifyRecord(r);
  const plain = classifyRecordUncached(r);
  expect(cached).toStrictEqual(plain);
  expect(JSON.stringify(cached)).toBe(JSON.stringify(plain));
}

const flags = fc.option(fc.constantFrom('S', 'SA', 'R', 'RA', 'FSPA', 'PA', 'A', 'F', ''), { nil: null });
const count = fc.option(fc.constantFrom(0, 1, 2, 3, 4, 54, 60, 108, 376, 404, 418, 1514, 99999), { nil: null });
const shape = fc.record({
  source: fc.constantFrom('argus', 'zeek', 'snort', 'tcpdump', 'netfilter', 'suricata'),
  format: fc.constant('x'),
  line: fc.constant(0),
  lineCount: fc.constant(1),
  time: fc.constant(null),
  proto: fc.option(fc.constantFrom('tcp', 'udp', 'icmp', 'ipv6-icmp', 'TCP', '6', '17', 'gre', ''), { nil: null }),
  sport: fc.option(fc.constantFrom(80, 1025), { nil: null }),
  dport: fc.option(fc.constantFrom(80, 1434, 31337), { nil: null }),
  dir: fc.option(fc.constantFrom('->', '?>', '<-', '<?', '<->', '<?>', '<|', '|>', 'o>', 'who', '', ' -> '), { nil: null }),
  srcPkts: count,
  dstPkts: count,
  srcBytes: count,
  dstBytes: count,
  totalsOnly: fc.option(fc.boolean(), { nil: undefined }),
  srcFlags: flags,
  dstFlags: flags,
  state: fc.option(fc.constantFrom('CON', 'REQ', 'RST', 'ACC', 'FIN', 'INT', 'ECO', 'ECR', 'URP', 'TXD', 'S0', 'REJ', 'SF', 's', 'sSE', 'E', 'ER', 'R', 'f', 'A_RPA', 'S_', '_RA', 'x y', '\uE000'), { nil: null }),
  singlePacket: fc.option(fc.boolean(), { nil: undefined }),
  icmpType: fc.option(fc.constantFrom(0, 3, 8, 11), { nil: undefined }),
  signature: fc.option(fc.record({
    id: fc.constantFrom('1:1243', '111:13'),
    message: fc.option(fc.constantFrom('WEB-IIS ISAPI .ida attempt', 'WEB-IIS CodeRed v2 root.exe access', 'WEB-IIS cmd.exe access', 'MS-SQL Worm propagation attempt',
      'SQL Slammer', 'spp_stream4: STEALTH ACTIVITY (SYN FIN scan) detection', '', 'x'.repeat(201), 'say "\uE000"'), { nil: undefined }),
  }, { requiredKeys: ['id'] }), { nil: undefined }),
  detail: fc.option(fc.constantFrom('.ida', 'root.exe', '/scripts/..%c0%af../', 'GET /default.ida?XXXX', 'NNNN', '', 'y'.repeat(33)), { nil: undefined }),
  dgmLen: fc.option(fc.constantFrom(40, 60, 61, 404, 1500), { nil: undefined }),
  payloadLen: fc.option(fc.constantFrom(0, 10, 376), { nil: undefined }),
  discarded: fc.option(fc.constant(true), { nil: undefined }),
  payload: fc.option(fc.record({ bytes: fc.constantFrom(0, 376, 1000), strings: fc.constantFrom([], ['GET /default.ida?NNNN']) }), { freq: 5, nil: undefined }),
});
// addresses of every kind, including ones the cache must not take (blanks, a closing stop, the stand-ins)
const address = fc.option(
  fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.constantFrom('i.qosient.com', 'fe80::1%eth0', 'host-1_a', '', 'a b', 'x.', '1.2.3.4.', '\uE000', '\uE001', 'a\u00a0b', 'end?', 'end!'),
    fc.string({ maxLength: 12 }),
  ),
  { nil: null },
);

describe('classifyRecord by shape', () => {
  it('gives what classifyUnsafe gives, for records of one shape with all kinds of addresses', () => {
    fc.assert(
      fc.property(shape, fc.array(fc.tuple(address, address), { minLength: 1, maxLength: 8 }), (s, pairs) => {
        for (const [src, dst] of pairs) expectSameAsUncached({ ...s, src, dst } as ExtractedRecord);
      }),
      { numRuns: 3000 },
    );
  });

  // Every field classifyRecord reads but the addresses, with values that change some class, family
  // or evidence: each base record is classified first, then the same record with one field changed
  // (a field the cache failed to tell apart would give the variant the base's classification).
  const VALUES: Record<string, readonly unknown[]> = {
    source: ['argus', 'snort', 'netfilter', 'tcpdump'],
    proto: ['tcp', 'udp', 'icmp', '17', null],
    dir: ['->', '<-', '<->', '?>', null],
    sport: [80, null],
    dport: [1434, 80, null],
    srcPkts: [0, 1, 2, 4, null],
    dstPkts: [0, 1, null],
    srcBytes: [60, 404, 418, 1000, null],
    dstBytes: [0, 60, null],
    totalsOnly: [true, false, undefined],
    srcFlags: ['S', 'SA', 'A', '', null],
    dstFlags: ['SA', 'R', null],
    state: ['CON', 'INT', 'RST', 'REQ', 'S_', null],
    singlePacket: [true, false, undefined],
    icmpType: [0, 3, 8, undefined],
    signature: [{ id: '1:1' }, { id: '1:2', message: 'MS-SQL Worm propagation attempt' }, { id: '1:3', message: 'WEB-IIS cmd.exe access' }, undefined],
    detail: ['GET /default.ida?XXXX', 'root.exe', undefined],
    dgmLen: [40, 404, undefined],
    payloadLen: [0, 376, undefined],
    discarded: [true, undefined],
  };
  const base = (over: Partial<ExtractedRecord>): ExtractedRecord => ({
    source: 'argus', format: 'x', line: 0, lineCount: 1, time: null, proto: 'udp', src: '10.0.0.1', sport: 1025, dst: '192.0.2.1', dport: 1434,
    dir: '->', srcPkts: 1, dstPkts: 0, srcBytes: 404, dstBytes: 0, srcFlags: null, dstFlags: null, state: 'INT', ...over,
  });
  const BASES: ExtractedRecord[] = [
    base({}),
    base({ totalsOnly: true, dstPkts: null, dstBytes: null }),
    base({ source: 'netfilter', singlePacket: true, dir: null, srcPkts: null, dstPkts: null, srcBytes: null, dstBytes: null, state: null, dgmLen: 404, discarded: true }),
    base({ source: 'netfilter', singlePacket: true, proto: 'tcp', dport: 80, dir: null, srcPkts: null, dstPkts: null, srcBytes: null, dstBytes: null, state: null, srcFlags: 'S', discarded: true }),
    base({ source: 'snort', singlePacket: true, signature: { id: '1:2', message: 'MS-SQL Worm propagation attempt' }, payloadLen: 376, dir: null, state: null }),
    base({ proto: 'tcp', dport: 80, srcPkts: 2, dstPkts: 1, srcBytes: 120, dstBytes: 60, srcFlags: 'S', dstFlags: 'SA', state: 'CON' }),
    base({ proto: 'icmp', dport: null, sport: null, icmpType: 8, state: 'ECO', dstPkts: 1, dstBytes: 60 }),
  ];
  it('tells apart records that differ in one field', () => {
    const addresses: Array<[string | null, string | null]> = [['10.0.0.1', '192.0.2.1'], ['10.9.9.9', '192.0.2.77'], [null, '192.0.2.1']];
    let n = 0;
    for (const b of BASES) {
      for (const [field, values] of Object.entries(VALUES)) {
        for (const v of values) {
          for (const [src, dst] of addresses) {
            expectSameAsUncached({ ...b, src, dst });
            expectSameAsUncached({ ...b, [field]: v, src, dst } as ExtractedRecord);
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(1000);
  });

  it('stays exact after its table fills and starts again', () => {
    for (let n = 0; n < 9000; n++) {
      const r: ExtractedRecord = {
        source: 'argus', format: 'argus-ra', line: 0, lineCount: 1, time: null, proto: n % 3 === 0 ? 'udp' : 'tcp',
        src: `10.0.${n % 250}.1`, sport: 1025, dst: `192.0.2.${n % 200}`, dport: n % 7 === 0 ? 1434 : 80, dir: n % 2 ? '->' : '?>',
        srcPkts: n % 4500, dstPkts: null, srcBytes: 404 * (n % 4500), dstBytes: null, srcFlags: null, dstFlags: null, state: n % 5 ? 'CON' : 'RST',
        totalsOnly: true,
      };
      expectSameAsUncached(r);
    }
  });

  it('gives what classifyUnsafe gives on every argus fixture', () => {
    const dir = new URL('../fixtures/argus/ra/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
    expect(files.length).toBeGreaterThanOrEqual(14);
    let n = 0;
    for (const f of files) {
      const lines = readFileSync(new URL(f, dir), 'utf8').split('\n');
      for (const r of extractRecords(lines).records) {
        expectSameAsUncached(r);
        expectSameAsUncached(r);
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
  });
});
