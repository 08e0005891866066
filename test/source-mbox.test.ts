import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeArchive } from '../bench/generate.js';
import { splitMbox, type MboxMessage } from '../src/source/mbox.js';
import { mboxReaderSplit } from './helpers/mbox-reader-split.js';

/**
 * src/source/mbox.ts splits an mbox on Buffers; it must give exactly the messages mbox-reader
 * (behind the old size guard) gave: same count, same bytes, same oversize verdicts, same
 * "ended mid-line" for the truncation check.
 */

async function collect(gen: AsyncGenerator<MboxMessage>): Promise<MboxMessage[]> {
  const out: MboxMessage[] = [];
  for await (const m of gen) out.push(m);
  return out;
}

function chunked(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  let k = 0;
  while (pos < buf.length) {
    const size = Math.max(1, sizes.length ? sizes[k++ % sizes.length]! : 65536);
    out.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

async function sameSplit(file: Buffer, maxBytes: number, sizes: number[] = []): Promise<MboxMessage[]> {
  const chunks = chunked(file, sizes);
  const oldState = { endedMidLine: false };
  const newState = { endedMidLine: false };
  const old = await collect(mboxReaderSplit(chunks, maxBytes, oldState));
  const got = await collect(splitMbox((async function* () { yield* chunks; })(), maxBytes, newState));
  expect(got.length).toBe(old.length);
  for (let i = 0; i < old.length; i++) {
    const o = old[i]!;
    const g = got[i]!;
    expect(g.n).toBe(o.n);
    if (o.content === null) {
      expect(g.content, `message ${o.n}`).toBeNull();
      expect(g.bytes).toBe(o.bytes);
    } else {
      expect(g.content, `message ${o.n}`).not.toBeNull();
      expect(g.content!.toString('latin1'), `message ${o.n}`).toBe(o.content.toString('latin1'));
    }
  }
  expect(newState.endedMidLine).toBe(oldState.endedMidLine);
  return got;
}

describe('Buffer mbox splitter = mbox-reader', () => {
  it('the fixture mbox', async () => {
    const got = await sameSplit(readFileSync('fixtures/mbox/code-red-thread.mbox'), 25 * 1024 * 1024);
    expect(got.length).toBeGreaterThan(3);
  });

  it('a generated 2,000-post archive (mboxrd >From lines), in 64 KB and in odd-sized chunks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-mbox-'));
    try {
      const path = join(dir, 'a.mbox');
      await writeArchive(path, 2000, 20010906);
      const file = readFileSync(path);
      expect(file.includes('\n>From ')).toBe(true);
      expect((await sameSplit(file, 25 * 1024 * 1024)).length).toBe(2000);
      await sameSplit(file, 25 * 1024 * 1024, [4093, 17, 65536, 1]);
      // a cap that some posts pass: those become oversize with their byte count
      const capped = await sameSplit(file, 20_000);
      expect(capped.some((m) => m.content === null)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('hand-made edge cases', async () => {
    const cases = [
      'From a\nx\n',
      'From a\n',
      'From a',
      'From a\nFrom b\nFrom c',
      'From a\r\nSubject: x\r\n\r\nbody\r\n\r\nFrom b\r\nSubject: y\r\n\r\n>From here\r\n>>From there\r\n',
      'From a\nx\n\n\n\nFrom b\n\n',
      'From a\n>From \n>x\n>>>From y\n> From z\nFrom\n',
      'From a\nline\rwith CR\r\r\nend\r',
      'From a\n\rFrom b\n',
      'From a\nFrom b\nbody without end',
      'garbage\nFrom a\nx\n',
    ];
    for (const c of cases) {
      for (const sizes of [[], [1], [2, 3], [5]]) await sameSplit(Buffer.from(c, 'latin1'), 1000, sizes);
    }
  });

  it('any generated mbox, cut in any chunks, with or without a size cap (property)', async () => {
    const line = fc.oneof(
      fc.constantFrom('From ', 'From x Thu Sep  6 10:00:00 2001', '>From y', '>>From z', '>', '', '\r', 'Subject: s', 'body', 'From', ' From x'),
      // longer than the small caps: such a line is dropped and is never an envelope
      fc.constantFrom(`From ${'z'.repeat(60)}`, 'y'.repeat(250), `>From ${'w'.repeat(45)}`),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\n', '')), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 5 }),
        fc.constantFrom(40, 200, 25 * 1024 * 1024),
        async (lines, sizes, cap) => {
          const text = `From first\n${lines.map(([l, eol]) => l + eol).join('')}`;
          await sameSplit(Buffer.from(text, 'latin1'), cap, sizes);
        },
      ),
      { numRuns: Number(process.env.LW_MBOX_RUNS ?? 500), seed: Number(process.env.LW_MBOX_SEED ?? 20010906) },
    );
  }, 120_000);
});
