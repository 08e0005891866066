// extractRecords puts the accepted records in line order without sorting when they were accepted
// in order, and by start line otherwise. Held here to the plain algorithm (claim in precedence
// order, then a stable sort by line) on blocks where several extractors' records interleave.
import fc from 'fast-check';
import { fixtureLines } from './helpers/fixture-files.js';
import { describe, expect, it } from 'vitest';
import { EXTRACTORS, extractRecords } from '../src/extract/index.js';
import type { ExtractedRecord } from '../src/extract/types.js';

function byClaimAndSort(lines: readonly string[]): ExtractedRecord[] {
  const claimed = new Uint8Array(lines.length);
  const records: ExtractedRecord[] = [];
  for (const [, extract] of EXTRACTORS) {
    for (const rec of extract(lines)) {
      const end = Math.min(lines.length, rec.line + Math.max(1, rec.lineCount));
      let free = true;
      for (let i = rec.line; i < end; i++) if (claimed[i]) free = false;
      if (!free) continue;
      claimed.fill(1, rec.line, end);
      records.push(rec);
    }
  }
  return records.sort((a, b) => a.line - b.line);
}


// runs of a few consecutive lines of every record fixture, so multi-line records stay whole sometimes
const FILES = fixtureLines('extract', 'argus');

const run = fc
  .tuple(fc.nat(FILES.length - 1), fc.nat(10_000), fc.integer({ min: 1, max: 8 }))
  .map(([f, at, len]) => {
    const lines = FILES[f] as string[];
    const start = at % Math.max(1, lines.length);
    return lines.slice(start, start + len);
  });

describe('extractRecords', () => {
  it('gives the records of claiming in precedence order and a stable sort by line', () => {
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 12 }), (runs) => {
        const lines = runs.flat();
        const got = extractRecords(lines).records;
        expect(got).toEqual(byClaimAndSort(lines));
        for (let i = 1; i < got.length; i++) expect(got[i]!.line).toBeGreaterThan(got[i - 1]!.line);
      }),
      { numRuns: 400 },
    );
  });
  it('on whole fixtures and on fixtures put after one another in reverse', () => {
    let interleaved = 0;
    for (const lines of FILES) expect(extractRecords(lines).records).toEqual(byClaimAndSort(lines));
    const all = [...FILES].reverse().flat();
    const got = extractRecords(all).records;
    expect(got).toEqual(byClaimAndSort(all));
    // the blocks this test builds do reach the path that reorders: records of a later extractor before an earlier one's
    const order = EXTRACTORS.map(([name]) => name);
    for (let i = 1; i < got.length; i++) if (order.indexOf(got[i]!.source) < order.indexOf(got[i - 1]!.source)) interleaved++;
    expect(interleaved).toBeGreaterThan(0);
  });
});
