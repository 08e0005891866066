// What the bot stored, read back as the PostAnalysis list a full recompute (analyzeThread) takes.
import type { Observation } from '../../src/contract.js';
import type { PostAnalysis } from '../../src/analyze/types.js';
import type { Store } from '../../src/store/store.js';

/** Every stored post, in arrival order, as the PostAnalysis the bot stored. */
export function storedAnalyses(store: Store): PostAnalysis[] {
  const posts = store.db.prepare('SELECT id, analysis FROM posts ORDER BY received_at, rowid').all() as Array<{ id: string; analysis: string }>;
  const obs = store.db.prepare('SELECT json FROM observations WHERE post = ? ORDER BY seq');
  return posts.map((p) => ({
    ...(JSON.parse(p.analysis) as Omit<PostAnalysis, 'observations'>),
    observations: (obs.all(p.id) as Array<{ json: string }>).map((r) => JSON.parse(r.json) as Observation),
  }));
}
