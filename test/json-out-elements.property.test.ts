// ElementBytesRenderer on long runs of elements of a few shapes, as a list of observations is:
// past the first elements of a shape it copies whole segments of fields from the bytes of earlier
// elements with the same values (see element() in src/analyze/json-out.ts). Every element must
// still be renderElement's bytes (JSON.stringify(x, null, 2) laid out in the array), whatever the
// values: odd strings, absent fields, shared objects changed between two elements, fields whose
// values stop recurring half-way.

import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElementBytesRenderer, renderElement, writeJsonDocument } from '../src/analyze/json-out.js';
import { seedObservations } from './helpers/brains-seed.js';

function rendered(r: ElementBytesRenderer, v: unknown, at = 0): string {
  r.render(v, at);
  return r.buf.toString('utf8', at, r.length);
}

const ODD_STRINGS = [
  '',
  'plain',
  'a"b',
  'back\\slash',
  'tab\there\nnewline',
  '\u0000\u001f\u007f',
  'lone \ud800 surrogate',
  'trail \udc00',
  'Søren Ærø',
  '日本語のテキスト',
  'x'.repeat(39),
  'x'.repeat(40),
  'y'.repeat(41) + '"',
  'z'.repeat(200),
  '141.8.2.61',
  '2001-09-06T02:17:56.000000+01:00',
];
const ODD_NUMBERS = [0, -0, 1, 7, 80, 65535, 2 ** 31 - 1, 2 ** 31, -1, -(2 ** 31), 1.5, 1e21, 1e-7, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER];
const ABSENT_VALUES = [undefined, () => 1, Symbol('s')];

/** a value from a pool small enough that it recurs (what a field numbers), or a new one */
const leaf = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(...ODD_STRINGS, ...ODD_NUMBERS, true, false, null) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...ABSENT_VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.array(fc.constantFrom<unknown>('a', 1, null, { k: 'v' }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ nested: { deep: [1, 'x'] } }, {}, [], { toJSON: () => 'custom' }, new Date(0)) },
);

const KEYS = ['id', 'post', 'reporter', 'quoted', 'line', 'time', 'a"b', 'ü', '1', 'evidence', 'totalsOnly'];

interface Plan {
  /** shapes: key orders */
  shapes: string[][];
  /** per element: which shape, and per key a choice */
  elements: Array<{ shape: number; values: unknown[]; unique: boolean[]; mutate: number }>;
}

