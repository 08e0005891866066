// groupPrefix's parse cache outlives the post: the address it keeps as a key must be its own copy,
// not a slice of the post's text (V8 slices strings of 13 characters or more), or each entry keeps a
// whole post alive.
import { expect, it } from 'vitest';
import { heapAfterGc } from './helpers/gc.js';
import { groupPrefix } from '../src/correlate/prefix.js';

it('keeps no post text alive in its parse cache', () => {
  const before = heapAfterGc();
  for (let n = 0; n < 24; n++) {
    const text = `${'x'.repeat(1 << 20)}\n203.0.113.${100 + n}\n`;
    const addr = text.split('\n')[1]!;
    expect(groupPrefix(addr)).toBe('203.0.0.0/16');
  }
  const retained = heapAfterGc() - before;
  // 24 posts of 1 MB: kept, they would be ~24 MB
  expect(retained).toBeLessThan(8 << 20);
});
