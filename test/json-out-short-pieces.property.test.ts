// ChunkWriter.add copies a short ASCII piece into the chunk in JS and hands any other to the UTF-8
// encoder: the document's bytes must be JSON.stringify(doc, null, 2) wherever the chunk boundaries
// fall (a short piece landing at a chunk's very end, one longer than the room left, one with a
// character past ASCII, a lone surrogate, a 2-, 3- or 4-byte character at the boundary). Pins the
// old behaviour (a native UTF-8 write of every piece) on the new code.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RenderedBytes, writeJsonDocument } from '../src/analyze/json-out.js';

const SHORT = ['', 'a', 'ab', 'é', 'aé', '→', 'a→b', '\u{1f600}', '\ud800', 'x\udc00', '"', '\\', '\n', '\u0000', '\u007f', '\u0080', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(33), 'é'.repeat(11), 'é'.repeat(32)];
const short = fc.oneof(fc.constantFrom(...SHORT), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));
const item = fc.oneof(
  fc.dictionary(short, fc.oneof(short, fc.integer(), fc.constant(null)), { maxKeys: 5 }),
  // a long ASCII or non-ASCII run moves the next boundary by any amount
  fc.tuple(fc.nat(9000), fc.constantFrom('p', 'ü', '日')).map(([n, c]) => ({ pad: c.repeat(n) })),
  fc.array(short, { maxLength: 4 }),
  short,
);

async function written(doc: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  await writeJsonDocument(doc, out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('writeJsonDocument with short pieces across chunk boundaries', () => {
  it('writes JSON.stringify(doc, null, 2) for elements streamed (async and sync) and plain', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 300 }), fc.dictionary(short, short, { maxKeys: 3 }), async (items, head) => {
        const want = JSON.stringify({ ...head, list: items, tail: items.slice(0, 3) }, null, 2) + '\n';
        async function* async(): AsyncGenerator<unknown> {
          yield* items;
        }
        function* sync(): Generator<unknown> {
          yield* items;
        }
        expect(await written({ ...head, list: async(), tail: items.slice(0, 3) })).toBe(want);
        expect(await written({ ...head, list: sync(), tail: items.slice(0, 3) })).toBe(want);
        expect(await written({ ...head, list: items, tail: items.slice(0, 3) })).toBe(want);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('writes a short tail that comes when the chunk is exactly full (no room left for it)', async () => {
    // an element of pre-rendered bytes (a JSON string without its last character) and its tail
    // (that character and the closing quote): for one of these sizes the bytes end exactly at the
    // 256 KB chunk's end, and the tail must go to the next chunk, not past this one's end
    for (let k = 256 * 1024 - 48; k <= 256 * 1024; k++) {
      for (const streamed of ['sync', 'async'] as const) {
        const bytes = Buffer.from(`"${'a'.repeat(k)}`);
        const element = (): RenderedBytes => new RenderedBytes(bytes, 0, bytes.length, 'b"');
        function* sync(): Generator<unknown> {
          yield element();
          yield 'x';
        }
        async function* async(): AsyncGenerator<unknown> {
          yield element();
          yield 'x';
        }
        const got = await written({ list: streamed === 'sync' ? sync() : async() });
        if (got !== JSON.stringify({ list: [`${'a'.repeat(k)}b`, 'x'] }, null, 2) + '\n') expect.fail(`${streamed}, ${k} characters: not the document`);
      }
    }
  }, 120_000);
});
