// The shape cache outlives the posts it learned from: what it keeps of a record (an alert's message,
// a request text) must be its own copy, not a slice of the post's text, or each cached shape keeps a
// whole post alive.
import { expect, it } from 'vitest';
import { heapAfterGc } from './helpers/gc.js';
import { classifyRecord } from '../src/classify/classify.js';
import { extractRecords } from '../src/extract/index.js';

/** Classifies the alerts of one post of ~1 MB whose alert message is its own. */
function classifyPost(n: number): number {
  const text = 'x'.repeat(1 << 20) + '\n'
    + `09/06-14:04:21.613276  [**] [1:${1000 + n}:1] WEB-IIS request number ${n} of a long message [**] [Classification: Web Application Attack] [Priority: 1] {TCP} 10.1.2.${n}:3305 -> 192.168.1.10:80\n`;
  const lines = text.split('\n');
  let count = 0;
  for (const r of extractRecords(lines).records) {
    expect(r.signature?.message).toContain(`number ${n} `);
    classifyRecord(r);
    count++;
  }
  return count;
}

it('keeps no post text alive in its cache', () => {
  const before = heapAfterGc();
  let records = 0;
  for (let n = 0; n < 24; n++) records += classifyPost(n);
  expect(records).toBe(24);
  const retained = heapAfterGc() - before;
  // 24 posts of 1 MB: kept, they would be ~24 MB (2 bytes a character if not Latin-1: more)
  expect(retained).toBeLessThan(8 << 20);
});
