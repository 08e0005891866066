// What argus keeps across posts (one shared string per state or direction mark, the port of each
// service name) must be its own copy, not a slice of a post's text, or each value kept keeps a
// whole post alive.
import { expect, it } from 'vitest';
import { heapAfterGc } from './helpers/gc.js';
import { extractArgusUnguarded as extractArgus } from '../src/extract/argus.js';

const HEADER = '         StartTime      Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State ';

/** Reads one post of ~1 MB whose record has a state or service name of its own, 13 characters or more (V8 slices strings that long). */
function readPost(n: number, what: 'state' | 'service'): void {
  const own = `${what === 'state' ? 'STATE' : 'svc'}${String(n).padStart(what === 'state' ? 9 : 11, '0')}`;
  const state = what === 'state' ? own : 'CON';
  const dst = what === 'service' ? `198.51.100.20.${own}` : '198.51.100.20.http';
  const text = `${'x'.repeat(1 << 20)}\n${HEADER}\n   07:10:23.000000  e           tcp         192.0.2.10.40000     ->      ${dst}          9        528  ${state}\n`;
  const records = extractArgus(text.split('\n'));
  expect(records).toHaveLength(1);
  if (what === 'state') expect(records[0]!.state).toBe(own);
}

for (const what of ['state', 'service'] as const) {
  it(`keeps no post text alive in what it keeps of a ${what}`, () => {
    const before = heapAfterGc();
    for (let n = 0; n < 24; n++) readPost(n, what);
    const retained = heapAfterGc() - before;
    // 24 posts of 1 MB: kept, they would be ~24 MB
    expect(retained).toBeLessThan(8 << 20);
  });
}
