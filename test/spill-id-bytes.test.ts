// The spill's observation ids written as bytes from its IdTable (StreamedStrings' numbered form)
// give what rendering the id strings gives: packed ids and any other, at any offset, into a
// caller's buffer too small for the list (the element moves to the renderer's own mid-list).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElementBytesRenderer, renderElement, StreamedStrings } from '../src/analyze/json-out.js';
import { IdTable } from '../src/analyze/spill-store.js';

const hex16 = fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: 16, maxLength: 16 }).map((a) => a.join(''));
const anyId = fc.oneof(
  { weight: 6, arbitrary: hex16.map((h) => `obs-${h}`) },
  // not packed: upper case, a non-hex digit, other lengths, non-ASCII, characters JSON escapes
  { weight: 1, arbitrary: hex16.map((h) => `obs-${h.toUpperCase()}`) },
  { weight: 1, arbitrary: hex16.map((h) => `obs-${h.slice(0, 15)}g`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('obs-ü', 'obs-"quoted"\\', 'obs-\n', `obs-${'a'.repeat(16)}x`) },
);

describe('observation ids written from the IdTable', () => {
  it('writeJson gives JSON.stringify of the id for a packed id, -1 for any other, at any offset', () => {
    fc.assert(
      fc.property(fc.array(anyId, { minLength: 1, maxLength: 40 }), fc.nat(100), (ids, at) => {
        const table = new IdTable();
        for (const id of ids) table.push(id);
        const buf = Buffer.alloc(at + table.maxJsonBytes, 0xee);
        ids.forEach((id, i) => {
          buf.fill(0xee);
          const end = table.writeJson(i, buf, at);
          const packed = /^obs-[0-9a-f]{16}$/.test(id);
          expect(end).toBe(packed ? at + 22 : -1);
          if (packed) expect(buf.toString('latin1', at, end)).toBe(JSON.stringify(id));
          // nothing written before `at`
          for (let k = 0; k < at; k++) expect(buf[k]).toBe(0xee);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a finding whose ids stream by number renders as the same list of strings would', () => {
    fc.assert(
      fc.property(fc.array(anyId, { maxLength: 300 }), fc.array(fc.nat(299), { maxLength: 400 }), fc.nat(200), fc.integer({ min: 0, max: 64 }), (ids, refs0, at, room) => {
        const table = new IdTable();
        for (const id of ids) table.push(id);
        const refs = ids.length === 0 ? [] : refs0.map((r) => r % ids.length);
        const strings = refs.map((r) => ids[r] as string);
        const streamed = new StreamedStrings(
          (emit) => refs.forEach((r) => emit(table.get(r))),
          { table, forEach: (emit) => refs.forEach((r) => emit(r)) },
        );
        const want = renderElement({ kind: 'group', observations: strings, after: 1 });
        const r = new ElementBytesRenderer();
        // a caller's buffer with little room past `at`: the list outgrows it
        const into = Buffer.alloc(at + room);
        r.render({ kind: 'group', observations: streamed, after: 1 }, at, into);
        expect(r.buf.toString('utf8', r.start, r.length)).toBe(want);
        // and into the renderer's own buffer, twice (the element's shape seen before)
        for (let k = 0; k < 2; k++) {
          r.render({ kind: 'group', observations: streamed, after: 1 }, at);
          expect(r.buf.toString('utf8', r.start, r.length)).toBe(want);
        }
      }),
      { numRuns: 200 },
    );
  });
});
