// Lines under whitespace column headers are read by readAligned straight from the block's bytes,
// falling back to the general reader (tokenize + alignToHeader) for anything out of the usual
// shape. Held here to the general reader alone (withGeneralReader): the same records, field for
// field, on every fixture and on fixture lines with tokens swapped, blanks changed and lines cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARGUS_FIXTURES } from './helpers/argus-fixtures.js';
import { extractArgusUnguarded as extractArgus, withGeneralReader } from '../src/extract/argus.js';
import { clockBytes, dirBytes, isFlagsBytes, protoBytes, stateBytes, v4AddrEnd } from '../src/extract/argus-bytes.js';
import { isDir, parseAddr, parseTimeAt, protoOf } from '../src/extract/argus-fields.js';

const FIXTURES = ARGUS_FIXTURES;
const NAMES = [...FIXTURES.keys()];

function expectSameAsGeneral(lines: readonly string[]): number {
  const aligned = extractArgus(lines);
  const general = withGeneralReader(() => extractArgus(lines));
  expect(aligned).toStrictEqual(general);
  expect(JSON.stringify(aligned)).toBe(JSON.stringify(general));
  return aligned.length;
}

// tokens of every kind a column may hold, well formed or not
const token = fc.oneof(
  fc.constantFrom(
    '07:10:23', '7:10:23.000000', '23:59:60.5', '24:00:00', '07:10:23.', '07:10:23.1234567890', '07:1:23', '2001-09-06T07:10:23.000000', '999760223.000000', 'Thu', 'Sep',
    '192.0.2.10', '192.0.2.10.80', '192.0.2.10.http', '192.0.2.10.cisco*', '192.0.2.010.80', '192.0.2.256', '1.2.3', '1.2.3.4.', '1.2.3.4.*', '1.2.3.4._x',
    `1.2.3.4.${'p'.repeat(16)}`, `1.2.3.4.${'p'.repeat(17)}`, '10.0.0.1.0x0008', 'fe80::1', 'fe80::1.80', '2001:db8::5.http', 'x.x.x.x', '10.1.x.x.80', 'i.qosient.com.smtp',
    'tcp', 'udp', 'icmp', 'TCP', 'ipv6-*', 'man', '6', '256', 'ip', 'icmpx',
    '->', '<->', '?>', '<?', '<?>', '<|', '|>', 'o>', '<o>', 'who', 'is-at', '<>', '>', '-',
    'e', 'e s', 's', 'eU', '*', 'M', '&', 'e+', 'e@*', 'abcdefghijklm',
    '0', '9', '108', '1514', '1.514K', '9.000', '000123', '1234567890123456', '-1', '1e3',
    'CON', 'REQ', 'RST', 'A_RPA', 'S_', 'FSPA*', 'sSEfF', 's[4]=GET', '', '80', 'http', '0x1', 'ms-sql*', 'a-b_c',
  ),
  fc.string({ unit: fc.constantFrom('1', '9', '0', '.', ':', 'a', 'Z', '-', '>', '<', '?', '*', '_'), maxLength: 20 }),
);
const blank = fc.constantFrom(' ', '  ', '      ', '\t', ' \t ', '\u00a0', '\u2003', '\v', '\f');

/** A fixture line (a header's or a record's) with some of its tokens swapped, blanks changed, or cut. */
const mutatedLine = (line: string) => fc.record({
  swaps: fc.array(fc.tuple(fc.nat(20), token), { maxLength: 3 }),
  blanks: fc.array(fc.tuple(fc.nat(20), blank), { maxLength: 2 }),
  cut: fc.option(fc.nat(20), { nil: undefined }),
  extra: fc.option(token, { nil: undefined }),
  cr: fc.boolean(),
}).map(({ swaps, blanks, cut, extra, cr }) => {
  const lead = /^\s*/.exec(line)![0];
  const parts = line.trim().split(/(\s+)/); // tokens at even places, blanks at odd ones
  for (const [at, t] of swaps) if (parts.length > 0) parts[(at % Math.ceil(parts.length / 2)) * 2] = t;
  for (const [at, b] of blanks) if (parts.length > 1) parts[(at % Math.floor(parts.length / 2)) * 2 + 1] = b;
  let out = lead + parts.join('');
  if (cut !== undefined && parts.length > 2) out = lead + parts.slice(0, (cut % Math.ceil(parts.length / 2)) * 2 + 1).join('');
  if (extra !== undefined) out += ' ' + extra;
  return cr ? out + '\r' : out;
});

