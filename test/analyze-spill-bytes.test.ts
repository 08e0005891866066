// The spilling corpus's byte-level pieces against what they stand for: the element renderer
// against renderElement (JSON.stringify), the duplicate-key hashes from parts against hash96 of the
// key strings, and the record file's read-back.

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Observation } from '../src/contract.js';
import { ElementBytesRenderer, renderElement, writeJsonDocument } from '../src/analyze/json-out.js';
import { duplicateKey, hashDuplicateKeys, wallClockDuplicateKey } from '../src/correlate/duplicates.js';
import { hash96 } from '../src/correlate/hash96.js';
import { RecordFile } from '../src/analyze/spill-store.js';
import { seedObservations } from './helpers/brains-seed.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-spill-bytes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function rendered(r: ElementBytesRenderer, v: unknown, at = 0): string {
  r.render(v, at);
  return r.buf.toString('utf8', at, r.length);
}

/** strings with what JSON escapes or UTF-8 encodes in several bytes, short and long */
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', 'a"b', 'back\\slash', 'tab\there', '\u0000\u001f\u007f', 'lone \ud800 surrogate', 'Søren Ærø', 'x'.repeat(30) + '"', 'y'.repeat(200), '日本語のテキスト'.repeat(5)),
);
const numberValue = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 1e21, 1e-7, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER));
const leaf = fc.oneof(text, numberValue, fc.boolean(), fc.constant(null), fc.constant(undefined));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('v'), { maxLength: 5 }),
  obj: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('id', 'time', '1', '__proto__x', 'a"b')), tie('v'), { maxKeys: 6 }),
})).v;

