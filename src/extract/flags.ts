// TCP flag letters shared by every extractor: one canonical order so that 'AP', 'PA' and
// Snort's '***AP***' all compare equal downstream.

/** Canonical order of the flag letters (FIN, SYN, RST, PSH, ACK, URG), as Argus -Z prints them. */
export const FLAG_ORDER = 'FSRPAU';

/**
 * Any order, any duplicates → the letters of FLAG_ORDER that occur, in that order.
 * Letters outside FLAG_ORDER (ECE/CWR 'E'/'C', lower case, punctuation) are dropped.
 */
export function normalizeFlags(letters: string): string {
  let out = '';
  for (const flag of FLAG_ORDER) {
    if (letters.includes(flag)) out += flag;
  }
  return out;
}

// Snort's 8-character map, left to right: reserved 1, reserved 2, U, A, P, R, S, F; '*' = unset.
// Later Snort versions print the two reserved bits as C (CWR) and E (ECE).
const SNORT_MAP_POSITIONS: readonly string[] = ['1C', '2E', 'U', 'A', 'P', 'R', 'S', 'F'];

/**
 * Snort's flag field ('***A****', '**U*P**F', '12****S*') → canonical letters ('A', 'FPU', 'S').
 * The reserved bits are ignored; all stars gives '' (a NULL packet). Anything that is not a
 * valid 8-character map gives null.
 */
export function snortFlagMap(map8: string): string | null {
  if (map8.length !== 8) return null;
  let letters = '';
  for (let i = 0; i < 8; i++) {
    const ch = map8[i] as string;
    if (ch === '*') continue;
    const allowed = SNORT_MAP_POSITIONS[i] as string;
    if (!allowed.includes(ch)) return null;
    if (i >= 2) letters += ch;
  }
  return normalizeFlags(letters);
}
