// The extractors' screens (src/extract/screen.ts) skip the full parse of lines it cannot read.
// They must be exact: on fixture text, on mutated fixture text and on random text, every
// extractor and extractRecords give the same records with the screens on as with them off.
import { join } from 'node:path';
import fc from 'fast-check';
import { fixtureLines } from './helpers/fixture-files.js';
import { describe, expect, it } from 'vitest';
import { EXTRACTORS as ALL_EXTRACTORS, extractRecords } from '../src/extract/index.js';
import { isSpaceCode, withoutScreens } from '../src/extract/screen.js';
import type { Extractor } from '../src/extract/types.js';

// every extractor extractRecords runs, and extractRecords itself
const EXTRACTORS: ReadonlyArray<readonly [string, Extractor]> = [...ALL_EXTRACTORS, ['all', (lines) => extractRecords(lines).records]];


const FIXTURES = fixtureLines('');
const POOL = FIXTURES.flat().filter((l) => l.trim() !== '');

function same(lines: readonly string[]): void {
  for (const [name, extract] of EXTRACTORS) {
    const screened = extract(lines);
    const full = withoutScreens(() => extract(lines));
    expect(screened, name).toEqual(full);
  }
}

/** What mail clients and posters do to record lines: wrap, join, indent, edit, insert the characters the screens look for. */
const EDIT_PIECES = ['\u00a0', '\u2003', '\ufeff', 'Proto', 'SrcAddr', 'State', ' > ', '>', ' >', '> ', 'IP', 'IP (', '->', ' ', '  ', '\t', '.', ':', ',', '[**]', '0', '80', '1.2.3.4', 'tcp', '#', '{', '=', '|'];

function mutate(line: string, rng: () => number): string {
  const at = Math.floor(rng() * (line.length + 1));
  const to = Math.min(line.length, at + Math.floor(rng() * 12));
  switch (Math.floor(rng() * 6)) {
    case 0: return line.slice(0, at) + (EDIT_PIECES[Math.floor(rng() * EDIT_PIECES.length)] as string) + line.slice(at);
    case 1: return line.slice(0, at) + line.slice(to);
    case 2: return line.slice(0, at) + (EDIT_PIECES[Math.floor(rng() * EDIT_PIECES.length)] as string) + line.slice(to);
    case 3: return `${' '.repeat(1 + Math.floor(rng() * 8))}${line}`;
    case 4: return line.toUpperCase();
    default: return line.toLowerCase();
  }
}

describe('extractor screens are exact', () => {
  it('treat exactly the UTF-16 code units /\\s/ matches (and trim() strips) as spaces', () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      expect(isSpaceCode(c), c.toString(16)).toBe(/\s/.test(ch));
      expect(isSpaceCode(c), c.toString(16)).toBe(`a${ch}`.trim() === 'a');
    }
  });

  it('on every fixture', () => {
    for (const lines of FIXTURES) same(lines);
  });

  it('on runs of fixture lines, mutated, wrapped and joined', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 30 }), (seed, n) => {
        let state = seed;
        const rng = (): number => {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          return state / 2 ** 32;
        };
        const start = Math.floor(rng() * POOL.length);
        const lines: string[] = [];
        for (let k = 0; k < n; k++) {
          let line = POOL[(start + k) % POOL.length] as string;
          const r = rng();
          if (r < 0.4) line = mutate(line, rng);
          if (r > 0.85 && line.length > 10) {
            // wrapped by a mail client: the rest goes on the next line
            const cut = 1 + Math.floor(rng() * (line.length - 1));
            lines.push(line.slice(0, cut), line.slice(cut));
            continue;
          }
          if (r > 0.8 && r <= 0.85 && lines.length > 0) {
            lines[lines.length - 1] = `${lines[lines.length - 1] as string} ${line}`;
            continue;
          }
          lines.push(line);
        }
        same(lines);
      }),
      { numRuns: 400 },
    );
  });

  it('on hex dump rows and lines that nearly are (argus lets rows go on their first two tokens)', () => {
    const hex2 = fc.constantFrom('04', '01', '4E', 'ff', 'Ab', '12', '31', '06', '0x', 'g0', '1', '123', '::', '1.', '.2');
    const token = fc.constantFrom('01', 'DC', 'Sep', 'sep', 'Thu', '07:10:23', '07:10:23.000000', '2001', '01', 'tcp', '1.2.3.4', '1.2.3.4.80', '130.216.', '130', '::1', 'man', '->', '....B...', 'E.P.', 'x');
    const space = fc.constantFrom(' ', '  ', '\t', '\u00a0', '\u2003');
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(space, hex2, space, hex2, fc.array(fc.tuple(space, token), { maxLength: 5 }), fc.constantFrom('', ' ', '\t')).map(
            ([s0, a, s1, b, rest, end]) => `${s0.length > 1 ? s0 : ''}${a}${s1}${b}${rest.map(([sp, t]) => sp + t).join('')}${end}`,
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (lines) => same(lines),
      ),
      { numRuns: 1500 },
    );
  });

  it('on random text built from the characters the screens look for', () => {
    const piece = fc.constantFrom(...EDIT_PIECES, 'a', 'Flags [S]', 'seq 1', ' win 512', ': ', 'ack 1', '10:00:00.1 ', 'udp 12', 'S 1:1(0)', 'CON', 'A_R', 'SRC=1.2.3.4', 'proto', ' saddr', ' daddr', ' state', 'stime ', 'Dir ');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 14 }).map((p) => p.join('')), { maxLength: 8 }), (lines) => same(lines)),
      { numRuns: 1500 },
    );
  });
});
