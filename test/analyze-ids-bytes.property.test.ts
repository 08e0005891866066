// observationId writes an observation id's hashed text as bytes; observationIdOfText builds it as
// the string `${post}\0${line}\0${recordKey(rec)}\0` and hashes that (the public contract's ids).
// Held here to the same id on random records: ASCII and not, nulls and undefined, every kind of number.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { observationId, observationIdOfText, recordKey } from '../src/analyze/post.js';
import { stableIdOfText } from '../src/analyze/ids.js';
import type { ExtractedRecord, RecordTime } from '../src/extract/types.js';

const text = fc.oneof(
  { arbitrary: fc.constantFrom('argus', 'argus-ra', 'tcp', 'udp', '->', '?>', 'RST', 'CON', 'S', 'SA', '', '141.8.2.61', 'fe80::1%eth0', '000000', '613276'), weight: 4 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 1 }, // any code point, lone surrogates too
  { arbitrary: fc.constantFrom('caf\u00e9', '\u00a0', '\ud800', '\u{1f600}', 'x\u0000y', 'a|b', '\u007f'), weight: 1 },
);
const num = fc.oneof(
  { arbitrary: fc.nat({ max: 70000 }), weight: 4 },
  { arbitrary: fc.constantFrom(0, -0, 9, 10, 99, 100, 999, 1000, 999_999_999_999_999, 1_000_000_000_000_000, 2 ** 53, 1e21, -1, -12, 1.5, 0.1, 998244853.25, NaN, Infinity, -Infinity, Number.MAX_VALUE, 5e-324), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.maxSafeNat(), weight: 1 },
);
const opt = <T>(a: fc.Arbitrary<T>) => fc.oneof({ arbitrary: a, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 });
const time: fc.Arbitrary<RecordTime | null> = fc.option(fc.record({
  year: opt(num), month: opt(num), day: opt(num), hour: num, minute: num, second: num, fraction: opt(text), offsetMinutes: opt(num), epoch: opt(num),
}, { requiredKeys: ['hour', 'minute', 'second'] }) as fc.Arbitrary<RecordTime>, { freq: 5 });
const record = fc.record({
  source: text, format: text, line: fc.nat(), lineCount: fc.nat(), time,
  proto: opt(text), src: opt(text), sport: opt(num), dst: opt(text), dport: opt(num), dir: opt(text),
  srcPkts: opt(num), dstPkts: opt(num), srcBytes: opt(num), dstBytes: opt(num),
  srcFlags: opt(text), dstFlags: opt(text), state: opt(text),
  signature: fc.option(fc.record({ id: opt(text), message: text }, { requiredKeys: [] }), { nil: undefined }),
}) as unknown as fc.Arbitrary<ExtractedRecord>;
// post ids: the usual ones, one with characters past ASCII, one longer than the id buffer
const post = fc.oneof(
  fc.constantFrom('paste-argus-100000-20010906@cert.fjordnet.example', 'p1@x', '', 'r\u00e9sum\u00e9@x', 'a'.repeat(5000)),
  fc.string({ maxLength: 60 }),
);

describe('observationId', () => {
  it('gives the id of the text built as a string', () => {
    fc.assert(fc.property(post, fc.oneof(fc.nat({ max: 200_000 }), num), record, (p, line, rec) => {
      const expected = stableIdOfText('obs', p + '\u0000' + line + '\u0000' + recordKey(rec) + '\u0000');
      expect(observationIdOfText(p, line, rec)).toBe(expected);
      expect(observationId(p, line, rec)).toBe(expected);
    }), { numRuns: 5000 });
  });

  it('gives each post its own start when posts alternate (the buffer keeps the last post id)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(post, fc.nat({ max: 5000 }), record), { minLength: 2, maxLength: 12 }), (items) => {
      for (const [p, line, rec] of items) expect(observationId(p, line, rec)).toBe(observationIdOfText(p, line, rec));
    }), { numRuns: 2000 });
  });

  it('is the contract id of a known record', () => {
    const rec: ExtractedRecord = {
      source: 'argus', format: 'argus-ra', line: 0, lineCount: 1, time: { hour: 21, minute: 42, second: 5, fraction: '000000' }, proto: 'tcp',
      src: '141.8.2.61', sport: 80, dst: '141.8.132.79', dport: 31337, dir: '->', srcPkts: 2, dstPkts: null, srcBytes: 108, dstBytes: null,
      srcFlags: null, dstFlags: null, state: 'ACC', totalsOnly: true,
    };
    // the first observation of bench/out/paste-argus-100000.eml (the published id)
    expect(observationId('paste-argus-100000-20010906@cert.fjordnet.example', 10, rec)).toBe('obs-83e728f036b0a0cd');
  });
});
