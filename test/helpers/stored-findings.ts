// The findings the bot stored, held to what a full recompute over every stored post gives them.
import { expect } from 'vitest';
import type { Finding } from '../../src/contract.js';
import { analyzeThread } from '../../src/analyze/corpus.js';
import { findingKey, type Store } from '../../src/store/store.js';
import { storedAnalyses } from './stored-analyses.js';

/** Findings by their store key (a second finding of a key, of another kind, as `key:kind`). */
export function findingsByKey(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    let key = findingKey(f);
    if (out.has(key)) key = `${key}:${f.kind}`;
    out.set(key, f);
  }
  return out;
}

/**
 * Every stored finding equals the full recompute's finding of its key, and no key is missing or
 * extra. Gives the recompute's findings, in its order and by key.
 */
export function expectStoredFindingsAsRecomputed(store: Store): { findings: Finding[]; byKey: Map<string, Finding> } {
  const findings = analyzeThread(storedAnalyses(store)).doc.findings;
  const byKey = findingsByKey(findings);
  const keys = store.db.prepare('SELECT key FROM findings').pluck().all() as string[];
  const stored = new Map(store.findingsByKeys(keys).map((f) => [f.key, f.finding]));
  expect([...stored.keys()].sort()).toEqual([...byKey.keys()].sort());
  for (const [key, f] of byKey) expect(stored.get(key), key).toEqual(f);
  return { findings, byKey };
}