describe('argus aligned reader', () => {
  it('reads every fixture as the general reader does', () => {
    let n = 0;
    for (const name of NAMES) n += expectSameAsGeneral(FIXTURES.get(name) as string[]);
    expect(n).toBeGreaterThan(300);
  });

  it('reads mutated fixture lines as the general reader does', () => {
    // blocks of a fixture's first lines (its header and records), some lines mutated
    const sample = fc.constantFrom(...NAMES).chain((name) => {
      const lines = (FIXTURES.get(name) as string[]).slice(0, 12);
      return fc.tuple(...lines.map((l) => fc.oneof({ arbitrary: fc.constant(l), weight: 2 }, { arbitrary: mutatedLine(l), weight: 1 })));
    });
    fc.assert(fc.property(sample, (lines) => { expectSameAsGeneral(lines); }), { numRuns: 4000 });
  });

  it('reads lines with each Latin-1 blank between or after their tokens as the general reader does', () => {
    for (const name of NAMES) {
      const lines = FIXTURES.get(name) as string[];
      for (const blank of ['\t', '\u00a0', '\v', '\f', '\r', '\u0085', '\u00ad']) {
        expectSameAsGeneral(lines.map((l) => l.replace(/ +/g, (run) => (run.length > 1 ? run.slice(1) + blank : blank))));
        expectSameAsGeneral(lines.map((l) => l + blank + 'x'));
        expectSameAsGeneral(lines.map((l) => l + blank));
      }
    }
  });

  it('dirBytes knows every mark isDir accepts', () => {
    const marks = ['who', 'tel', 'who-has', 'is-at', 'whom', 'is-a', 'tel>'];
    const units = ['<', '>', '-', '?', '|', 'o', 'x'];
    for (const a of units) for (const b of units) for (const c of ['', ...units]) marks.push(a + b + c);
    let known = 0;
    for (const t of marks) {
      const line = ` ${t}`;
      expect(dirBytes(Buffer.from(line, 'latin1'), 1, line.length, line, 0), t).toBe(isDir(t) ? t : null);
      if (isDir(t)) known++;
    }
    expect(known).toBe(16);
  });

  it('byte readers read what the token readers read', () => {
    const check = (t: string): void => {
      if (/[^\u0000-\u00ff]/.test(t) || /\s/.test(t) || t === '') return;
      const line = `  ${t} `;
      const b = Buffer.from(line, 'latin1');
      // a clock opens with one or two digits and a colon; no other time shape does
      expect(clockBytes(b, 2, 2 + t.length, line, 0)).toStrictEqual(/^\d{1,2}:/.test(t) ? (parseTimeAt([t], 0)?.time ?? null) : null);
      expect(protoBytes(b, 2, 2 + t.length, line, 0)).toBe(protoOf(t));
      expect(dirBytes(b, 2, 2 + t.length, line, 0)).toBe(isDir(t) ? t : null);
      expect(isFlagsBytes(b, 2, 2 + t.length)).toBe(/^[A-Za-z*&+@%~^-](?:[A-Za-z*&+@%~^ -]{0,10}[A-Za-z*&+@%~^-])?$/.test(t));
      const m = parseAddr(t);
      const addrEnd = t.length <= 64 ? v4AddrEnd(b, 2, 2 + t.length) : -1;
      const v4 = addrEnd >= 0;
      if (v4) expect(m).toStrictEqual({ kind: 'addr', addr: line.slice(2, addrEnd), portText: addrEnd < 2 + t.length ? line.slice(addrEnd + 1, 2 + t.length) : null });
      else expect(m === null || m.kind === 'masked' || m.host === true || m.addr.includes(':')).toBe(true);
    };
    fc.assert(fc.property(token, (t) => check(t)), { numRuns: 20000 });
  });

  it('stateBytes gives the token, and clockBytes its fraction, as the text says, asked twice (their answers are kept by bytes)', () => {
    const latin1Token = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 9 })
      .filter((t) => !/\s/.test(t));
    const fraction = fc.stringMatching(/^\d{1,9}$/);
    fc.assert(fc.property(fc.array(fc.tuple(latin1Token, fraction), { minLength: 1, maxLength: 20 }), (items) => {
      for (let round = 0; round < 2; round++) {
        for (const [t, f] of items) {
          const line = ` ${t}  1:02:03.${f} `;
          const b = Buffer.from(line, 'latin1');
          expect(stateBytes(b, 1, 1 + t.length, line, 0)).toBe(t);
          const clockAt = 1 + t.length + 2;
          expect(clockBytes(b, clockAt, line.length - 1, line, 0)).toStrictEqual({ hour: 1, minute: 2, second: 3, fraction: f });
        }
      }
    }), { numRuns: 2000 });
  });

  it('protoBytes answers protoOf on every one- and two-byte token, asked twice (its answers are kept)', () => {
    for (let round = 0; round < 2; round++) {
      for (let c = 0; c < 256; c++) {
        const t = String.fromCharCode(c);
        const line = ` ${t} `;
        expect(protoBytes(Buffer.from(line, 'latin1'), 1, 2, line, 0)).toBe(protoOf(t));
      }
      // the two-byte tokens protoOf can name (digits, letters, '*') and a sample of the rest
      const chars = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c)).filter((ch, c) => /[0-9A-Za-z*]/.test(ch) || c % 17 === 0);
      for (const x of chars) {
        for (const y of chars) {
          const t = x + y;
          const line = `\t${t}\t`;
          expect(protoBytes(Buffer.from(line, 'latin1'), 1, 3, line, 0)).toBe(protoOf(t));
        }
      }
    }
  });
});
