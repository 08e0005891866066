import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../src/classify/classify.js';
import { classifyConversations } from '../src/classify/conversation.js';
import { FLOW_CLASSES } from '../src/contract.js';
import type { ExtractedRecord } from '../src/extract/types.js';

const flags = fc.option(fc.stringMatching(/^[FSRPAUEC]{0,6}$/), { nil: null });
const count = fc.option(fc.nat({ max: 100000 }), { nil: null });
const addr = fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), { nil: null });

const record: fc.Arbitrary<ExtractedRecord> = fc.record({
  source: fc.constantFrom('argus', 'snort', 'tcpdump', 'zeek', 'netfilter', 'suricata', 'other'),
  format: fc.constant('x'),
  line: fc.nat({ max: 1000 }),
  lineCount: fc.integer({ min: 1, max: 3 }),
  time: fc.option(fc.record({ hour: fc.integer({ min: 0, max: 23 }), minute: fc.integer({ min: 0, max: 59 }), second: fc.integer({ min: 0, max: 59 }) }), { nil: null }),
  proto: fc.option(fc.constantFrom('tcp', 'udp', 'icmp', 'TCP', '6', 'gre', ''), { nil: null }),
  src: addr,
  sport: count,
  dst: addr,
  dport: count,
  dir: fc.option(fc.constantFrom('->', '?>', '<-', '<?', '<->', '<?>', '<|', '|>', 'o>', 'who', '', '<<>>'), { nil: null }),
  srcPkts: count,
  dstPkts: count,
  srcBytes: count,
  dstBytes: count,
  totalsOnly: fc.option(fc.boolean(), { nil: undefined }),
  srcFlags: flags,
  dstFlags: flags,
  state: fc.option(fc.oneof(fc.constantFrom('CON', 'REQ', 'RST', 'ACC', 'FIN', 'INT', 'ECO', 'ECR', 'URP', 'S0', 'REJ', 'sSEfF', 'E', 'A_RPA'), fc.string({ maxLength: 12 })), { nil: null }),
  singlePacket: fc.option(fc.boolean(), { nil: undefined }),
  icmpType: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
  signature: fc.option(fc.record({ message: fc.string({ maxLength: 80 }) }), { nil: undefined }),
  payload: fc.option(fc.record({ bytes: fc.nat({ max: 2000 }), strings: fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }) }), { nil: undefined }),
  detail: fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
});

describe('classifyRecord on arbitrary records', () => {
  it('never throws, always gives a contract class and one evidence sentence', () => {
    fc.assert(
      fc.property(record, (r) => {
        const c = classifyRecord(r);
        expect(FLOW_CLASSES).toContain(c.class);
        expect(c.evidence.length).toBeGreaterThan(10);
        expect(c.evidence).toMatch(/[.!?]$/);
      }),
      { numRuns: 2000 },
    );
  });
  it('classifyConversations returns one classification per record', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (rs) => {
        expect(classifyConversations(rs)).toHaveLength(rs.length);
      }),
      { numRuns: 300 },
    );
  });
});
