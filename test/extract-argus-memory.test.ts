// What argus keeps across posts (one shared string per state or direction mark) must be its own
// copy, not a slice of a post's text, or each value kept keeps a whole post alive.
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import { extractArgusUnguarded as extractArgus } from '../src/extract/argus.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const HEADER = '         StartTime      Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State ';

/** Reads one post of ~1 MB whose record has a state of its own, 13 characters or more (V8 slices strings that long). */
function readPost(n: number): string | null {
  const state = `STATE${String(n).padStart(9, '0')}`;
  const text = `${'x'.repeat(1 << 20)}\n${HEADER}\n   07:10:23.000000  e           tcp         192.0.2.10.40000     ->      198.51.100.20.http          9        528  ${state}\n`;
  const records = extractArgus(text.split('\n'));
  expect(records).toHaveLength(1);
  return records[0]!.state;
}

it('keeps no post text alive in its shared strings', () => {
  const before = heapAfterGc();
  for (let n = 0; n < 24; n++) expect(readPost(n)).toBe(`STATE${String(n).padStart(9, '0')}`);
  const retained = heapAfterGc() - before;
  // 24 posts of 1 MB: kept, they would be ~24 MB
  expect(retained).toBeLessThan(8 << 20);
});
