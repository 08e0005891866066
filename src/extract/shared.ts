// Record fields that take a few dozen values in a whole archive (direction marks, states, protocol
// names) are kept as one string per value, not one per record: an observation holds them for the
// life of the corpus, and every copy is memory and garbage-collector work.

const MAX_SHARED = 4096;
const sharedStrings = new Map<string, string>();

/** The one copy of a short field value (the same characters); a value past the cap is returned as is. */
export function shared<T extends string | null>(value: T): T {
  if (value === null || value.length > 32) return value;
  const known = sharedStrings.get(value);
  if (known !== undefined) return known as T;
  if (sharedStrings.size >= MAX_SHARED) return value;
  // a copy of its own: the value is often a slice of its post's text, which the table would keep alive
  const own = JSON.parse(JSON.stringify(value)) as T & string;
  sharedStrings.set(own, own);
  return own;
}