describe('ElementBytesRenderer', () => {
  it('writes the bytes of renderElement on every seed observation, at any offset and after other shapes', () => {
    const r = new ElementBytesRenderer();
    for (const o of seedObservations()) {
      expect(rendered(r, o)).toBe(renderElement(o));
      expect(rendered(r, o, 37)).toBe(renderElement(o));
      const { reporter: _r, ...without } = o;
      expect(rendered(r, without)).toBe(renderElement(without));
    }
  });

  it('writes the bytes of renderElement on random values (escapes, non-ASCII, numbers, undefined, nesting)', () => {
    const r = new ElementBytesRenderer();
    fc.assert(
      fc.property(fc.array(fc.oneof(value, fc.dictionary(fc.string({ maxLength: 6 }), value)), { minLength: 1, maxLength: 4 }), (vs) => {
        for (const v of vs) {
          const want = JSON.stringify(v, null, 2);
          if (want === undefined) continue;
          expect(rendered(r, v)).toBe(renderElement(v));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('hands what is not plain data to JSON.stringify: toJSON, class instances, a Date, deep nesting', () => {
    const r = new ElementBytesRenderer();
    let deep: unknown = { leaf: 'x' };
    for (let i = 0; i < 100; i++) deep = { next: deep, list: [i] };
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    for (const v of [{ when: new Date(0) }, { at: { toJSON: () => 'custom' } }, { p: new Point(1, 2) }, deep, [undefined, () => 1, Symbol('s')], { f: () => 1, s: Symbol('s'), u: undefined, k: 1 }, {}, []]) {
      expect(rendered(r, v)).toBe(renderElement(v));
    }
  });

  it('streams plain objects in a document with the bytes JSON.stringify gives the whole', async () => {
    const items = [...seedObservations(), { a: [1, { b: 'ü\n' }], c: {} }, [], 'text', 5, null];
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    function* generated(): Generator<unknown> {
      yield* items;
    }
    await writeJsonDocument({ schema: 'x', items: generated(), after: [1] }, out);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(JSON.stringify({ schema: 'x', items, after: [1] }, null, 2) + '\n');
  });
});

describe('writeJsonDocument to a file', () => {
  it('reuses its chunk buffers only once the file has them: a document of many chunks comes out whole', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i, text: `item ${i} ${'ü→'.repeat(i % 40)}`, list: [i, String(i)] }));
    function* generated(): Generator<unknown> {
      yield* items;
    }
    const file = join(work, 'doc.json');
    const out = createWriteStream(file);
    await writeJsonDocument({ schema: 'x', items: generated(), tail: [{ big: 'z'.repeat(600_000) }] }, out);
    await new Promise<void>((resolve) => out.end(() => resolve()));
    expect(readFileSync(file, 'utf8') === JSON.stringify({ schema: 'x', items, tail: [{ big: 'z'.repeat(600_000) }] }, null, 2) + '\n').toBe(true);
  });
});

describe('duplicate keys hashed from their parts', () => {
  const [template] = seedObservations() as [Observation];
  const part = <T>(...vs: T[]): fc.Arbitrary<T> => fc.constantFrom(...vs);
  const record = fc.record({
    source: part('argus', 'snort', 'snort|x', 'Ärgus'),
    proto: part('tcp', 'TCP', 'udp', null, 'a|b', 'İCMP'),
    src: part('10.0.0.1', 'Host.Example', null, 'FE80::1'),
    sport: part(80, null, 0, -1, 1.5, 2 ** 40),
    dst: part('10.0.0.2', '10.0.0.1|80'),
    dport: part(1025, null),
    time: fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 9 }), fc.constantFrom('+12:00', 'Z', '-05:00', ''), fc.constantFrom('', '.5', '.999')).map(([s, off, frac]) => `2001-09-06T07:10:0${s}${frac}${off}`),
      fc.constantFrom(null, '', 'yesterday', 'x|y', '1969-12-31T23:59:59.5Z', '0001-01-01T00:00:00Z', '2001-09-06T07:10', '２001-09-06T07:10:01'),
    ),
    srcFlags: part('S', null, ''),
    state: part('CON', null, 'A|B'),
    srcPkts: part(1, 2, null),
    sig: part(undefined, '1:1002', '1:1|2'),
  });

  it('gives hash96 of duplicateKey and of wallClockDuplicateKey, and the time Date.parse reads', () => {
    const u = new Int32Array(3);
    const l = new Int32Array(3);
    const wantU = new Int32Array(3);
    const wantL = new Int32Array(3);
    fc.assert(
      fc.property(record, (s) => {
        const o: Observation = { ...template, source: s.source, proto: s.proto, src: s.src, sport: s.sport, dst: s.dst, dport: s.dport, time: s.time, srcFlags: s.srcFlags, state: s.state, srcPkts: s.srcPkts };
        delete o.signature;
        if (s.sig !== undefined) o.signature = { id: s.sig };
        const t = hashDuplicateKeys(o, 0x75, u, 0x6c, l);
        hash96(duplicateKey(o), 0x75, wantU);
        hash96(wallClockDuplicateKey(o), 0x6c, wantL);
        expect([...u]).toEqual([...wantU]);
        expect([...l]).toEqual([...wantL]);
        expect(t).toEqual(o.time ? Date.parse(o.time) : NaN);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('RecordFile', () => {
  it('gives back every record in order and by index, across chunk boundaries and larger than a chunk', () => {
    const file = new RecordFile(join(work, 'records.bin'));
    const records: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const size = i === 2500 ? 3 << 20 : i % 100 === 0 ? 0 : (i * 7919) % 5000;
      const b = Buffer.alloc(size, i % 251);
      if (size > 0) b[0] = i & 255;
      records.push(b);
      file.append(b, b.length);
    }
    file.finishWrites();
    let n = 0;
    for (const rec of file.records()) {
      expect(rec.index).toBe(n);
      expect(rec.bytes.subarray(rec.start, rec.end).equals(records[n] as Buffer)).toBe(true);
      n++;
    }
    expect(n).toBe(records.length);
    for (const i of [0, 1, 2500, 4999]) expect(file.read(i).equals(records[i] as Buffer)).toBe(true);
    file.close();
  });

  it('finds a record by index from the offsets it keeps (every 64th) and the lengths, strings and bytes mixed', () => {
    const file = new RecordFile(join(work, 'mixed.bin'));
    const records: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 3 === 0) {
        const s = `${i}:${'é'.repeat(i % 17)}${'x'.repeat((i * 31) % 300)}`;
        file.appendString(s);
        records.push(Buffer.from(s, 'utf8'));
      } else {
        const b = Buffer.alloc((i * 7919) % 2000, i % 251);
        file.append(b, b.length);
        records.push(b);
      }
    }
    file.finishWrites();
    expect(file.count).toBe(records.length);
    for (let i = records.length - 1; i >= 0; i--) expect(file.read(i).equals(records[i] as Buffer)).toBe(true);
    let n = 0;
    for (const rec of file.records()) expect(rec.bytes.subarray(rec.start, rec.end).equals(records[n++] as Buffer)).toBe(true);
    expect(n).toBe(records.length);
    file.close();
  });
});

describe('typed lists', () => {
  it('keep every value pushed, across chunk boundaries, and take sets', async () => {
    const { Float64List, Int32List, Uint8List } = await import('../src/correlate/typed-lists.js');
    const ints = new Int32List();
    const floats = new Float64List();
    const bytes = new Uint8List();
    const n = 300_000;
    let indexes = 0;
    for (let i = 0; i < n; i++) {
      if (ints.push(i * 7 - 5) === i) indexes++;
      floats.push(i * 4096.5);
      bytes.push(i & 255);
    }
    expect(indexes).toBe(n);
    expect(ints.length).toBe(n);
    for (const i of [0, 255, 256, 65_535, 65_536, 131_071, 131_072, n - 1]) {
      expect(ints.get(i)).toBe(i * 7 - 5);
      expect(floats.get(i)).toBe(i * 4096.5);
      expect(bytes.get(i)).toBe(i & 255);
      ints.set(i, -i - 1);
      expect(ints.get(i)).toBe(-i - 1);
    }
  });
});
