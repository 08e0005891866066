import type { AnalysisDocument, Observation, Post } from '../contract.js';
import type { ProseStatement, Question } from '../correlate/types.js';
import type { MailPost } from '../mail/types.js';

/** Everything learned from one post on its own (pure; no corpus context yet). */
export interface PostAnalysis {
  mail: MailPost;
  post: Post;
  observations: Observation[];
  statements: ProseStatement[];
  questions: Question[];
}

/** The contract document plus the prose facts the renderers and the bot need. */
export interface AnalysisResult {
  doc: AnalysisDocument;
  statements: ProseStatement[];
  questions: Question[];
  /** optional narrative paragraphs from the LLM layer, keyed by finding id or `thread:<id>` */
  narratives?: Record<string, string>;
}
