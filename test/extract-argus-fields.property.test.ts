// The token readers that every argus record line goes through are read by hand (no regex match
// arrays); here they are held to the regular expressions they replaced, on random and edge tokens.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayOpenTime, parseAddr, parseTimeAt, portValue, protoOf } from '../src/extract/argus-fields.js';
import { isDecimalQuad } from '../src/net/ipv4.js';

const HMS = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const V4_PORT = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:\.([A-Za-z0-9][A-Za-z0-9_-]{0,15}\*?))?$/;

/** parseTimeAt on a lone clock token, as the regex read it */
function clockByRegex(token: string): unknown {
  if (token.length > 20) return undefined;
  const m = HMS.exec(token);
  if (!m) return undefined;
  const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  return m[4] !== undefined ? { hour, minute, second, fraction: m[4] } : { hour, minute, second };
}

const clockish = fc.oneof(
  fc.stringMatching(/^\d{1,3}:\d{1,3}:\d{1,3}(?:\.\d{0,10})?$/),
  fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 70 }), fc.constantFrom('', '.0', '.000000', '.123456789', '.1234567890', '.', '.x'))
    .map(([h, m, s, f]) => `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${f}`),
  fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', ':', '.', 'a', ' ', '٣'), maxLength: 22 }),
);

const addressish = fc.oneof(
  fc.tuple(fc.array(fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.constantFrom('00', '01', '0001', 'x', '')), { minLength: 3, maxLength: 5 }),
    fc.constantFrom('', '.80', '.http', '.cisco*', '.a*', '.*', '.-x', '._', '.ab_cd-ef', `.${'p'.repeat(16)}`, `.${'p'.repeat(17)}`, '.0x000b', ':80', '.80.'))
    .map(([parts, port]) => parts.join('.') + port),
  fc.string({ unit: fc.constantFrom('1', '2', '5', '9', '.', 'a', 'Z', '_', '-', '*', ':'), maxLength: 30 }),
);

describe('argus token readers read what the regular expressions read', () => {
  it('clock times', () => {
    fc.assert(
      fc.property(clockish, (token) => {
        const got = parseTimeAt([token], 0);
        const want = clockByRegex(token);
        // a token that is no clock may still be another time shape: compare only what HMS decides
        if (want !== undefined) expect(got).toEqual({ time: want, consumed: 1 });
        else if (got !== null) expect(HMS.test(token) && token.length <= 20).toBe(false);
      }),
      { numRuns: 20000 },
    );
  });

  it('dotted IPv4 addresses with a port or service', () => {
    fc.assert(
      fc.property(addressish, (token) => {
        const m = V4_PORT.exec(token);
        const got = parseAddr(token);
        if (m && isDecimalQuad(m[1] as string)) expect(got).toEqual({ kind: 'addr', addr: m[1], portText: m[2] ?? null });
        else if (got !== null && got.kind === 'addr') expect(got.host === true || token.includes(':')).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('port columns', () => {
    const byRegex = (text: string, proto: string | null, side: 'src' | 'dst'): unknown => {
      if (/^0x[0-9a-fA-F]{1,4}$/.test(text)) {
        const v = parseInt(text.slice(2), 16);
        if ((proto === 'icmp' || proto === 'ipv6-icmp') && side === 'src') return { port: null, icmpType: v & 0xff, icmpCode: v >> 8 };
        return { port: null };
      }
      return undefined;
    };
    fc.assert(
      fc.property(
        fc.oneof(fc.stringMatching(/^(?:0x)?[0-9a-fA-FxX]{0,7}$/), fc.integer({ min: 0, max: 99999 }).map(String), fc.constantFrom('http', 'cisco*', '0x', '0x0', '00080')),
        fc.constantFrom('tcp', 'udp', 'icmp', 'ipv6-icmp', 'esp', null),
        fc.constantFrom('src' as const, 'dst' as const),
        (text, proto, side) => {
          const want = byRegex(text, proto, side);
          const got = portValue(text, proto, side);
          if (want !== undefined) expect(got).toEqual(want);
          else if (/^\d{1,5}$/.test(text) && (proto === 'tcp' || proto === 'udp' || proto === null)) expect(got).toEqual({ port: Number(text) <= 65535 ? Number(text) : null });
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('protocol names: the listed name, or the lower-cased token as before', () => {
    for (const t of ['tcp', 'TCP', 'Udp', 'ipv6-icmp', 'ipv6-*', 'icm*', '17', '256', 'x', 'man', 'MAN']) {
      const got = protoOf(t);
      const lower = t.toLowerCase();
      expect(got === null || got === lower).toBe(true);
    }
    expect(protoOf('TCP')).toBe('tcp');
    expect(protoOf('x')).toBeNull();
  });
});

describe('mayOpenTime', () => {
  // first tokens of every time shape, of prose, and near misses (non-ASCII letters that lower-case to ASCII)
  const first = fc.oneof(
    fc.constantFrom('Thu', 'thu', 'THU', 'Sep', 'Sept', 'sep', 'Jan', 'June', 'Jun', 'Fri', 'Fr\u0130', '\u212Aan', 'The', 'From', 'Hi', 'We',
      '06', '6', '12/29', '12/29/01', '2001/09/06', '2001-09-06', '2001-09-06T07:10:23.000000', '999760223.000000', '07:10:23', '٣', ''),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '/', '-', ':', '.', 'T', 'a', 'S', 'e', 'p', 'u', 'h', 'J', 'n', ' '), maxLength: 12 }),
    fc.string({ maxLength: 6 }),
  );
  const rest = fc.constantFrom('Sep', '06', '01', '07:10:23', '07:10:23.5', '2001', 'x', '12/29', '03:39:05');
  it('is true wherever parseTimeAt reads a time from the first token', () => {
    fc.assert(
      fc.property(first, fc.array(rest, { maxLength: 5 }), (a, more) => {
        const tokens = [a, ...more];
        if (!mayOpenTime(a)) expect(parseTimeAt(tokens, 0)).toBeNull();
      }),
      { numRuns: 20000 },
    );
  });
  it('lets prose words go', () => {
    for (const w of ['Hi', 'We', 'Thanks', 'Please', 'Handshake', 'network,']) expect(mayOpenTime(w)).toBe(false);
    for (const w of ['Thu', 'Sept', '07:10:23', '2001-09-06']) expect(mayOpenTime(w)).toBe(true);
  });
});
