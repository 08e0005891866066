import { hash } from 'node:crypto';

/** A short stable id: the same parts always give the same id. */
export function stableId(prefix: string, ...parts: Array<string | number | null | undefined>): string {
  // One-shot hash of the joined parts: the same bytes as hashing each `${part}\0` in turn (each ends
  // in NUL, so no surrogate pair spans two parts), without a Hash object per id.
  let text = '';
  for (const p of parts) text += `${p ?? ''}\u0000`;
  return stableIdOfText(prefix, text);
}

/** stableId when the caller has built the hashed text itself: each part followed by NUL. */
export function stableIdOfText(prefix: string, text: string): string {
  // joined, not a template literal: one flat string instead of pieces keeping the whole digest alive
  return [prefix, '-', hash('sha256', text, 'hex').slice(0, 16)].join('');
}