const plan: fc.Arbitrary<Plan> = fc
  .tuple(
    fc.array(fc.shuffledSubarray(KEYS, { minLength: 0, maxLength: KEYS.length }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.tuple(fc.nat(), fc.array(leaf, { minLength: KEYS.length, maxLength: KEYS.length }), fc.array(fc.boolean(), { minLength: KEYS.length, maxLength: KEYS.length }), fc.nat(20)), { minLength: 1, maxLength: 24 }),
  )
  .map(([shapes, pool]) => ({ shapes, elements: pool.map(([shape, values, unique, mutate]) => ({ shape: shape % shapes.length, values, unique, mutate })) }));

describe('ElementBytesRenderer over many elements of a shape', () => {
  it('writes renderElement of every element: recurring and new values, absent fields, shared objects changed in between', () => {
    fc.assert(
      fc.property(plan, fc.integer({ min: 150, max: 500 }), fc.nat(), (p, count, seed) => {
        const r = new ElementBytesRenderer();
        const into = new ElementBytesRenderer();
        // shared objects, as a corpus's reporters are: the same object in many elements, sometimes changed
        const parties = [
          { name: 'Sigrid Holm', address: 'sigrid@cert.example', org: 'cert.example' },
          { name: null as string | null, address: 'a"b@x', org: null as string | null },
          { name: 'Ærø', address: null, org: 'ü.example' },
        ];
        let x = seed;
        const next = (): number => (x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0);
        for (let i = 0; i < count; i++) {
          const e = p.elements[next() % p.elements.length]!;
          const keys = p.shapes[e.shape]!;
          const o: Record<string, unknown> = {};
          for (let k = 0; k < keys.length; k++) {
            const key = keys[k]!;
            const slot = KEYS.indexOf(key);
            if (key === 'reporter') o[key] = parties[(next() % 4) % parties.length];
            else if (e.unique[slot]) o[key] = slot % 2 === 0 ? `u-${i}-${next() % 1000}` : i * 7 + (next() % 3);
            else o[key] = e.values[slot];
          }
          if (e.mutate === 0) {
            // a shared object changed between two elements: its value, or a key added or removed
            const party = parties[next() % parties.length] as Record<string, unknown>;
            const what = next() % 4;
            if (what === 0) party.name = `changed ${i}`;
            else if (what === 1) party.extra = i;
            else if (what === 2) delete party.extra;
            else party.org = ODD_STRINGS[next() % ODD_STRINGS.length];
          }
          const want = renderElement(o);
          const got = rendered(r, o, i % 3 === 0 ? 0 : 29);
          if (got !== want) expect(got).toBe(want);
          // into a caller's buffer with little room left: the element moves to the renderer's own part-way
          const target = Buffer.alloc(64 + (next() % 400));
          const at = next() % target.length;
          into.render(o, at, target);
          const gotInto = into.buf.toString('utf8', into.start, into.length);
          if (gotInto !== want) expect(gotInto).toBe(want);
          if (into.buf === target) expect(into.start).toBe(at);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes renderElement of seed observations repeated with their ids, times and addresses changed', () => {
    const seed = seedObservations();
    const r = new ElementBytesRenderer();
    for (let i = 0; i < 3000; i++) {
      const o = { ...seed[i % seed.length]! } as unknown as Record<string, unknown>;
      o.id = `obs-${(i * 2654435761 >>> 0).toString(16)}`;
      o.line = i;
      if (i % 5 === 0) o.time = null;
      else o.time = `2001-09-06T0${i % 10}:1${i % 7}:00${i % 3 === 0 ? '.5' : ''}+01:00`;
      if (typeof o.src === 'string') o.src = `10.${i % 256}.${(i >> 8) % 256}.1`;
      if (i % 11 === 0) o.evidence = `evidence "${i % 4}" \\ ü`;
      if (i % 13 === 0) delete o.actor;
      expect(rendered(r, o)).toBe(renderElement(o));
    }
  });
});

describe('writeJsonDocument with elements rendered into its chunks', () => {
  it('writes JSON.stringify of the whole when elements straddle, fill or overflow a chunk', async () => {
    // elements of one shape from a few bytes to several chunks, so some are rendered where the chunk has no room left
    const sizes = [10, 3000, 15_000, 17_000, 40_000, 262_144, 300_000, 5, 600_000, 16_384];
    const items = Array.from({ length: 400 }, (_, i) => ({ i, text: 'ü'.repeat(sizes[i % sizes.length]! >> 1) + 'x'.repeat(sizes[(i * 7) % sizes.length]! & 1), tag: i % 3 === 0 ? 'a"b' : 'plain', list: [i] }));
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        // a chunk handed on is copied: the writer may reuse its buffer only for file and socket streams
        chunks.push(Buffer.from(chunk));
        cb();
      },
    });
    function* generated(): Generator<unknown> {
      yield* items;
    }
    await writeJsonDocument({ schema: 'x', items: generated(), after: [1] }, out);
    expect(Buffer.concat(chunks).toString('utf8') === JSON.stringify({ schema: 'x', items, after: [1] }, null, 2) + '\n').toBe(true);
  });
});

describe('writeJsonDocument with short pieces', () => {
  it('writes the UTF-8 of short non-ASCII keys and tails (the JS copy of short pieces falls back to it)', async () => {
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    });
    const items = [{ a: 1 }, { 'ü': 'é' }, { b: '→' }];
    function* generated(): Generator<unknown> {
      yield* items;
    }
    await writeJsonDocument({ 'ü': generated(), 'é→': [1], plain: 'x' }, out);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(JSON.stringify({ 'ü': items, 'é→': [1], plain: 'x' }, null, 2) + '\n');
  });
});

describe('writeJsonDocument to a slow stream', () => {
  it('writes the whole document when the stream calls back late (chunks in flight wait for it)', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({ i, text: `item ${i} ${'ü→'.repeat(i % 50)}`, more: 'x'.repeat(i % 700) }));
    const chunks: Buffer[] = [];
    let pendingWrites = 0;
    let most = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _e, cb) {
        chunks.push(Buffer.from(chunk));
        most = Math.max(most, ++pendingWrites);
        setTimeout(() => {
          pendingWrites--;
          cb();
        }, 1);
      },
    });
    function* generated(): Generator<unknown> {
      yield* items;
    }
    await writeJsonDocument({ schema: 'x', items: generated() }, out);
    expect(Buffer.concat(chunks).toString('utf8') === JSON.stringify({ schema: 'x', items }, null, 2) + '\n').toBe(true);
    // every write called back before the document is done
    expect(pendingWrites).toBe(0);
  });
});
