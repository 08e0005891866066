import { describe, expect, it } from 'vitest';
import { parseHexDump } from '../src/extract/hexdump.js';

function snortRow(start: number): string {
  const bytes = Array.from({ length: 16 }, (_, k) => (start + k) & 0xff);
  return `${bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')}  ................`;
}

describe('parseHexDump', () => {
  it('keeps every byte of a dump of any length up to 64 KiB, in order, and counts the rest', () => {
    for (const rows of [1, 16, 17, 4096, 5000]) {
      const lines = Array.from({ length: rows }, (_, r) => snortRow(r * 16));
      lines.push('', 'after the dump');
      const dump = parseHexDump(lines, 0);
      expect(dump?.end).toBe(rows);
      expect(dump?.bytes).toBe(rows * 16);
      const kept = Math.min(rows * 16, 65536);
      expect(dump?.data.length).toBe(kept);
      const want = Uint8Array.from({ length: kept }, (_, k) => k & 0xff);
      expect(Buffer.from(dump?.data ?? []).equals(Buffer.from(want))).toBe(true);
    }
  });
});
