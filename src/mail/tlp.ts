import type { Tlp } from './types.js';

const RANK: Record<Tlp, number> = { RED: 4, AMBER: 3, GREEN: 2, CLEAR: 1, WHITE: 1 };
const COLOURS: Tlp[] = ['RED', 'AMBER', 'GREEN', 'CLEAR', 'WHITE'];
const MAX_SCAN_CHARS = 4 * 1024 * 1024;
const MAY_NAME_TLP = /tlp|[^\x00-\x7f]/i;

/** The most restrictive Traffic Light Protocol label named in the subject or the text, or null. */
export function detectTlp(subject: string | null, text: string): Tlp | null {
  let best: Tlp | null = null;
  for (const source of [subject ?? '', text]) {
    const hay = source.length > MAX_SCAN_CHARS ? source.slice(0, MAX_SCAN_CHARS) : source;
    // ASCII text without "tlp" in any case has no label: one scan instead of an upper-cased copy
    // (beyond ASCII, upper-casing can make letters of others, `ﬆ` → `ST`, so that text takes the long way)
    if (!MAY_NAME_TLP.test(hay)) continue;
    const upper = hay.toUpperCase();
    let from = 0;
    for (;;) {
      const i = upper.indexOf('TLP', from);
      if (i < 0) break;
      from = i + 3;
      if (i > 0 && /[A-Z0-9]/.test(upper.charAt(i - 1))) continue;
      const found = colourAt(upper, i + 3);
      if (found && (best === null || RANK[found] > RANK[best])) best = found;
    }
  }
  return best;
}

/** `TLP:RED`, `TLP: AMBER+STRICT`, `TLP-GREEN`, `TLP CLEAR`, `TLP  :\tRED` */
function colourAt(upper: string, pos: number): Tlp | null {
  let j = pos;
  let sep = 0;
  // generous on purpose: a label that is missed leaks a post into the digest and to the LLM
  while (j < upper.length && sep < 8 && ':-_ \t'.includes(upper[j]!)) {
    j++;
    sep++;
  }
  if (sep === 0) return null;
  for (const c of COLOURS) {
    if (upper.startsWith(c, j)) {
      const next = upper.charAt(j + c.length);
      if (next === '' || !/[A-Z0-9]/.test(next)) return c;
    }
  }
  return null;
}
