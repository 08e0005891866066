// A second read of the JSON document's speed work (json-out's chunks in flight, the element
// renderer's caches, the spill's one-post copy check, correlate's numeric group key): the cases
// that read found wrong, each failing before its fix.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ElementBytesRenderer, renderElement, writeJsonDocument } from '../src/analyze/json-out.js';

function* generated<T>(items: readonly T[]): Generator<T> {
  yield* items;
}

describe('writeJsonDocument to a stream that fails', () => {
  it('rejects with the stream error when a write fails mid-document, and stops writing', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i, text: 'x'.repeat(200) }));
    let writes = 0;
    let rendered = 0;
    const out = new Writable({
      write(_chunk: Buffer, _e, cb) {
        if (++writes === 2) cb(new Error('disk full'));
        else setTimeout(cb, 1);
      },
    });
    out.on('error', () => {});
    function* counted(): Generator<unknown> {
      for (const item of generated(items)) {
        rendered++;
        yield item;
      }
    }
    await expect(writeJsonDocument({ schema: 'x', items: counted() }, out)).rejects.toThrow('disk full');
    // the document is not rendered to the end into a stream that has failed (~4.4 MB, ~17 chunks)
    expect(rendered).toBeLessThan(items.length);
  });

  it('rejects when the stream was destroyed before the document', async () => {
    const out = new Writable({ write: (_c, _e, cb) => cb() });
    out.on('error', () => {});
    out.destroy();
    await expect(writeJsonDocument({ schema: 'x', items: generated([1, 2, 3]) }, out)).rejects.toThrow();
  });
});

describe('ElementBytesRenderer and a shared object changed in place', () => {
  it('numbers the object again after the change instead of missing on it for every later element', () => {
    const r = new ElementBytesRenderer();
    let reads = 0;
    // a reporter shared by every element; its address is read through a getter so the reads can be counted
    // (the getter first: a changed name after it does not stop the check before it is read)
    const party: Record<string, unknown> = {};
    Object.defineProperty(party, 'address', { enumerable: true, get: () => (reads++, 'sigrid@cert.example') });
    party.name = 'Sigrid Holm';
    party.org = 'cert.example';
    const element = (i: number): Record<string, unknown> => ({ id: `obs-${i}`, post: 'p1', reporter: party, class: 'syn-rejected', line: i });
    const check = (i: number): void => {
      const o = element(i);
      const before = reads;
      const want = renderElement(o);
      reads = before;
      r.render(o);
      expect(r.buf.toString('utf8', 0, r.length)).toBe(want);
    };
    for (let i = 0; i < 300; i++) check(i);
    party.name = 'Sigrid Holm-Berg';
    for (let i = 300; i < 400; i++) check(i);
    const start = reads;
    for (let i = 400; i < 500; i++) check(i);
    // numbered: one read per element (is it still the same?); missed: read again to render it and to number it
    expect(reads - start).toBeLessThanOrEqual(100);
  });
});
