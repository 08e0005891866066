import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayBePacketPieceFromLine, mayBePacketPieceText } from '../src/extract/tcpdump.js';

// the definition mayBePacketPieceText reads without a trimmed copy
function byDefinition(text: string): boolean {
  const piece = text.trim();
  let packet = false;
  for (let k = piece.indexOf('>'); k >= 0; k = piece.indexOf('>', k + 1)) {
    if (k > 0 && piece.charCodeAt(k - 1) === 32 && piece.charCodeAt(k + 1) === 32) packet = true;
  }
  return packet || piece.includes('IP') || piece.startsWith('> ') || piece.endsWith(' >') || piece === '>';
}

describe('mayBePacketPieceText', () => {
  it('answers as the trimmed piece would', () => {
    const piece = fc.constantFrom(' ', '  ', '>', '> ', ' >', ' > ', 'I', 'P', 'IP', '\t', '\u00a0', '\u2003', 'x', '-', '->', '?>', '1.2.3.4', '\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }).map((p) => p.join('')), (text) => {
        expect(mayBePacketPieceText(text), JSON.stringify(text)).toBe(byDefinition(text));
        // what the extractor asks: the untrimmed line's packet test (shared with the main loop) or an edge arrow
        expect(mayBePacketPieceFromLine(text), JSON.stringify(text)).toBe(byDefinition(text));
      }),
      { numRuns: 20000 },
    );
  });
  it('on the edge cases', () => {
    for (const t of ['', ' ', '>', ' > ', '>x', '> x', 'x >', 'x>', ' x > y ', '\t> ', ' >\t', 'a -> b', 'IP', ' I P ']) {
      expect(mayBePacketPieceText(t), JSON.stringify(t)).toBe(byDefinition(t));
      expect(mayBePacketPieceFromLine(t), JSON.stringify(t)).toBe(byDefinition(t));
    }
  });
});
