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
  const own = ownCopy(value);
  sharedStrings.set(own, own);
  return own;
}

/**
 * The characters of s in a string of their own. A record's fields are often slices of their
 * post's text (V8 slices strings of 13 characters or more): kept in a table that outlives the
 * post, a slice keeps the whole post alive. Strings built from pieces (a template literal is a
 * tree of V8 cons strings) are flattened too: an id or time as built is ~300 bytes, ~40 flat, and
 * a corpus keeps one of each per observation.
 */
export function ownCopy<T extends string>(s: T): T {
  return JSON.parse(JSON.stringify(s)) as T;
}
